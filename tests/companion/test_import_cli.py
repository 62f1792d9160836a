"""`wearlog import`: creates the patient, imports once, reports bad lines, stores nothing then."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from wearlog.cli import main
from wearlog.store import Store


def test_import_then_reimport_then_bad_file(tmp_path: Path) -> None:
    db = tmp_path / "w.db"
    good = tmp_path / "good.csv"
    good.write_text("timestamp,enmo,angle\n" + "".join(
        f"{1780000020 + 30 * i},{20 + i % 9},{(i % 5) - 2}\n" for i in range(200)))
    r = CliRunner()
    res = r.invoke(main, ["import", str(good), "--patient", "R-9", "--db", str(db)])
    assert res.exit_code == 1 and "--tz" in res.output
    res = r.invoke(main, ["import", str(good), "--patient", "R-9", "--tz", "UTC", "--db", str(db)])
    assert res.exit_code == 0, res.output
    assert "200 new of 200 epochs" in res.output
    res = r.invoke(main, ["import", str(good), "--patient", "R-9", "--db", str(db)])
    assert "0 new of 200 epochs" in res.output
    bad = tmp_path / "bad.csv"
    bad.write_text("timestamp,enmo\n1780000020,5\n1780000050,five\n")
    res = r.invoke(main, ["import", str(bad), "--patient", "R-9", "--db", str(db)])
    assert res.exit_code == 1
    assert "line 3, column 'enmo'" in res.output and "nothing was imported" in res.output
    s = Store(db)
    assert s.counts()["epochs"] == 200
    s.close()


def test_report_shows_count_based_sleep_and_rhythm_for_imported_counts(
        tmp_path: Path, pyact_awd: dict[str, Path]) -> None:
    db = str(tmp_path / "c.db")
    r = CliRunner()
    res = r.invoke(main, ["import", str(pyact_awd["example02"]), "--format", "awd",
                          "--patient", "A-2", "--tz", "UTC", "--db", db])
    assert res.exit_code == 0 and "import-counts" in res.output, res.output
    res = r.invoke(main, ["report", "--patient", "A-2", "--db", db])
    assert res.exit_code == 0, res.output
    assert "Count-based sleep" in res.output
    assert "Rhythm of imported counts" in res.output and "IS 0." in res.output
    assert "(whole days)" in res.output
    res = r.invoke(main, ["report", "--patient", "A-2", "--rhythm-partial-days", "--db", db])
    assert res.exit_code == 0 and "(whole recording)" in res.output, res.output


def test_a_fortnight_of_counts_is_shown_but_not_averaged(
        tmp_path: Path, pyact_awd: dict[str, Path]) -> None:
    from wearlog.analysis import analyse_patient
    from wearlog.imports import import_awd

    s = Store(tmp_path / "f.db")
    import_awd(s, "A-3", pyact_awd["example03"], tz="UTC")
    out = analyse_patient(s, "A-3")
    assert len(out.days) >= 14 and not any(d["valid"] for d in out.days)
    assert out.rhythm["IS"] is None
    # counts-only nights get a period and sleep (Cole-Kripke within Tudor-Locke 2014; until
    # Dec 2026 they got none); the off-wrist days (Choi 2011 non-wear) get none, with a reason
    assert {n["source"] for n in out.nights} <= {"counts"}
    valid = [n for n in out.nights if n["valid"]]
    assert len(valid) >= 7 and all(120 <= n["tst_min"] <= n["tib_min"] <= 720 for n in valid)
    assert all(n["reason"] for n in out.nights if not n["valid"])
    s.close()


def test_an_import_that_changes_the_time_zone_queues_a_full_refresh(
        tmp_path: Path, pyact_awd: dict[str, Path]) -> None:
    """Every local night and day moves with the zone: not just the new file's span."""
    from wearlog.imports import import_awd

    first, second = sorted(pyact_awd)[:2]
    s = Store(tmp_path / "tz.db")
    import_awd(s, "A-5", pyact_awd[first], tz="UTC")
    (entry,) = s.pending("A-5")
    assert not entry.full and entry.from_utc is not None
    import_awd(s, "A-5", pyact_awd[second], tz="Europe/Berlin")
    (entry,) = s.pending("A-5")
    assert entry.full
    s.close()
