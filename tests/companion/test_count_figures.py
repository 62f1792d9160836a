"""Figures of imported activity counts, computed by the refresh step and stored (v18).

Count-based sleep per night (Cole-Kripke) and the rhythm of the counts in both
conventions (whole local days; the whole recording, as pyActigraphy) are what
count_sleep and count_rhythm compute on the same records; `wearlog report` prints the
stored rows and computes nothing; new counts update them; a patient without counts has
none; a database from before v18 gets them at its next refresh, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import importlib
import math
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tests.companion.test_import_awd import METRICS, REF
from wearlog.analysis.config import method_id
from wearlog.analysis.errors import AnalysisError
from wearlog.cli import main
from wearlog.imports import import_awd, import_epoch_csv, read_awd
from wearlog.pipeline import refresh
from wearlog.store import Store
from wearlog.store.migrations import migrate
from wearlog.testing.epochs import make_wearer

# the module (the package's attribute of that name is the function)
cs = importlib.import_module("wearlog.imports.count_sleep")
T0 = 1_780_000_020 - 1_780_000_020 % 86400  # a UTC midnight


def _same(a: dict[str, Any] | None, b: dict[str, Any]) -> bool:
    """Equal dicts, NaN equal to NaN (RA of a flat profile is not a number)."""
    if a is None or set(a) != set(b):
        return False
    return all(a[k] == b[k] or (isinstance(a[k], float) and isinstance(b[k], float)
                                and math.isnan(a[k]) and math.isnan(b[k])) for k in a)


def _assert_stored_equal_computed(s: Store, pid: str) -> None:
    nights, reason = s.stored_count_sleep(pid)
    try:
        want, want_reason = cs.count_sleep(s, pid), None
    except AnalysisError as e:
        want, want_reason = [], str(e)
    assert (nights, reason) == (want, want_reason)
    for partial in (False, True):
        got = s.stored_count_rhythm(pid, partial)
        assert _same(got, cs.count_rhythm(s, pid, partial_days=partial)), (partial, got)


def _counts_csv(path: Path, start: int, n: int, epoch_s: int = 60) -> Path:
    # quiet nights (01:00-07:00 UTC), active days: Cole-Kripke scores the nights asleep
    times = [start + epoch_s * i for i in range(n)]
    rows = [f"{t},{0 if 60 <= t % 86400 // 60 < 420 else 150 + i % 70}"
            for i, t in enumerate(times)]
    path.write_text("timestamp,counts\n" + "\n".join(rows) + "\n")
    return path


def test_refresh_stores_what_count_sleep_and_count_rhythm_compute(
        db_location: Any, pyact_awd: dict[str, Path]) -> None:
    """A real Actiwatch recording on either backend: after the refresh the stored nights
    and both rhythm conventions are count_sleep's and count_rhythm's results, the stored
    whole-recording rhythm still reproduces pyActigraphy within 1 %, and the whole-day
    one covers fewer days."""
    name = "example02"
    with Store(db_location) as s:
        import_awd(s, "A-1", pyact_awd[name], tz="UTC")
        assert s.stored_count_sleep("A-1") == ([], None)  # not refreshed yet: nothing
        assert all(r.ok for r in refresh(s, "A-1"))
        nights, reason = s.stored_count_sleep("A-1")
        assert reason is None and len(nights) >= 10
        _assert_stored_equal_computed(s, "A-1")
        whole = s.stored_count_rhythm("A-1", True)
        days = s.stored_count_rhythm("A-1", False)
        assert whole is not None and days is not None
        for k in METRICS:
            assert whole[k] == pytest.approx(REF[name][k], rel=0.01), k
        assert whole["partial_days"] is True and days["partial_days"] is False
        assert days["n_days"] < whole["n_days"]


def test_report_prints_the_stored_figures_without_computing_them(
        tmp_path: Path, pyact_awd: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """The import refreshed the patient; with every count computation made to raise,
    `wearlog report` (both conventions) still prints the figures: the stored ones, as a
    stored value changed by hand shows."""
    db = str(tmp_path / "r.db")
    r = CliRunner()
    res = r.invoke(main, ["import", str(pyact_awd["example02"]), "--format", "awd",
                          "--patient", "A-2", "--tz", "UTC", "--db", db])
    assert res.exit_code == 0, res.output
    with Store(db) as s:
        assert s.pending("A-2") == []
        nights, _ = s.stored_count_sleep("A-2")
        days = s.stored_count_rhythm("A-2", False)
        whole = s.stored_count_rhythm("A-2", True)
        with s.transaction() as c:  # a value no computation gives: the report must show it
            c.execute("UPDATE count_rhythm SET interdaily_stability = 0.987 "
                      "WHERE patient_id = 'A-2' AND partial_days = 1")
    assert days is not None and whole is not None

    def forbidden(*a: Any, **k: Any) -> Any:
        raise AssertionError("count figures computed at view time")

    for fn in ("count_sleep", "count_rhythm", "count_figures", "count_series", "_sleep",
               "_rhythm"):
        monkeypatch.setattr(cs, fn, forbidden)
    for fn in ("count_sleep", "count_rhythm"):  # as the package exports them too
        monkeypatch.setattr(importlib.import_module("wearlog.imports"), fn, forbidden)
    res = r.invoke(main, ["report", "--patient", "A-2", "--days", "30", "--db", db])
    assert res.exit_code == 0, res.output
    assert "AssertionError" not in res.output and "failed" not in res.output
    assert (f"Rhythm of imported counts over {days['n_days']:.1f} days (whole days): "
            f"IS {days['IS']:.2f}  IV {days['IV']:.2f}") in res.output
    assert "Count-based sleep (Cole-Kripke," in res.output
    last = nights[-1]
    assert any(last["night"] in line and f"{last['sleep_min'] / 60:.1f}" in line
               for line in res.output.splitlines())
    res = r.invoke(main, ["report", "--patient", "A-2", "--rhythm-partial-days", "--db", db])
    assert res.exit_code == 0, res.output
    assert (f"Rhythm of imported counts over {whole['n_days']:.1f} days (whole recording): "
            "IS 0.99") in res.output


def test_counts_that_cannot_be_scored_store_the_reason_the_report_says(
        tmp_path: Path) -> None:
    """120-s counts: Cole-Kripke is defined on minutes. The refresh stores why, and the
    report says it in the same words count_sleep's error used."""
    db = tmp_path / "n.db"
    with Store(db) as s:
        import_epoch_csv(s, "C-1", _counts_csv(tmp_path / "c.csv", T0, 3 * 720, 120), tz="UTC")
        assert all(r.ok for r in refresh(s, "C-1"))
        nights, reason = s.stored_count_sleep("C-1")
        assert nights == [] and reason is not None and "120-s" in reason
        _assert_stored_equal_computed(s, "C-1")
    res = CliRunner().invoke(main, ["report", "--patient", "C-1", "--db", str(db)])
    assert res.exit_code == 0, res.output
    assert f"Count-based sleep: not scored ({reason})." in " ".join(res.output.split())


