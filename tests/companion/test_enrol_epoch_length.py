"""`wearlog enrol --epoch-s`: the clinic records the device's epoch length, may correct it
until records arrive, and then says plainly why it cannot."""

from __future__ import annotations

from click.testing import CliRunner

from wearlog.cli import main
from wearlog.store import Store
from wlproto.records import Epoch


def _enrol(db, *args: str):
    return CliRunner().invoke(main, ["enrol", "P-0042", "0x3F2A", "--tz", "UTC", *args,
                                     "--db", str(db)])


def test_enrol_records_and_corrects_the_epoch_length_until_records_arrive(tmp_path):
    db = tmp_path / "clinic.db"
    assert _enrol(db).exit_code == 0
    with Store.reader(db) as s:
        assert s.device(0x3F2A)["epoch_s"] == 30  # the default, as devices ship
    res = _enrol(db, "--epoch-s", "60")
    assert res.exit_code == 0, res.output
    with Store(db) as s:
        assert s.device(0x3F2A)["epoch_s"] == 60
        s.ingest(0x3F2A, [Epoch(0, 1_795_000_000, 0, 5, 3, 0, 0, 1, 50)])
    res = _enrol(db, "--epoch-s", "30")
    assert res.exit_code == 1 and isinstance(res.exception, SystemExit)
    assert "cannot change now" in res.output and "Traceback" not in res.output
    with Store.reader(db) as s:
        assert s.device(0x3F2A)["epoch_s"] == 60
