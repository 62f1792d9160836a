"""Cross-process BLE: `wearlog device virtual` in one process; `wearlog scan`, `pair`,
`sync` and `unpair` in others reach it over bumble's TCP HCI transport on loopback."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.virtual_device import virtual_device

WEARLOG = Path(sys.executable).with_name("wearlog")


def _wearlog(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(WEARLOG), *args], capture_output=True, text=True, timeout=120,
                          env=env)


def test_scan_pair_sync_unpair_against_a_virtual_device(tmp_path: Path) -> None:
    with virtual_device(tmp_path, 0.2, check_exit=True) as radio:
        env = dict(os.environ, COLUMNS="200", WEARLOG_DB=str(tmp_path / "w.db"),
                   WEARLOG_VIRTUAL=radio)
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
