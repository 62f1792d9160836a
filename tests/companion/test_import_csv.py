"""Researcher imports: generic epoch CSV, raw accelerometer CSV, count-based scoring."""

from __future__ import annotations

import csv
import datetime as dt
import math
from array import array
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wearlog.analysis.counts import cole_kripke
from wearlog.imports import (
    BadCsvError,
    count_sleep,
    import_epoch_csv,
    import_raw_csv,
    read_awd,
)
from wearlog.store import Store

T0 = 1_780_000_020  # a whole minute (and 30 s) of UTC


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(tmp_path / "i.db")
    s.add_patient("R-01", "Europe/Zurich")
    yield s
    s.close()


def write(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


def enmo_rows(n: int, t0: int = T0, step: int = 30) -> list[list[object]]:
    return [[t0 + step * i, round(20 + 10 * math.sin(i / 5), 1), (i % 7) - 3] for i in range(n)]


def test_epoch_csv_imports_once_and_reimport_adds_only_new(store: Store, tmp_path: Path) -> None:
    p = write(tmp_path / "study.csv", ["timestamp", "ENMO", "angle"], enmo_rows(100))
    r = import_epoch_csv(store, "R-01", p)
    assert (r.rows, r.new, r.epoch_s, r.kind) == (100, 100, 30, "import-enmo-angle")
    assert import_epoch_csv(store, "R-01", p).new == 0
    # a longer export of the same study: only the 50 new epochs are added
    write(tmp_path / "study.csv", ["timestamp", "ENMO", "angle"], enmo_rows(150))
    assert import_epoch_csv(store, "R-01", p).new == 50
    row = store.conn.execute(
        "SELECT enmo_dmg, zangle_deg, utc FROM epochs WHERE device_id=? ORDER BY seq LIMIT 1",
        (r.device_id,)).fetchone()
    assert row == (200, -3, T0)
    assert store.device(r.device_id)["patient_id"] == "R-01"


def test_iso_times_in_the_patients_zone(store: Store, tmp_path: Path) -> None:
    rows = [["2026-07-01T00:00:00", 12.5], ["2026-07-01T00:01:00", 30.0]]
    r = import_epoch_csv(store, "R-01", write(tmp_path / "iso.csv", ["time", "enmo"], rows))
    first = store.conn.execute("SELECT MIN(utc) FROM epochs").fetchone()[0]
    # 00:00 CEST = 22:00 UTC the day before
    assert first == dt.datetime(2026, 6, 30, 22, 0, tzinfo=dt.UTC).timestamp()
    assert r.epoch_s == 60 and r.kind == "import-enmo"


BAD = [
    # (header, rows, line, column, message fragment)
    (["timestamp", "enmo"], [[T0, 5], [T0 + 30, "abc"]], 3, "enmo", "not a number"),
    (["timestamp", "enmo"], [[T0, 5], [T0 + 30, ""]], 3, "enmo", "missing"),
    (["timestamp", "enmo", "angle"], [[T0, 5, 0], [T0 + 30, 5, 91]], 3, "angle", "outside"),
    (["timestamp", "enmo"], [[T0, 5], [T0 + 30, 5], [T0 + 30, 6]], 4, "timestamp", "increase"),
    (["timestamp", "enmo"], [[T0, 5], [T0 + 45, 5]], 3, "timestamp", "multiples of 30"),
    (["timestamp", "enmo"], [[T0, 5], [T0 + 30, 5], [T0 + 75, 5]], 4, "timestamp", "grid"),
    (["timestamp", "enmo"], [[T0, 5], ["yesterday", 5]], 3, "timestamp", "ISO 8601"),
    (["timestamp", "enmo"], [[T0, -1]], 2, "enmo", "outside"),
    (["timestamp", "counts"], [[T0, 5], [T0 + 60, 2.5]], 3, "counts", "whole"),
    (["timestamp", "light"], [[T0, 5]], 1, None, "'enmo' (mg) or a 'counts'"),
    (["when", "enmo"], [[T0, 5]], 1, None, "no column named 'timestamp'"),
]


@pytest.mark.parametrize(("header", "rows", "line", "column", "fragment"), BAD)
def test_bad_epoch_csv_names_line_and_column_and_stores_nothing(
        store: Store, tmp_path: Path, header, rows, line, column, fragment) -> None:
    p = write(tmp_path / "bad.csv", header, rows)
    with pytest.raises(BadCsvError) as ei:
        import_epoch_csv(store, "R-01", p)
    assert ei.value.line == line and ei.value.column == column
    assert fragment in str(ei.value) and f"line {line}" in str(ei.value)
    assert store.counts()["epochs"] == 0 and store.counts()["devices"] == 0


def test_empty_file(store: Store, tmp_path: Path) -> None:
    p = tmp_path / "empty.csv"
    p.write_text("")
    with pytest.raises(BadCsvError, match="empty"):
        import_epoch_csv(store, "R-01", p)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(row=st.integers(0, 39), col=st.integers(0, 2),
       junk=st.sampled_from(["", "x", "nan", "1e999", "-5", "95", "  ", "1,2"]))
def test_any_corrupted_cell_is_reported_at_its_line_with_nothing_stored(
        tmp_path_factory: pytest.TempPathFactory, row: int, col: int, junk: str) -> None:
    d = tmp_path_factory.mktemp("h")
    s = Store(d / "h.db")
    s.add_patient("R-01")
    rows = enmo_rows(40)
    rows[row][col] = junk
    p = write(d / "h.csv", ["timestamp", "enmo", "angle"], rows)
    try:
        r = import_epoch_csv(s, "R-01", p)
    except BadCsvError as e:
        assert s.counts()["epochs"] == 0
        # the line named is the corrupted one, or (for a corrupted time) the one after it
        assert e.line in (row + 2, row + 3)
    else:
        # only values that are valid in that column can pass ("-5" as an angle)
        assert r.new == 40 and s.counts()["epochs"] == 40
    s.close()


def test_counts_import_and_cole_kripke_on_a_real_recording(
        store: Store, tmp_path: Path, pyact_awd: dict[str, Path]) -> None:
    """pyActigraphy's example01 (real Actiwatch counts) through import and nightly scoring."""
    start, _, counts = read_awd(pyact_awd["example01"])
    rows = [[(start + dt.timedelta(minutes=i)).isoformat(), c] for i, (_, c) in enumerate(counts)]
    p = write(tmp_path / "example01.csv", ["timestamp", "counts"], rows[: 3 * 1440])
    r = import_epoch_csv(store, "R-01", p)
    assert r.kind == "import-counts" and r.epoch_s == 60 and r.new == 3 * 1440
    nights = count_sleep(store, "R-01", "cole-kripke")
    x = np.array([float(c) for _, c in rows[: 3 * 1440]])
    assert sum(n["sleep_min"] for n in nights) == int(cole_kripke(x).sum())
    assert all(0 <= n["sleep_min"] <= 1440 for n in nights)
    assert len(count_sleep(store, "R-01", "sadeh")) >= 3


def raw_rows(seconds: int, rate: int, t0: float, moving_from: int) -> list[list[object]]:
    out = []
    for i in range(seconds * rate):
        t = t0 + i / rate
        if i >= moving_from * rate:  # arm swinging ~2 Hz
            ph = 2 * math.pi * 2 * t
            x, y, z = 0.6 * math.sin(ph), 0.3, 0.8 + 0.5 * math.cos(ph)
        else:
            x, y, z = 0.0, 0.05, 0.99
        out.append([f"{t:.3f}", f"{x:.4f}", f"{y:.4f}", f"{z:.4f}"])
    return out


def test_raw_csv_goes_through_the_firmware_feature_code(store: Store, tmp_path: Path) -> None:
    from wlfw.rawfeatures import epochs_from_samples

    rows = raw_rows(125, 25, T0 - 5, moving_from=65)
    p = write(tmp_path / "raw.csv", ["t", "x", "y", "z"], rows)
    r = import_raw_csv(store, "R-01", p)
    assert r.kind == "import-raw" and r.rows == 4  # 120 s of whole epochs after T0
    got = store.conn.execute(
        "SELECT time, flags, enmo_dmg, mad_dmg, zangle_deg, dangle_ddeg, steps FROM epochs "
        "ORDER BY seq").fetchall()
    # the same samples straight through wlfw give the same epochs
    samples = array("h", [round(float(v) * 1000) for row in rows[125:] for v in row[1:]])
    want = [e.fields()[1:8] for e in epochs_from_samples(samples, 25, 30, 1000, T0)]
    assert got == want
    assert got[0][0] == T0
    assert got[0][2] < 100 < got[-1][2]  # still, then moving: ENMO rises
    assert import_raw_csv(store, "R-01", p).new == 0


def test_raw_csv_gap_is_reported_with_its_line(store: Store, tmp_path: Path) -> None:
    rows = raw_rows(40, 25, T0, moving_from=100)
    del rows[300:310]
    p = write(tmp_path / "gap.csv", ["t", "x", "y", "z"], rows)
    with pytest.raises(BadCsvError, match=r"line 302.*gap"):
        import_raw_csv(store, "R-01", p)
    rows = raw_rows(40, 25, T0, moving_from=100)
    rows[7][2] = "20"  # 20 g is not an accelerometer reading
    p = write(tmp_path / "big.csv", ["t", "x", "y", "z"], rows)
    with pytest.raises(BadCsvError, match="line 9, column 'y'"):
        import_raw_csv(store, "R-01", p)
    assert store.counts()["epochs"] == 0