def test_new_counts_update_the_stored_figures(db_location: Any, tmp_path: Path) -> None:
    """Four days of counts, then four more in a second file: the second refresh (an
    incremental one) stores the figures of all eight days."""
    with Store(db_location) as s:
        import_epoch_csv(s, "C-2", _counts_csv(tmp_path / "a.csv", T0, 4 * 1440), tz="UTC")
        assert all(r.ok for r in refresh(s, "C-2"))
        before = s.stored_count_sleep("C-2")[0]
        rhythm_before = s.stored_count_rhythm("C-2", True)
        _assert_stored_equal_computed(s, "C-2")
        import_epoch_csv(s, "C-2", _counts_csv(tmp_path / "b.csv", T0 + 4 * 86400, 4 * 1440))
        (entry,) = s.pending("C-2")
        assert not entry.full
        (res,) = refresh(s, "C-2")
        assert res.ok
        after = s.stored_count_sleep("C-2")[0]
        assert len(after) > len(before) and after[:len(before) - 1] == before[:-1]
        rhythm_after = s.stored_count_rhythm("C-2", True)
        assert rhythm_before is not None and rhythm_after is not None
        assert rhythm_after["n_days"] == pytest.approx(rhythm_before["n_days"] + 4)
        _assert_stored_equal_computed(s, "C-2")


