"""A fresh clinic server, end to end with its documented commands: enrol the patient and
the device ID (no pairing on the server), create a user and a token, `wearlog serve`;
the wearer pairs and syncs at home with `--upload`; the summary API then shows analysed
nights and days with no other step (the upload ran the refresh step)."""

from __future__ import annotations

import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx

WEARLOG = Path(sys.executable).with_name("wearlog")
PW = "clinic passphrase long enough"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wearlog(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(WEARLOG), *args], capture_output=True, text=True, timeout=300,
                          env=env)


def _wait_for(log: Path, text: str, proc: subprocess.Popen[bytes], limit: float = 180) -> None:
    deadline = time.monotonic() + limit
    while text not in log.read_text():
        assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
        time.sleep(0.2)


def test_enrol_on_the_clinic_server_then_upload_from_home(tmp_path: Path) -> None:
    radio, web = _free_port(), _free_port()
    home = dict(os.environ, COLUMNS="200", WEARLOG_DB=str(tmp_path / "home.db"),
                WEARLOG_VIRTUAL=f"127.0.0.1:{radio}")
    clinic = dict(os.environ, COLUMNS="200", WEARLOG_DB=str(tmp_path / "clinic.db"),
                  WEARLOG_PASSWORD=PW, WEARLOG_SECRET_KEY="k" * 40)
    dev_log, web_log = tmp_path / "device.log", tmp_path / "serve.log"
    with open(dev_log, "w") as out:
        dev = subprocess.Popen([str(WEARLOG), "device", "virtual", "--days", "2.2", "--port",
                                str(radio), "--state", str(tmp_path / "device")],
                               stdout=out, stderr=subprocess.STDOUT, env=home)
    serve = None
    try:
        _wait_for(dev_log, "Advertising as", dev)
        # wearer: pair with the home laptop; the device ID is what the clinic needs
        r = _wearlog("pair", "--patient", "P-0042", env=home)
        assert r.returncode == 0, r.stdout + r.stderr
        device_id = sqlite3.connect(tmp_path / "home.db").execute(
            "SELECT device_id FROM devices").fetchone()[0]
        # clinic, on a fresh server database
        r = _wearlog("enrol", "P-0042", str(device_id), "--tz", "UTC", env=clinic)
        assert r.returncode == 0 and "enrolled" in r.stdout, r.stdout + r.stderr
        r = _wearlog("user", "add", "dr.lee", "--role", "admin", env=clinic)
        assert r.returncode == 0, r.stdout + r.stderr
        r = _wearlog("token", "create", str(device_id), "--label", "home laptop", env=clinic)
        assert r.returncode == 0, r.stdout + r.stderr
        token = r.stdout.strip().splitlines()[0]
        with open(web_log, "w") as out:
            serve = subprocess.Popen([str(WEARLOG), "serve", "--port", str(web)], stdout=out,
                                     stderr=subprocess.STDOUT, env=clinic)
        _wait_for(web_log, "Uvicorn running", serve)
        url = f"http://127.0.0.1:{web}"
        # wearer: sync at home and upload
        r = _wearlog("sync", "--upload", url, "--token", token, env=home)
        assert r.returncode == 0 and "uploaded" in r.stdout, r.stdout + r.stderr
        # clinician: the summary is analysed, with no other step
        with httpx.Client(base_url=url) as c:
            page = c.get("/login")
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
            assert c.post("/login", data={"username": "dr.lee", "password": PW,
                                          "csrf_token": csrf}).status_code == 303
            s = c.get("/api/patients/P-0042/summary").json()
            listed = c.get("/api/patients").json()
    finally:
        for p in (serve, dev):
            if p is not None and p.poll() is None:
                p.send_signal(signal.SIGINT)
                try:
                    p.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    p.kill()
    assert s["analysis_status"] == "ok", s.get("analysis_reason")
    assert s["analysis_available"] is True
    assert s["nights"] and s["days"], s
    assert any(d["wear_min"] > 0 for d in s["days"])
    assert s["last_date"] == s["monitoring_last_date"]  # the range ends on the last data day
    assert listed[0]["patient_id"] == "P-0042" and listed[0]["analysis_status"] == "ok"
