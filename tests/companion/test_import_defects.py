"""Regression tests for the import defects of issues 12 (item 5, 7) and 14 (items 7, 8).

Each test names the defect it pins down; each failed on the code before the fix.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
from collections import Counter
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from wearlog.analysis import analyse_patient
from wearlog.analysis.timeline import load_timeline
from wearlog.cli import main
from wearlog.imports import BadCsvError, EpochOptions, count_sleep, import_epoch_csv
from wearlog.store import Store

T0 = 1_780_000_020  # a whole minute of UTC


def write(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


@pytest.fixture
def store(tmp_path: Path):
    s = Store(tmp_path / "d.db")
    s.add_patient("R-1", "UTC")
    yield s
    s.close()


def cli(*args: str):
    return CliRunner().invoke(main, list(args))


# --- issue 12.5: epochs that divide 30 s, day-first dates, ENMO unit --------------------

def test_15_s_epochs_are_aggregated_enmo_by_mean_counts_by_sum(store: Store,
                                                                tmp_path: Path) -> None:
    rows = [[T0 + 15 * i, 10 + i, i] for i in range(8)]
    p = write(tmp_path / "15s.csv", ["timestamp", "enmo", "counts"], rows)
    r = import_epoch_csv(store, "R-1", p)
    assert (r.epoch_s, r.source_epoch_s, r.rows, r.incomplete) == (30, 15, 4, 0)
    got = store.conn.execute("SELECT utc, enmo_dmg, counts FROM epochs ORDER BY seq").fetchall()
    assert got == [(T0 + 30 * k, round((10.5 + 2 * k) * 10), 4 * k + 1) for k in range(4)]


def test_sub_30_s_epochs_off_the_half_minute_give_partial_edge_epochs(store: Store,
                                                                     tmp_path: Path) -> None:
    rows = [[T0 + 10 + 10 * i, 5, 1] for i in range(9)]  # :10 .. :90 in 10-s steps
    r = import_epoch_csv(store, "R-1", write(tmp_path / "10s.csv",
                                             ["timestamp", "enmo", "counts"], rows))
    assert (r.rows, r.incomplete) == (4, 2)
    assert store.conn.execute("SELECT SUM(counts) FROM epochs").fetchone()[0] == 9


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(epoch=st.sampled_from([1, 2, 3, 5, 6, 10, 15]),
       counts=st.lists(st.integers(0, 5000), min_size=2, max_size=120),
       drop=st.sets(st.integers(1, 119), max_size=30))
def test_aggregation_loses_no_count(tmp_path_factory: pytest.TempPathFactory, epoch: int,
                                    counts: list[int], drop: set[int]) -> None:
    """Nothing lost: every count of the file is in exactly one stored 30-s epoch."""
    rows = [[T0 + epoch * i, c] for i, c in enumerate(counts) if i not in drop or i == 0]
    gaps = Counter(b[0] - a[0] for a, b in zip(rows, rows[1:], strict=False))
    # the file's epoch is its most common spacing: gaps must not hide it
    assume(len(rows) >= 2 and gaps.most_common(1)[0] == (epoch, max(gaps.values())))
    d = tmp_path_factory.mktemp("agg")
    s = Store(d / "a.db")
    s.add_patient("R-1")
    p = write(d / "a.csv", ["timestamp", "counts"], rows)
    import_epoch_csv(s, "R-1", p)
    total, n = s.conn.execute("SELECT SUM(counts), COUNT(*) FROM epochs").fetchone()
    assert total == sum(c for _, c in rows)
    assert n == len({t // 30 for t, _ in rows})
    s.close()


def test_day_first_dates_need_and_take_a_time_format(tmp_path: Path) -> None:
    db = str(tmp_path / "t.db")
    rows = [[f"{d:02d}/03/2026 {h:02d}:{m:02d}", 20] for d in (2, 3) for h in range(24)
            for m in (0, 1)]
    p = write(tmp_path / "dmy.csv", ["time", "enmo"], rows)
    res = cli("import", str(p), "--patient", "D-1", "--tz", "UTC", "--db", db)
    assert res.exit_code == 1 and "--time-format" in res.output and "line 2" in res.output
    res = cli("import", str(p), "--patient", "D-1", "--tz", "UTC", "--db", db,
              "--time-format", "%d/%m/%Y %H:%M")
    assert res.exit_code == 0, res.output
    s = Store(db)
    first = s.conn.execute("SELECT MIN(utc) FROM epochs").fetchone()[0]
    assert first == dt.datetime(2026, 3, 2, tzinfo=dt.UTC).timestamp()  # 2 March, not 3 Feb
    s.close()


def enmo_g_rows(n: int) -> list[list[object]]:
    # a real-looking night in g: mostly 0.00x g, some turns at 0.05-0.3 g
    return [[T0 + 30 * i, round(0.002 + (0.25 if i % 97 == 0 else 0.0) + 0.001 * (i % 3), 4)]
            for i in range(n)]


def test_enmo_in_g_declared_as_mg_is_refused_and_g_is_scaled(store: Store,
                                                             tmp_path: Path) -> None:
    p = write(tmp_path / "g.csv", ["timestamp", "enmo"], enmo_g_rows(766))
    with pytest.raises(BadCsvError, match="look like g.*--enmo-unit g"):
        import_epoch_csv(store, "R-1", p)
    assert store.counts()["epochs"] == 0
    r = import_epoch_csv(store, "R-1", p, options=EpochOptions(enmo_unit="g"))
    assert r.new == 766
    top = store.conn.execute("SELECT MAX(enmo_dmg) FROM epochs").fetchone()[0]
    assert top == round(0.254 * 1000 * 10)  # 254 mg, not 0
    zeros = store.conn.execute("SELECT COUNT(*) FROM epochs WHERE enmo_dmg=0").fetchone()[0]
    assert zeros == 0


def test_enmo_in_mg_declared_as_g_is_refused(store: Store, tmp_path: Path) -> None:
    rows = [[T0 + 30 * i, 15 + (i % 40)] for i in range(200)]
    p = write(tmp_path / "mg.csv", ["timestamp", "enmo"], rows)
    with pytest.raises(BadCsvError, match="look like mg"):
        import_epoch_csv(store, "R-1", p, options=EpochOptions(enmo_unit="g"))
    # the same through the CLI: one line, no traceback, nothing stored
    res = cli("import", str(p), "--patient", "R-1", "--enmo-unit", "g", "--db", str(store.path))
    assert res.exit_code == 1 and "Traceback" not in res.output and "look like mg" in res.output
    assert store.counts()["epochs"] == 0


# --- issue 12.5: several imports for one patient never overwrite each other ----------

def test_an_enmo_and_a_counts_import_keep_both_measurements(store: Store,
                                                            tmp_path: Path) -> None:
    n = 2 * 2880
    enmo = [[T0 + 30 * i, round(30 + 25 * math.sin(i / 40), 1)] for i in range(n)]
    counts = [[T0 + 60 * i, 100 + i % 50] for i in range(n // 2)]
    import_epoch_csv(store, "R-1", write(tmp_path / "e.csv", ["timestamp", "enmo"], enmo))
    before = analyse_patient(store, "R-1")
    import_epoch_csv(store, "R-1", write(tmp_path / "c.csv", ["timestamp", "counts"], counts))
    tl = load_timeline(store, "R-1")
    assert tl is not None
    i0 = tl.index(T0)
    assert np.allclose(tl.enmo[i0:i0 + n], [e for _, e in enmo])
    assert tl.enmo_known[i0:i0 + n].all()
    after = analyse_patient(store, "R-1")
    assert [d["sedentary_min"] for d in after.days] == [d["sedentary_min"] for d in before.days]
    assert sum(c["sleep_min"] for c in count_sleep(store, "R-1")) >= 0  # counts still there
    assert len(store.devices_of("R-1")) == 2


# --- issue 12.7: report after any import, SRI only where sleep was scored, export -----

def test_report_after_a_30_s_counts_import_does_not_crash(tmp_path: Path) -> None:
    db = str(tmp_path / "c.db")
    rows = [[T0 + 30 * i, (0 if 1200 < i % 2880 < 2100 else 200 + i % 90)]
            for i in range(3 * 2880)]
    p = write(tmp_path / "c30.csv", ["timestamp", "counts"], rows)
    res = cli("import", str(p), "--patient", "C-1", "--tz", "UTC", "--db", db)
    assert res.exit_code == 0, res.output
    res = cli("report", "--patient", "C-1", "--db", db)
    assert res.exit_code == 0, res.output
    assert "Traceback" not in res.output and "Count-based sleep" in res.output


def test_no_sleep_regularity_index_when_no_sleep_was_scored(store: Store,
                                                             tmp_path: Path) -> None:
    # three days of steady daytime-like activity with a moving arm: no sleep period
    rows = [[T0 + 30 * i, 60 + (i % 11), ((i * 37) % 120) - 60] for i in range(3 * 2880)]
    import_epoch_csv(store, "R-1", write(tmp_path / "a.csv", ["timestamp", "enmo", "angle"],
                                         rows))
    s = analyse_patient(store, "R-1")
    assert all(n["onset_utc"] is None for n in s.nights)  # precondition: nothing scored
    assert s.rhythm["SRI"] is None
    res = cli("report", "--patient", "R-1", "--db", str(store.path))
    assert res.exit_code == 0 and "Sleep Regularity Index" not in res.output


def test_export_writes_per_epoch_sleep_wear_and_period(tmp_path: Path) -> None:
    from wearlog.testing.epochs import make_wearer

    db = tmp_path / "x.db"
    s = Store(db)
    s.add_patient("X-1", "UTC")
    s.add_device(7, "X-1")
    s.ingest(7, make_wearer(3).records)
    s.close()
    out = tmp_path / "epochs.csv"
    res = cli("export", "--patient", "X-1", "--out", str(out), "--db", str(db))
    assert res.exit_code == 0, res.output
    with out.open() as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["utc", "local_time", "worn", "in_sleep_period", "sleep"]
    inside = [r for r in rows if r["in_sleep_period"] == "1" and r["worn"] == "1"]
    outside = [r for r in rows if r["in_sleep_period"] == "0"]
    assert inside and outside
    assert {r["sleep"] for r in inside} <= {"0", "1"} and "1" in {r["sleep"] for r in inside}
    assert {r["sleep"] for r in outside} == {""}
    s = Store(db)
    nights = s.conn.execute("SELECT onset_utc, offset_utc FROM nights WHERE onset_utc "
                            "IS NOT NULL").fetchall()
    s.close()
    n_in = sum((b - a) // 30 for a, b in nights)
    assert abs(sum(r["in_sleep_period"] == "1" for r in rows) - n_in) <= len(nights)


# --- issue 14.7: all-or-nothing and idempotent ----------------------------------------

def test_a_failed_import_creates_no_patient_and_changes_no_zone(tmp_path: Path) -> None:
    db = str(tmp_path / "f.db")
    bad = write(tmp_path / "bad.csv", ["timestamp", "enmo"], [[T0, 5], [T0 + 30, "x"]])
    res = cli("import", str(bad), "--patient", "F-1", "--tz", "Europe/Paris", "--db", db)
    assert res.exit_code == 1 and "nothing was imported" in res.output
    s = Store(db)
    assert s.counts()["patients"] == 0 and s.counts()["devices"] == 0
    s.add_patient("F-1", "Asia/Tokyo")
    s.close()
    res = cli("import", str(bad), "--patient", "F-1", "--tz", "Europe/Paris", "--db", db)
    assert res.exit_code == 1
    s = Store(db)
    assert s.patient("F-1")["tz"] == "Asia/Tokyo"
    s.close()


def test_a_renamed_copy_or_another_zone_is_not_stored_twice(tmp_path: Path) -> None:
    db = str(tmp_path / "r.db")
    rows = [[(dt.datetime(2026, 5, 1) + dt.timedelta(seconds=30 * i)).isoformat(), 20 + i % 7]
            for i in range(300)]
    p = write(tmp_path / "a.csv", ["time", "enmo"], rows)
    res = cli("import", str(p), "--patient", "N-1", "--tz", "Europe/Berlin", "--db", db)
    assert res.exit_code == 0 and "300 new of 300" in res.output
    copy = tmp_path / "renamed copy.csv"
    copy.write_bytes(p.read_bytes())
    res = cli("import", str(copy), "--patient", "N-1", "--db", db)
    assert res.exit_code == 0 and "0 new of 300" in res.output, res.output
    res = cli("import", str(copy), "--patient", "N-1", "--tz", "America/New_York", "--db", db)
    assert res.exit_code == 1 and "already imported" in res.output, res.output
    s = Store(db)
    assert s.counts()["epochs"] == 300
    assert s.patient("N-1")["tz"] == "Europe/Berlin"  # the refused import changed nothing
    s.close()


# --- issue 14.8: line numbers -----------------------------------------------------------

def test_line_numbers_after_blank_lines_and_for_bad_spacing(store: Store,
                                                            tmp_path: Path) -> None:
    lines = ["timestamp,enmo", f"{T0},5", "", "", f"{T0 + 30},5", "", f"{T0 + 60},5",
             "", "", "", "", "", "", f"{T0 + 75},5"]
    p = tmp_path / "blank.csv"
    p.write_text("\n".join(lines) + "\n")
    with pytest.raises(BadCsvError) as ei:
        import_epoch_csv(store, "R-1", p)
    assert ei.value.line == 14 and "grid" in str(ei.value)
    lines = ["timestamp,enmo", f"{T0},5", "", f"{T0 + 45},5", f"{T0 + 90},5"]
    p.write_text("\n".join(lines) + "\n")
    with pytest.raises(BadCsvError) as ei:
        import_epoch_csv(store, "R-1", p)
    assert ei.value.line == 4 and "45 s apart" in str(ei.value)


def test_a_latin_1_byte_is_reported_at_its_line(store: Store, tmp_path: Path) -> None:
    p = tmp_path / "latin1.csv"
    p.write_bytes(f"timestamp,enmo,note\n{T0},5,a\n{T0 + 30},5,b\n{T0 + 60},5,caf\xe9\n"
                  .encode("latin-1"))
    with pytest.raises(BadCsvError) as ei:
        import_epoch_csv(store, "R-1", p)
    assert ei.value.line == 4 and "UTF-8" in str(ei.value) and "0xE9" in str(ei.value)


def test_the_repeated_hour_at_the_autumn_change_is_read_as_such(tmp_path: Path) -> None:
    s = Store(tmp_path / "dst.db")
    s.add_patient("B-1", "Europe/Berlin")
    # local wall-clock 00:00 .. 05:00 on 25 Oct 2026: 02:00-02:59 appears twice
    tz = ZoneInfo("Europe/Berlin")
    start = dt.datetime(2026, 10, 25, 0, 0, tzinfo=tz).timestamp()
    times = [dt.datetime.fromtimestamp(start + 60 * i, tz).replace(tzinfo=None)
             for i in range(6 * 60)]
    assert len(set(times)) == 5 * 60  # the file really repeats an hour
    p = write(tmp_path / "dst.csv", ["time", "enmo"], [[t.isoformat(), 10] for t in times])
    r = import_epoch_csv(s, "B-1", p)
    assert r.new == 6 * 60
    utc = [u for (u,) in s.conn.execute("SELECT utc FROM epochs ORDER BY utc")]
    assert utc == [start + 60 * i for i in range(6 * 60)]
    # a row that really goes back is explained by the clock change, not "not sorted"
    bad = [[t.isoformat(), 10] for t in times[:200]] + [[times[190].isoformat(), 10]]
    with pytest.raises(BadCsvError, match="clocks went back"):
        import_epoch_csv(s, "B-1", write(tmp_path / "dst2.csv", ["time", "enmo"], bad))
    s.close()


def _files(tmp_path: Path) -> list[tuple[list[str], Path]]:
    n = 3 * 2880
    act = [(0 if 1200 < i % 2880 < 2100 else 150 + i % 70) for i in range(n)]
    out = []
    for name, header, rows in (
        ("enmo", ["timestamp", "enmo"], [[T0 + 30 * i, a / 5] for i, a in enumerate(act)]),
        ("angle", ["timestamp", "enmo", "angle"],
         [[T0 + 30 * i, a / 5, (i * 7) % 60 - 30 if a else 10] for i, a in enumerate(act)]),
        ("c15", ["timestamp", "counts"], [[T0 + 15 * i, a] for i, a in enumerate(act)]),
        ("c30", ["timestamp", "counts"], [[T0 + 30 * i, a] for i, a in enumerate(act)]),
        ("c60", ["timestamp", "counts"], [[T0 + 60 * i, a] for i, a in enumerate(act)]),
        ("c120", ["timestamp", "counts"], [[T0 + 120 * i, a] for i, a in enumerate(act)]),
    ):
        out.append(([], write(tmp_path / f"{name}.csv", header, rows)))
    awd = tmp_path / "x.AWD"
    awd.write_text("\n".join(["s", "02-Mar-2026", "22:00", "1", "40", "V1", "F"]
                             + [str(a) for a in act]) + "\n")
    out.append((["--format", "awd"], awd))
    return out


def test_report_and_export_work_after_every_kind_of_import(tmp_path: Path) -> None:
    """Issue 12.7: no crash after any import (each kind alone, then all together)."""
    files = _files(tmp_path)
    together = str(tmp_path / "all.db")
    for k, (opts, p) in enumerate(files):
        for db in (str(tmp_path / f"{k}.db"), together):
            res = cli("import", str(p), *opts, "--patient", "K-1", "--tz", "UTC", "--db", db)
            assert res.exit_code == 0, (p.name, res.output)
            res = cli("report", "--patient", "K-1", "--db", db)
            assert res.exit_code == 0 and "Traceback" not in res.output, (p.name, res.output)
            res = cli("export", "--patient", "K-1", "--out", str(tmp_path / "e.csv"),
                      "--db", db)
            assert res.exit_code == 0, (p.name, res.output)
    res = cli("report", "--patient", "K-1", "--db", str(tmp_path / "5.db"))
    assert "not scored" in res.output and "120-s" in res.output  # says why, does not crash


def test_a_local_time_skipped_in_spring_is_refused_as_such(store: Store, tmp_path: Path) -> None:
    rows = [["2026-03-29T01:59:00", 5], ["2026-03-29T02:30:00", 5]]
    with pytest.raises(BadCsvError, match="does not exist in Europe/Berlin") as ei:
        import_epoch_csv(store, "R-1", write(tmp_path / "s.csv", ["time", "enmo"], rows),
                         tz="Europe/Berlin")
    assert ei.value.line == 3


def test_a_database_with_a_per_file_import_device_is_reused_not_duplicated(
        store: Store, tmp_path: Path) -> None:
    """Before content keys, each file name had its own import device: re-importing that
    file now must land on it, not store every row again under a new device."""
    store.add_device(-12345, "R-1", name="import: old.csv", kind="import-enmo", epoch_s=30)
    p = write(tmp_path / "old.csv", ["timestamp", "enmo"], [[T0 + 30 * i, 9] for i in range(50)])
    r = import_epoch_csv(store, "R-1", p)
    assert r.device_id == -12345 and r.new == 50
    assert import_epoch_csv(store, "R-1", p).new == 0
    assert store.counts()["devices"] == 1


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(n=st.integers(4, 200), shift=st.integers(-100, 100), counts_first=st.booleans(),
       seed=st.integers(0, 1000), pid=st.from_regex(r"[A-Z]-[0-9]{1,4}", fullmatch=True))
def test_overlapping_enmo_and_counts_imports_never_overwrite_each_other(
        tmp_path_factory: pytest.TempPathFactory, n: int, shift: int, counts_first: bool,
        seed: int, pid: str) -> None:
    """Nothing lost: whatever the overlap, the order and the devices' ids (the patient id
    seeds them), ENMO comes from the ENMO file and the counts from the counts file."""
    rng = np.random.default_rng(seed)
    enmo = [[T0 + 30 * i, float(rng.integers(0, 3000)) / 10] for i in range(n)]
    counts = [[T0 + 30 * (i + shift), int(rng.integers(0, 900))] for i in range(n)]
    d = tmp_path_factory.mktemp("mix")
    s = Store(d / "m.db")
    s.add_patient(pid)
    pe = write(d / "e.csv", ["timestamp", "enmo"], enmo)
    pc = write(d / "c.csv", ["timestamp", "counts"], counts)
    for p in ([pc, pe] if counts_first else [pe, pc]):
        import_epoch_csv(s, pid, p)
    tl = load_timeline(s, pid)
    assert tl is not None
    idx = [tl.index(t) for t, _ in enmo]
    assert np.allclose(tl.enmo[idx], [e for _, e in enmo])
    assert tl.enmo_known[idx].all()
    stored = dict(s.conn.execute("SELECT utc, counts FROM epochs WHERE counts IS NOT NULL"))
    assert stored == {t: c for t, c in counts}
    s.close()
