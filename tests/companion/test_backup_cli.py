"""`wearlog backup` and `wearlog restore` on real files."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from wearlog.cli import main
from wearlog.store import Store
from wlproto.records import Epoch


def test_backup_and_restore_round_trip(tmp_path: Path) -> None:
    db = tmp_path / "live.db"
    s = Store(db)
    s.add_patient("P-3")
    s.add_device(3, "P-3")
    s.ingest(3, [Epoch(q, 1_780_000_000 + 30 * q) for q in range(250)])
    s.close()
    r = CliRunner()
    res = r.invoke(main, ["backup", str(tmp_path / "bk.db"), "--db", str(db)])
    assert res.exit_code == 0 and "250 epochs" in res.output
    res = r.invoke(main, ["restore", str(tmp_path / "bk.db"), "--db", str(tmp_path / "new.db")])
    assert res.exit_code == 0 and "250 epochs" in res.output
    res = r.invoke(main, ["restore", str(tmp_path / "bk.db"), "--db", str(tmp_path / "new.db")])
    assert res.exit_code == 0 and "nothing new" in res.output
    res = r.invoke(main, ["backup", str(db), "--db", str(db)])
    assert res.exit_code == 1 and "live database" in res.output
    s = Store(tmp_path / "new.db")
    assert s.counts()["epochs"] == 250
    s.close()
