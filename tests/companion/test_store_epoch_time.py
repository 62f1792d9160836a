"""Migration v15: epochs keep their device time as `time_off = time - IFNULL(utc, 0)`
with `time` a generated column (4 bytes less per epoch written with the clock set).

A database of the version before, holding every kind of epoch (clock set, never set,
re-anchored, values beyond the wire ranges, counts, sync links), reads back the same
rows after the upgrade, through the table and the record views, on SQLite and
PostgreSQL; the time-range reads still go through the epochs_utc index."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wearlog.store import Store
from wearlog.store.columns import EPOCH_COLS, EPOCH_STORED
from wearlog.store.migrations import LATEST, MIGRATIONS, _v15, current_version, migrate
from wlproto.const import EV_BOOT, EV_CLOCK_SET, FLAG_CLOCK_UNSET
from wlproto.records import Epoch, Event

V = MIGRATIONS.index(_v15) + 1  # the step storing time_off
BEFORE = V - 1
T0 = 1_790_000_000
# the columns every version from v3 on has (field-table columns come after the steps)
OLD_COLS = ("device_id", "seq", "time", "flags", "enmo_dmg", "mad_dmg", "zangle_deg",
            "dangle_ddeg", "steps", "temp_hc", "utc", "counts", "sync_id")
READ = ", ".join(EPOCH_COLS)

ROW = st.tuples(
    st.one_of(st.integers(0, (1 << 32) - 1), st.integers(-(1 << 40), 1 << 40)),  # time
    st.sampled_from(["same", "none", "other"]),  # utc = time / NULL / re-anchored
    st.integers(-(1 << 40), 1 << 40),  # a re-anchored utc
    st.integers(0, 7), st.integers(-3, 70_000), st.integers(0, 70_000),
    st.integers(-200, 200), st.integers(0, 3000), st.integers(0, 3000),
    st.integers(-128, 127), st.one_of(st.none(), st.integers(0, 1 << 20)),
    st.one_of(st.none(), st.just(1)),
)


def _old_rows(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    out = []
    for seq, (t, how, other, fl, en, md, z, da, stp, temp, counts, sync) in enumerate(rows):
        utc = t if how == "same" else None if how == "none" else other
        if how != "same":
            fl |= FLAG_CLOCK_UNSET
        out.append((5, seq, t, fl, en, md, z, da, stp, temp, utc, counts, sync))
    return out


def _open(location: Path | str) -> Any:
    if isinstance(location, Path):
        return sqlite3.connect(location, isolation_level=None)
    from wearlog.store import pg

    return pg.connect(str(location))


def _old_database(location: Path | str, rows: list[tuple[Any, ...]]) -> None:
    """A database at the version before v15, with these epochs (as that version wrote)."""
    conn = _open(location)
    try:
        assert migrate(conn, target=BEFORE) == BEFORE
        conn.execute("BEGIN")
        conn.execute("INSERT INTO patients (patient_id, tz) VALUES ('P-1', 'UTC')")
        conn.execute("INSERT INTO devices (device_id, patient_id) VALUES (5, 'P-1')")
        conn.execute("INSERT INTO device_assignments (device_id, patient_id, from_seq) "
                     "VALUES (5, 'P-1', 0)")
        conn.execute("INSERT INTO syncs (device_id, started_utc, sync_uid) VALUES (5, 1, 'u')")
        conn.executemany(f"INSERT INTO epochs ({', '.join(OLD_COLS)}) VALUES "
                         f"({', '.join('?' * len(OLD_COLS))})", rows)
        conn.execute("COMMIT")
    finally:
        conn.close()


def _views(s: Store) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    filed = s.conn.execute(f"SELECT patient_id, {READ} FROM filed_epochs "
                           "ORDER BY device_id, seq").fetchall()
    timed = s.conn.execute(f"SELECT patient_id, {READ} FROM timed_epochs "
                           "ORDER BY device_id, seq").fetchall()
    return [tuple(r) for r in filed], [tuple(r) for r in timed]


def _check_upgrade(location: Path | str, rows: list[tuple[Any, ...]]) -> None:
    old = _old_rows(rows)
    _old_database(location, old)
    with Store(location) as s:
        assert s.version == LATEST == current_version(s.conn) >= V
        got = [tuple(r) for r in s.conn.execute(
            f"SELECT {', '.join(OLD_COLS)} FROM epochs ORDER BY device_id, seq").fetchall()]
        assert got == old  # every row, every value, as stored before
        filed, timed = _views(s)
        assert filed == [("P-1", *r) for r in
                         s.conn.execute(f"SELECT {READ} FROM epochs ORDER BY seq").fetchall()]
        assert len(filed) == len(old)
        assert [r[1:] for r in timed] == [tuple(r) for r in s.conn.execute(
            f"SELECT {READ} FROM epochs WHERE utc IS NOT NULL ORDER BY seq").fetchall()]
        # what is kept: time less utc (0 for the clock-set ones), the device time if no utc
        stored = s.conn.execute("SELECT time_off FROM epochs ORDER BY seq").fetchall()
        assert [r[0] for r in stored] == [t - (u or 0) for (_, _, t, *_, u, _c, _s) in old]


def test_upgrade_keeps_every_kind_of_epoch(db_location: Path | str) -> None:
    rows = [
        (T0, "same", 0, 0, 50, 5, 10, 3, 2, 40, None, 1),  # clock set
        (77, "none", 0, 0, 51, 6, -90, 255, 255, -128, None, 1),  # clock never set
        (78, "other", T0 + 5, 0, 52, 7, 90, 0, 0, 127, 12, None),  # re-anchored
        (0, "same", 0, 1, 0, 0, 0, 0, 0, 0, 0, None),  # time 0
        ((1 << 32) - 1, "same", 0, 7, 65535, 65535, -128, 255, 255, 0, None, None),
        (T0 + 60, "other", -(1 << 40), 2, 70_000, -3, 200, 3000, 3000, 5, 1 << 20, 1),
        (-(1 << 40), "same", 0, 0, 1, 1, 1, 1, 1, 1, None, None),  # a clock gone wrong
    ]
    _check_upgrade(db_location, rows)


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(rows=st.lists(ROW, min_size=0, max_size=40))
def test_any_epochs_upgrade_without_loss(tmp_path_factory: Any, rows: list[Any]) -> None:
    _check_upgrade(tmp_path_factory.mktemp("m") / "old.db", rows)


def test_new_epochs_store_the_offset_and_read_back(db_location: Path | str) -> None:
    """Ingest, re-anchoring and the analysis read after the change (both backends)."""
    with Store(db_location) as s:
        s.add_patient("P-1")
        s.add_device(5, "P-1")
        s.ingest(5, [Epoch(0, T0, enmo_dmg=9), Epoch(1, T0 + 30, enmo_dmg=8),
                     Event(2, 100, EV_BOOT, 0, 1, flags=FLAG_CLOCK_UNSET),
                     Epoch(3, 130, FLAG_CLOCK_UNSET, enmo_dmg=7)])
        rows = s.conn.execute("SELECT seq, time, utc, time_off FROM epochs ORDER BY seq")
        assert [tuple(r) for r in rows] == [(0, T0, T0, 0), (1, T0 + 30, T0 + 30, 0),
                                            (3, 130, None, 130)]
        s.record_clock_sync(5, device_time=200, host_time=T0 + 1000, uptime=True)
        s.ingest(5, [Event(4, T0 + 1000, EV_CLOCK_SET, 1, 200)])
        s.reanchor(5)
        rows = s.conn.execute("SELECT seq, time, utc, time_off FROM epochs ORDER BY seq")
        assert [tuple(r) for r in rows][-1] == (3, 130, T0 + 930, 130 - (T0 + 930))
        (dev,) = s.patient_epochs("P-1")
        assert sorted(dev.values[:, 0].tolist()) == [T0, T0 + 30, T0 + 930]
        got = {tuple(r) for r in s.conn.execute(f"SELECT {READ} FROM filed_epochs")}
        assert {(r[1], r[2]) for r in got} == {(0, T0), (1, T0 + 30), (3, 130)}
        # the wire fields go out to an upload as they came in
        eps, _ = s.records_since(5, 0, 10)
        assert [(e["seq"], e["time"]) for e in eps] == [(0, T0), (1, T0 + 30), (3, 130)]


def test_registry_matches_the_table(tmp_path: Path) -> None:
    """EPOCH_STORED names the columns a row is inserted into, GENERATED the computed
    ones, EPOCH_COLS what is read: the migrated table has exactly those."""
    from wearlog.store.columns import GENERATED

    with Store(tmp_path / "w.db") as s:
        info = s.conn.execute("PRAGMA table_xinfo(epochs)").fetchall()
    stored = {r[1] for r in info if r[6] == 0}  # hidden 0: a plain column
    computed = {r[1] for r in info if r[6] != 0}
    assert stored == set(EPOCH_STORED) and computed == set(GENERATED["epochs"])
    assert set(EPOCH_COLS) == (stored - {"time_off"}) | computed


def test_time_range_reads_use_the_utc_index(tmp_path: Path) -> None:
    """EXPLAIN QUERY PLAN of the reads that filter epochs by utc (derived.py, store.py):
    the epochs_utc index, covering where the read needs only keys and utc."""
    from wearlog.store import derived

    with Store(tmp_path / "w.db") as s:
        s.add_patient("P-1")
        s.add_device(5, "P-1")
        s.ingest(5, [Epoch(k, T0 + 30 * k) for k in range(50)])

        def plan(sql: str, args: tuple[Any, ...]) -> str:
            return " | ".join(r[3] for r in s.conn.execute("EXPLAIN QUERY PLAN " + sql, args))

        assert "COVERING INDEX epochs_utc (device_id=? AND utc>? AND utc<?)" in plan(
            derived._SEQS, (5, T0, T0 + 900))
        span = plan(derived._SPAN, ("P-1",))
        assert span.count("COVERING INDEX epochs_utc") == 2, span
        nxt = plan("SELECT MIN(utc) FROM timed_epochs WHERE utc >= ? AND patient_id = ?",
                   (T0, "P-1"))
        assert "INDEX epochs_utc" in nxt, nxt
        rows = plan("SELECT utc, enmo_dmg, flags, steps FROM timed_epochs WHERE "
                    "patient_id=? AND utc >= ? AND utc < ? ORDER BY utc", ("P-1", T0, T0 + 900))
        assert "INDEX epochs_utc" in rows, rows
        unanchored = plan("SELECT seq, time FROM epochs WHERE +device_id=? AND utc IS NULL",
                          (5,))
        assert "epochs_unanchored" in unanchored, unanchored
