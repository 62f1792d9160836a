"""`wearlog demo` (what `make demo` runs) brings the dashboard up with the synced data:
the demo clinician's printed one-time password signs in once, asks for the clinician's own
password, and then the patient's page opens over HTTP."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

WEARLOG = Path(sys.executable).with_name("wearlog")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_demo_serves_the_patient_page_with_data(tmp_path: Path) -> None:
    port, app_port = _free_port(), _free_port()
    log = tmp_path / "demo.log"
    # The "default browser": a program that notes the URL it was asked to open.
    opened = tmp_path / "opened.txt"
    browser = tmp_path / "browser.sh"
    browser.write_text(f'#!/bin/sh\necho "$1" >> {opened}\n')
    browser.chmod(0o755)
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = dict(os.environ, COLUMNS="200", TMPDIR=str(tmp), BROWSER=f"{browser} %s")
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [str(WEARLOG), "demo", "--days", "3", "--port", str(port), "--app-port",
             str(app_port)],
            stdout=out, stderr=subprocess.STDOUT, env=env)
    try:
        base = f"http://127.0.0.1:{port}"
        password = None
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            assert proc.poll() is None, log.read_text()
            m = re.search(r"one-time password (\S+)", log.read_text())
            if m:
                password = m.group(1)
                try:
                    if httpx.get(base + "/login", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
            time.sleep(0.5)
        assert password, log.read_text()
        with httpx.Client(base_url=base, follow_redirects=False, timeout=30) as c:
            page = c.get("/login")
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
            r = c.post("/login", data={"username": "demo-clinician", "password": password,
                                       "csrf_token": csrf, "next": "/"})
            assert r.status_code == 303, r.text
            # one-time: the first sign-in asks for the clinician's own password
            assert r.headers["location"].startswith("/password"), r.headers
            form = c.get(r.headers["location"])
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
            own = "demo clinician's own passphrase"
            r = c.post("/password", data={"csrf_token": csrf, "current": password, "new": own,
                                          "confirm": own, "next": "/"})
            assert r.status_code == 303 and r.headers["location"] == "/", r.text
            home = c.get("/")
            assert home.status_code == 200 and "P-DEMO-01" in home.text
            patient = c.get("/patients/P-DEMO-01")
            assert patient.status_code == 200
            assert "not medical advice" in patient.text
            summary = c.get("/api/patients/P-DEMO-01/summary").json()
            text = json.dumps(summary)
            assert summary and "tst_min" in text  # nightly sleep figures from the synced data
            nights = [n for n in summary.get("nights", []) if n.get("tst_min")]
            assert len(nights) >= 2, text[:500]
        with httpx.Client(base_url=base, follow_redirects=False, timeout=30) as again:
            csrf = re.search(r'name="csrf_token" value="([^"]+)"',
                             again.get("/login").text).group(1)
            r = again.post("/login", data={"username": "demo-clinician", "password": password,
                                           "csrf_token": csrf})
            assert r.status_code == 401  # the one-time password was used once
        # The wearer's app beside it: its printed URL (with the launch key) opens the
        # demo wearer's nights, and the diary has a few days filled in.
        wearer_url = re.search(rf"(http://127\.0\.0\.1:{app_port}/\?token=\S+)",
                               log.read_text()).group(1)
        with httpx.Client(follow_redirects=True, timeout=30) as w:
            home = w.get(wearer_url)
            assert home.status_code == 200 and "Time awake in the night" in home.text
            diary = w.get(f"http://127.0.0.1:{app_port}/diary")
            assert diary.text.count(" ✓") >= 3
        # The browser was asked to open both once they answered.
        for _ in range(100):
            if opened.exists() and len(opened.read_text().split()) == 2:
                break
            time.sleep(0.1)
        assert opened.read_text().split() == [base + "/", wearer_url], log.read_text()
        text = log.read_text()
        steps = text[text.index("Next steps"):]
        assert f"dashboard: {base}/" in steps and "report --db" in steps
        folders = list(tmp.iterdir())
        assert [f.name[:13] for f in folders] == ["wearlog-demo-"]
    finally:
        proc.send_signal(signal.SIGINT)  # Ctrl-C stops everything cleanly
        try:
            assert proc.wait(timeout=30) == 0, log.read_text()
        finally:
            if proc.poll() is None:
                proc.kill()
    # Ctrl-C removed the temporary folder and said so.
    assert list(tmp.iterdir()) == []
    assert f"Deleted the demo's temporary folder {folders[0]}" in log.read_text()
