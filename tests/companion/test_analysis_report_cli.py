"""`wearlog report`: the last 14 nights and days as tables, from a real database file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from click.testing import CliRunner

from wearlog.cli import main
from wearlog.store import Store
from wearlog.testing.epochs import make_wearer


def test_report_prints_last_14_nights_and_days(tmp_path: Path) -> None:
    db = tmp_path / "w.db"
    s = Store(db)
    s.add_patient("P-0042", "Europe/Berlin")
    s.add_device(7, "P-0042")
    w = make_wearer(18, tz="Europe/Berlin", start=dt.date(2026, 4, 1), seed=5,
                    symptom_days=(15,), nonwear_days=(16,))
    s.ingest(7, w.records)
    s.close()
    res = CliRunner().invoke(main, ["report", "--patient", "P-0042", "--db", str(db)],
                             terminal_width=200)
    assert res.exit_code == 0, res.output
    out = res.output
    assert "2026-04-05 to 2026-04-18 (14 days)" in out  # the range ends on the last data day
    assert "Nights (dated by the evening they begin)" in out and "Days" in out
    # data end on 2026-04-18: the 14 latest nights and days start on 04-05
    assert "2026-04-18 " in out and "2026-04-05 " in out
    assert "2026-04-04 " not in out and "2026-04-01 " not in out
    assert out.count("2026-04-10 ") == 2  # once as a night, once as a day
    assert "IS " in out and "Sleep Regularity Index" in out
    assert "does not diagnose" in out
    # the report stored its results for the dashboard
    s = Store(db)
    assert s.conn.execute("SELECT COUNT(*) FROM nights WHERE patient_id='P-0042'").fetchone()[0]
    assert s.conn.execute("SELECT SUM(symptom_events) FROM days").fetchone()[0] == 2
    # the educational topics it printed are the ones it recorded for the clinician
    linked = s.conn.execute("SELECT COUNT(DISTINCT topic_id) FROM linked_topics "
                            "WHERE patient_id='P-0042'").fetchone()[0]
    if linked:
        assert "Educational topics linked" in out and out.count("  • ") == linked
    else:
        assert "No educational topic was linked" in out
    s.close()


def test_report_errors_are_actionable(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("WEARLOG_DB", str(tmp_path / "missing.db"))
    res = CliRunner().invoke(main, ["report", "--patient", "P-1"])
    assert res.exit_code == 1 and "no database" in res.output
    Store(tmp_path / "missing.db").close()
    res = CliRunner().invoke(main, ["report", "--patient", "P-1"])
    assert res.exit_code == 1 and "no patient 'P-1'" in res.output
    assert "add_patient" not in res.output  # says what to do, not which function refused
