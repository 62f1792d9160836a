"""`wearlog demo --no-serve` end to end: firmware on the host port -> BLE -> SQLite ->
analysis -> education, checked from the outside (its output and its database)."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

WEARLOG = Path(sys.executable).with_name("wearlog")


def test_demo_no_serve(tmp_path: Path) -> None:
    env = dict(os.environ, COLUMNS="200", TMPDIR=str(tmp_path))
    r = subprocess.run([str(WEARLOG), "demo", "--no-serve", "--days", "8"],
                       capture_output=True, text=True, timeout=600, env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    out = r.stdout
    assert "Educational topics linked to these findings:" in out
    assert "because: " in out
    assert "not medical advice" in out
    # Progress with the simulated day count, then the next steps, last.
    assert "day 8/8" in out
    folder = Path(re.search(r"Working folder: (\S+)", out).group(1))
    assert folder.parent == tmp_path and folder.name.startswith("wearlog-demo-")
    steps = out[out.index("Next steps"):]
    assert f"report --db {folder / 'wearlog.db'} --patient P-DEMO-01" in steps
    assert "pair --patient" in steps and "docs/flashing.md" in steps
    # The temporary folder stays (the report needs it) and the output says it may go.
    assert f"delete the folder when you are done (rm -r {folder})" in " ".join(steps.split())
    assert "Traceback" not in r.stderr
    db = sqlite3.connect(folder / "wearlog.db")
    nights = db.execute(
        "SELECT tst_min, se_pct, waso_min, tib_min FROM nights WHERE valid=1").fetchall()
    assert len(nights) >= 6, nights
    for tst, se, waso, tib in nights:
        assert 120 <= tst <= 720 and 0 < se <= 100 and 0 <= waso <= tib and tst <= tib
    days = db.execute("SELECT steps, wear_min FROM days WHERE valid=1").fetchall()
    assert len(days) >= 6
    for steps, wear in days:
        assert 0 < steps < 60000 and 16 * 60 <= wear <= 25 * 60
    # Every record on the device reached the store exactly once (the device's log is kept).
    synced = db.execute("SELECT (SELECT COUNT(*) FROM epochs) + (SELECT COUNT(*) FROM events)"
                        ).fetchone()[0]
    assert f"synced {synced} records" in out
    links = db.execute("SELECT COUNT(*) FROM linked_topics").fetchone()[0]
    assert links >= 1
    # recorded once, by the refresh step (the demo's summary reads them: no second wording)
    assert db.execute("SELECT COUNT(*) FROM (SELECT 1 FROM linked_topics GROUP BY patient_id, "
                      "topic_id, rule_id, window_end HAVING COUNT(*) > 1) AS twice"
                      ).fetchone()[0] == 0
    assert db.execute("SELECT status FROM syncs").fetchall() == [("ok",)]