def test_a_patient_without_counts_has_no_count_figures(tmp_path: Path) -> None:
    """A wearable's patient and an ENMO-only import's patient: refreshed, no count rows;
    a patient with counts beside them has its own."""
    with Store(tmp_path / "w.db") as s:
        s.add_patient("W-1", "UTC")
        s.add_device(1, "W-1")
        s.ingest(1, make_wearer(3).records)
        rows = "".join(f"{T0 + 30 * i},{20 + i % 9}\n" for i in range(2 * 2880))
        (tmp_path / "e.csv").write_text("timestamp,enmo\n" + rows)
        import_epoch_csv(s, "E-1", tmp_path / "e.csv", tz="UTC")
        import_epoch_csv(s, "C-3", _counts_csv(tmp_path / "c.csv", T0, 2 * 1440), tz="UTC")
        assert all(r.ok for r in refresh(s))
        for pid in ("W-1", "E-1"):
            assert s.stored_count_sleep(pid) == ([], None)
            assert s.stored_count_rhythm(pid) is None
            assert s.stored_count_rhythm(pid, True) is None
        assert s.stored_count_sleep("C-3")[0]
        assert s.stored_count_rhythm("C-3") is not None


# --- migration v18 on a database that holds counts ----------------------------------

V17_EPOCH = ("device_id, seq, time_off, flags, enmo_dmg, mad_dmg, zangle_deg, dangle_ddeg, "
             "steps, temp_hc, sync_id, utc, counts")


def _connect(location: Path | str) -> Any:
    if isinstance(location, Path):
        return sqlite3.connect(location, isolation_level=None)
    from wearlog.store import pg

    return pg.connect(str(location))


def _v17_database(location: Path | str, awd: Path) -> None:
    """A database at v17 as that Wearlog left it after a refresh: two patients with
    imported counts (one still queued for an incremental refresh), one with a wearable
    and no counts, nothing waiting otherwise."""
    start, epoch_s, counts = read_awd(awd)
    t0 = int(start.replace(tzinfo=dt.UTC).timestamp())  # the patients' zone is UTC
    conn = _connect(location)
    try:
        assert migrate(conn, target=17) == 17
        conn.execute("BEGIN")
        for pid, dev, kind in (("A-old", -1, "import-counts"), ("Q-old", -2, "import-counts"),
                               ("W-old", 3, "wearable")):
            conn.execute("INSERT INTO patients (patient_id, tz) VALUES (?, 'UTC')", (pid,))
            conn.execute("INSERT INTO devices (device_id, patient_id, kind, epoch_s) "
                         "VALUES (?, ?, ?, ?)", (dev, pid, kind, epoch_s))
            conn.execute("INSERT INTO device_assignments (device_id, patient_id, from_seq) "
                         "VALUES (?, ?, 0)", (dev, pid))
            conn.execute("INSERT INTO patient_analysis (patient_id, refreshed_utc, method) "
                         "VALUES (?, 1, ?)", (pid, method_id()))  # this Wearlog's analysis
        conn.execute("INSERT INTO syncs (device_id, started_utc, sync_uid) VALUES (-1, 1, 'u')")
        for dev, part in ((-1, counts), (-2, counts[:3 * 1440])):
            conn.executemany(
                f"INSERT INTO epochs ({V17_EPOCH}) VALUES (?,?,0,0,0,0,0,0,0,0,1,?,?)",
                [(dev, i, t0 + epoch_s * i, c)
                 for i, (_, c) in enumerate(part)])
        conn.execute("INSERT INTO refresh_queue (patient_id, from_utc, to_utc, full, "
                     "queued_utc, gen) VALUES ('Q-old', ?, ?, 0, 1, 3)", (t0, t0 + 3600))
        conn.execute("COMMIT")
    finally:
        conn.close()


def test_v18_gives_an_existing_database_its_figures_at_the_next_refresh(
        db_location: Any, pyact_awd: dict[str, Path]) -> None:
    """After the upgrade the patients with counts are queued for a full refresh (the
    one already queued too), the wearable's is not; the next refresh stores their
    figures, equal to count_sleep's and count_rhythm's."""
    _v17_database(db_location, pyact_awd["example01"])
    with Store(db_location) as s:
        assert s.stored_count_sleep("A-old") == ([], None)
        queued = {e.patient_id: e for e in s.pending()}
        assert set(queued) == {"A-old", "Q-old"}
        assert queued["A-old"].full and queued["Q-old"].full and queued["Q-old"].gen == 4
        results = refresh(s)
        assert {r.patient_id for r in results} == {"A-old", "Q-old"}
        assert all(r.ok and r.full for r in results), results
        for pid in ("A-old", "Q-old"):
            assert s.stored_count_sleep(pid)[0]
            _assert_stored_equal_computed(s, pid)
        assert s.stored_count_rhythm("W-old") is None
