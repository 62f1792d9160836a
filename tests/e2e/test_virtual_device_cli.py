"""Cross-process BLE: `wearlog device virtual` in one process; `wearlog scan`, `pair`,
`sync` and `unpair` in others reach it over bumble's TCP HCI transport on loopback."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

WEARLOG = Path(sys.executable).with_name("wearlog")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wearlog(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(WEARLOG), *args], capture_output=True, text=True, timeout=120,
                          env=env)


def test_scan_pair_sync_unpair_against_a_virtual_device(tmp_path: Path) -> None:
    port = _free_port()
    env = dict(os.environ, COLUMNS="200", WEARLOG_DB=str(tmp_path / "w.db"),
               WEARLOG_VIRTUAL=f"127.0.0.1:{port}")
    log = tmp_path / "device.log"
    with open(log, "w") as out:
        dev = subprocess.Popen([str(WEARLOG), "device", "virtual", "--days", "0.2", "--port",
                                str(port), "--state", str(tmp_path / "device")],
                               stdout=out, stderr=subprocess.STDOUT, env=env)
    try:
        deadline = time.monotonic() + 120
        while "Advertising as" not in log.read_text():
            assert dev.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        r = _wearlog("scan", "--timeout", "2", env=env)
        assert r.returncode == 0 and "WL-" in r.stdout, r.stdout + r.stderr
        r = _wearlog("sync", env=env)
        assert r.returncode != 0 and "no device paired yet" in r.stderr
        r = _wearlog("pair", "--patient", "P-0007", env=env)
        assert r.returncode == 0 and "Paired" in r.stdout, r.stdout + r.stderr
        r = _wearlog("sync", env=env)
        assert r.returncode == 0 and "records received" in r.stdout, r.stdout + r.stderr
        db = sqlite3.connect(tmp_path / "w.db")
        stored = db.execute("SELECT (SELECT COUNT(*) FROM epochs) + "
                            "(SELECT COUNT(*) FROM events)").fetchone()[0]
        assert stored > 500  # 0.2 days of 30-s epochs plus events
        r = _wearlog("sync", env=env)  # again: only the new clock-set event, nothing doubled
        again = db.execute("SELECT (SELECT COUNT(*) FROM epochs) + "
                           "(SELECT COUNT(*) FROM events)").fetchone()[0]
        assert r.returncode == 0 and again - stored <= 1
        device_id = db.execute("SELECT device_id FROM devices").fetchone()[0]
        r = _wearlog("unpair", hex(device_id), env=env)
        assert r.returncode == 0, r.stdout + r.stderr
        r = _wearlog("sync", env=env)
        assert r.returncode != 0 and "no device paired yet" in r.stderr
    finally:
        dev.send_signal(signal.SIGINT)
        try:
            assert dev.wait(timeout=30) == 0, log.read_text()
        finally:
            if dev.poll() is None:
                dev.kill()
