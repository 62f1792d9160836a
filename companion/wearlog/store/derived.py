"""Named queries of the refresh step: the queue, the records it reads, the results it stores.

A mixin of Store (uses its `conn` and `transaction`); kept apart so store.py stays about
records and this file about what is derived from them.
"""

from __future__ import annotations

import contextlib
import itertools
import sqlite3
import time
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from wearlog.store import queue
from wearlog.store.columns import DAY_COLS, LINK_COLS, NIGHT_COLS, insert_sql


@dataclass(frozen=True)
class QueueEntry:
    """One patient whose stored results are behind its records."""

    patient_id: str
    from_utc: int | None
    to_utc: int | None
    full: bool
    gen: int
    attempts: int
    error: str | None


@dataclass(frozen=True)
class DeviceEpochs:
    """One device's anchored epochs, for the analysis timeline."""

    device_id: int
    epoch_s: int
    kind: str
    rows: list[np.ndarray]  # int64 (n, 7): utc, enmo_dmg, mad_dmg, zangle_deg, dangle_ddeg,
    # steps, flags; one array per stretch the device was the patient's

    @property
    def values(self) -> np.ndarray:
        """Every row, one (n, 7) int64 array."""
        if len(self.rows) == 1:
            return self.rows[0]
        return np.concatenate(self.rows) if self.rows else np.empty((0, 7), np.int64)


_EPOCH_FIELDS = "utc, enmo_dmg, mad_dmg, zangle_deg, dangle_ddeg, steps, flags"
# The analysis reads a patient's every epoch: building a Python int per field is most of
# its cost, so the six fields after utc come packed in two integers within their wire
# ranges (u16 ENMO and MAD; i8 z-angle, u8 angle change, steps and flags), a third of the
# objects of a plain read. A row outside those ranges (an import may hold one) packs to
# NULL and that stretch is read plainly (_unpack).
_PACKED_FIELDS = (
    "utc, CASE WHEN enmo_dmg BETWEEN 0 AND 65535 AND mad_dmg BETWEEN 0 AND 65535 "
    "THEN enmo_dmg * 65536 + mad_dmg END, CASE WHEN zangle_deg BETWEEN -128 AND 127 "
    "AND dangle_ddeg BETWEEN 0 AND 255 AND steps BETWEEN 0 AND 255 "
    "AND flags BETWEEN 0 AND 255 "
    "THEN ((zangle_deg + 128) * 256 + dangle_ddeg) * 65536 + steps * 256 + flags END")
# a time range: the seq range it spans from the utc index (covering, no row look-ups),
# then the rows along the primary key (a clock jump may put other rows inside: +utc drops
# them)
_SEQS = "SELECT MIN(seq), MAX(seq) FROM epochs WHERE device_id = ? AND utc >= ? AND utc < ?"
_RANGE_WHERE = ("FROM epochs WHERE device_id = ? AND seq >= ? AND seq <= ? "
                "AND +utc >= ? AND +utc < ?")
_ALL_WHERE = "FROM epochs WHERE device_id = ? AND +utc >= ? AND +utc < ?"


def _unpack(rows: list[tuple[Any, ...]]) -> np.ndarray | None:
    """(n, 7) int64 from rows of _PACKED_FIELDS; None if a row did not pack."""
    try:
        a = np.fromiter(itertools.chain.from_iterable(rows), np.int64,
                        len(rows) * 3).reshape(-1, 3)
    except TypeError:  # NULL: a value outside the wire ranges
        return None
    out = np.empty((len(rows), 7), dtype=np.int64)
    out[:, 0] = a[:, 0]
    out[:, 1] = a[:, 1] >> 16
    out[:, 2] = a[:, 1] & 0xFFFF
    out[:, 3] = (a[:, 2] >> 24) - 128
    out[:, 4] = (a[:, 2] >> 16) & 0xFF
    out[:, 5] = (a[:, 2] >> 8) & 0xFF
    out[:, 6] = a[:, 2] & 0xFF
    return out


# SQLite: the same fields as one hex string per stretch, fixed width per row (utc u32,
# ENMO and MAD u16, z-angle + 128 and the last three u8: 12 bytes), built by SQLite's
# printf and group_concat: no Python object per row at all (about half the CPU of the
# packed read). A value outside its width prints longer, so the string's length shows it
# and that stretch is read the packed way.
_HEX_FIELDS = ("group_concat(printf('%08x%04x%04x%02x%02x%02x%02x', utc, enmo_dmg, mad_dmg, "
               "zangle_deg + 128, dangle_ddeg, steps, flags), ''), COUNT(*)")
_HEX_ROW = np.dtype([("utc", ">u4"), ("enmo", ">u2"), ("mad", ">u2"), ("z", "u1"),
                     ("dangle", "u1"), ("steps", "u1"), ("flags", "u1")])


def _unhex(text: str | None, n: int) -> np.ndarray | None:
    """(n, 7) int64 from one _HEX_FIELDS string; None if a value did not fit its width."""
    if text is None or len(text) != n * 2 * _HEX_ROW.itemsize:
        return None
    r = np.frombuffer(bytes.fromhex(text), dtype=_HEX_ROW)
    out = np.empty((n, 7), dtype=np.int64)
    for i, name in enumerate(_HEX_ROW.names or ()):
        out[:, i] = r[name]
    out[:, 3] -= 128
    return out


# per assignment, the first/last epoch time by an index seek (not a scan of the view)
_SPAN = (
    "SELECT MIN(lo), MAX(hi) FROM (SELECT "
    "(SELECT MIN(e.utc) FROM epochs e WHERE e.device_id = a.device_id "
    "AND e.utc >= COALESCE(a.from_utc, -4611686018427387904) "
    "AND e.utc < COALESCE(a.to_utc, 4611686018427387904)) AS lo, "
    "(SELECT MAX(e.utc) FROM epochs e WHERE e.device_id = a.device_id "
    "AND e.utc >= COALESCE(a.from_utc, -4611686018427387904) "
    "AND e.utc < COALESCE(a.to_utc, 4611686018427387904)) AS hi "
    "FROM device_assignments a WHERE a.patient_id = ?) spans"
)
# records never placed in time, per assignment (an index search on utc IS NULL)
_UNANCHORED = (
    "SELECT COALESCE(SUM((SELECT COUNT(*) FROM epochs e WHERE e.device_id = a.device_id "
    "AND e.utc IS NULL AND e.seq >= a.from_seq "
    "AND e.seq < COALESCE(a.to_seq, 4611686018427387904)) + "
    "(SELECT COUNT(*) FROM events e WHERE e.device_id = a.device_id "
    "AND e.utc IS NULL AND e.seq >= a.from_seq "
    "AND e.seq < COALESCE(a.to_seq, 4611686018427387904))), 0) "
    "FROM device_assignments a WHERE a.patient_id = ?"
)


# count_rhythm's metrics (wearlog.imports.count_sleep) and their count_rhythm columns
_RHYTHM_KEYS = ("IS", "IV", "RA", "L5", "M10", "L5_onset", "M10_onset")
_RHYTHM_COLS = ("interdaily_stability", "intradaily_variability", "relative_amplitude", "l5",
                "m10", "l5_onset", "m10_onset")


def _finite(v: Any) -> float | None:
    """A metric as stored: NaN (or none) as NULL, on both backends alike."""
    return None if v is None or v != v else float(v)


class DerivedResults:
    conn: sqlite3.Connection
    dialect: str  # "sqlite" or "postgresql" (set by Store)

    def transaction(self) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        raise NotImplementedError  # provided by Store

    # --- the queue -------------------------------------------------------------
    def pending(self, patient_id: str | None = None) -> list[QueueEntry]:
        """Patients waiting for the refresh step (one, or all), oldest first."""
        sql = ("SELECT patient_id, from_utc, to_utc, full, gen, attempts, error "
               "FROM refresh_queue")
        args: tuple[Any, ...] = ()
        if patient_id is not None:
            sql += " WHERE patient_id=?"
            args = (patient_id,)
        rows = self.conn.execute(sql + " ORDER BY queued_utc, patient_id", args).fetchall()
        return [QueueEntry(r[0], r[1], r[2], bool(r[3]), r[4], r[5], r[6]) for r in rows]

    def queue_full(self, patient_ids: Sequence[str]) -> None:
        """Ask for a full re-analysis (after an analysis change, or `wearlog refresh --all`)."""
        with self.transaction() as c:
            for pid in patient_ids:
                queue.mark(c, pid, None, None, full=True)

    def analysis_method(self, patient_id: str) -> str | None:
        """The analysis method of the patient's stored results (None: none stored; '':
        stored before methods were recorded, or rows not analysed by a refresh)."""
        row = self.conn.execute("SELECT method FROM patient_analysis WHERE patient_id=?",
                                (patient_id,)).fetchone()
        return None if row is None else row[0]

    def queue_other_methods(self, method: str, patient_id: str | None = None) -> list[str]:
        """Queue a full re-analysis of every patient (or only `patient_id`) whose stored
        results another method made (an upgrade changed the analysis); returns them."""
        if patient_id is None:
            ids = [r[0] for r in self.conn.execute(
                "SELECT patient_id FROM patient_analysis WHERE method <> ? "
                "ORDER BY patient_id", (method,))]
        else:
            ids = [r[0] for r in self.conn.execute(
                "SELECT patient_id FROM patient_analysis WHERE method <> ? "
                "AND patient_id = ?", (method, patient_id))]
        if ids:  # (a read alone takes no write lock: this runs before every refresh)
            self.queue_full(ids)
        return ids

    def refresh_failed(self, patient_id: str, error: str) -> None:
        """Keep the queue entry (retried later) and say why it failed."""
        with self.transaction() as c:
            c.execute("UPDATE refresh_queue SET attempts = attempts + 1, error=? "
                      "WHERE patient_id=?", (error[:500], patient_id))

    # --- what the analysis reads -------------------------------------------------
    def patient_epochs(self, patient_id: str, since: int | None = None,
                       until: int | None = None) -> list[DeviceEpochs]:
        """Anchored epochs of every device the patient wore, while they wore it (the
        device assignments), optionally within [since, until)."""
        lo = -(2**62) if since is None else since
        hi = 2**62 if until is None else until
        out: dict[int, DeviceEpochs] = {}
        for dev, epoch_s, kind, a_from, a_to in self.conn.execute(
            "SELECT a.device_id, d.epoch_s, d.kind, a.from_utc, a.to_utc "
            "FROM device_assignments a JOIN devices d USING (device_id) "
            "WHERE a.patient_id = ? ORDER BY a.device_id, a.assignment_id", (patient_id,)
        ).fetchall():
            dev_out = out.setdefault(dev, DeviceEpochs(dev, epoch_s, kind, []))
            a_lo = lo if a_from is None else max(lo, a_from)
            a_hi = hi if a_to is None else min(hi, a_to)
            if a_lo < a_hi:
                # a whole device's epochs: read along the primary key (+utc keeps the
                # planner off the utc index, which would look every row up a second time)
                args: tuple[Any, ...]
                if since is None and until is None:
                    where, args = _ALL_WHERE, (dev, a_lo, a_hi)
                else:
                    s_lo, s_hi = self.conn.execute(_SEQS, (dev, a_lo, a_hi)).fetchone()
                    if s_lo is None:
                        continue
                    where, args = _RANGE_WHERE, (dev, s_lo, s_hi, a_lo, a_hi)
                values = None
                if self.dialect == "sqlite":
                    text, n = self.conn.execute(f"SELECT {_HEX_FIELDS} {where}", args).fetchone()
                    if not n:
                        continue
                    values = _unhex(text, n)
                if values is None:
                    rows = self.conn.execute(f"SELECT {_PACKED_FIELDS} {where}", args).fetchall()
                    if not rows:
                        continue
                    values = _unpack(rows)
                if values is None:
                    plain = self.conn.execute(f"SELECT {_EPOCH_FIELDS} {where}", args).fetchall()
                    values = np.array(plain, dtype=np.int64).reshape(-1, 7)
                dev_out.rows.append(values)
        return list(out.values())

    def patient_events(self, patient_id: str, etypes: Sequence[int], since: int | None = None,
                       until: int | None = None) -> list[tuple[int, int, int]]:
        """(utc, etype, value) of the patient's anchored events of these types, by time."""
        lo = -(2**62) if since is None else since
        hi = 2**62 if until is None else until
        marks = ",".join("?" * len(etypes)) or "NULL"
        rows = self.conn.execute(
            "SELECT utc, etype, value FROM timed_events "
            "WHERE patient_id = ? AND utc >= ? AND utc < ? "
            f"AND etype IN ({marks}) ORDER BY utc, device_id, seq",
            (patient_id, lo, hi, *etypes),
        ).fetchall()
        return [(int(t), int(e), int(v)) for t, e, v in rows]

    def unanchored_count(self, patient_id: str) -> int:
        """Records of the patient not yet placed in time (clock never set)."""
        return int(self.conn.execute(_UNANCHORED, (patient_id,)).fetchone()[0])

    def data_span(self, patient_id: str) -> tuple[int | None, int | None]:
        """First and last anchored epoch time of the patient (the monitoring period)."""
        row = self.conn.execute(_SPAN, (patient_id,)).fetchone()
        return (row[0], row[1]) if row else (None, None)

    def next_epoch_utc(self, patient_id: str, after: int) -> int | None:
        """The first anchored epoch time at or after `after` (skips stretches without data)."""
        row = self.conn.execute(
            "SELECT MIN(utc) FROM timed_epochs WHERE utc >= ? AND patient_id = ?",
            (after, patient_id),
        ).fetchone()
        return None if row is None else row[0]

    def last_sync_utc(self, patient_id: str) -> int | None:
        row = self.conn.execute(
            "SELECT MAX(COALESCE(s.ended_utc, s.started_utc)) FROM syncs s "
            "JOIN device_assignments a USING (device_id) WHERE a.patient_id = ?", (patient_id,),
        ).fetchone()
        return None if row is None else row[0]

    # --- what the refresh step stores ----------------------------------------------
    def night_inputs_between(self, patient_id: str, first: str, last: str
                             ) -> dict[str, tuple[bytes, float, int, float | None]] | None:
        """The stored HDCZA threshold inputs of the nights dated first..last, per night
        (signal, step, other, thr; v16 night_thresholds); None when a stored night in that
        range has none (analysed before they were kept)."""
        rows = self.conn.execute(
            "SELECT n.night, t.signal, t.step, t.other, t.thr, t.night IS NULL FROM nights n "
            "LEFT JOIN night_thresholds t ON t.patient_id = n.patient_id AND t.night = n.night "
            "WHERE n.patient_id = ? AND n.night BETWEEN ? AND ?", (patient_id, first, last),
        ).fetchall()
        if any(r[5] for r in rows):
            return None
        return {r[0]: (bytes(r[1]), float(r[2]), int(r[3]), None if r[4] is None else float(r[4]))
                for r in rows}

    def nights_lack_inputs(self, patient_id: str) -> bool:
        """Whether a stored night of the patient has no threshold inputs (a database
        analysed before v16: its next refresh is a full one)."""
        return self.conn.execute(
            "SELECT 1 FROM nights n WHERE n.patient_id = ? AND NOT EXISTS (SELECT 1 FROM "
            "night_thresholds t WHERE t.patient_id = n.patient_id AND t.night = n.night) "
            "LIMIT 1", (patient_id,)).fetchone() is not None

    def replace_span(self, patient_id: str, first_day: str | None, last_day: str | None,
                     nights: list[dict[str, Any]], days: list[dict[str, Any]],
                     profiles: dict[str, tuple[bytes, bytes]],
                     inputs: dict[str, tuple[bytes, float, int, float | None]] | None = None
                     ) -> None:
        """Replace nights (with their threshold inputs: night -> signal, step, other, thr),
        days and profiles dated first_day..last_day (None: all of them), and any night
        given outside that range (with its inputs)."""
        lo, hi = first_day or "0000-00-00", last_day or "9999-99-99"
        # nights (and inputs) outside the range, given one by one: re-scored alone, or a
        # new threshold for an unchanged night; their days stay
        alone = [(patient_id, n["night"]) for n in nights if not lo <= n["night"] <= hi]
        alone_in = [(patient_id, k) for k in inputs or {} if not lo <= k <= hi]
        with self.transaction() as c:
            c.execute("DELETE FROM night_thresholds WHERE patient_id=? AND night BETWEEN ? "
                      "AND ?", (patient_id, lo, hi))
            c.executemany("DELETE FROM night_thresholds WHERE patient_id=? AND night=?",
                          alone_in)
            c.executemany("DELETE FROM nights WHERE patient_id=? AND night=?", alone)
            c.executemany(
                "INSERT INTO night_thresholds (patient_id, night, signal, step, other, thr) "
                "VALUES (?,?,?,?,?,?)",
                [(patient_id, k, *v) for k, v in (inputs or {}).items()])
            c.execute("DELETE FROM nights WHERE patient_id=? AND night BETWEEN ? AND ?",
                      (patient_id, lo, hi))
            c.execute("DELETE FROM days WHERE patient_id=? AND day BETWEEN ? AND ?",
                      (patient_id, lo, hi))
            c.execute("DELETE FROM day_profiles WHERE patient_id=? AND day BETWEEN ? AND ?",
                      (patient_id, lo, hi))
            c.executemany(insert_sql("nights", NIGHT_COLS),
                          [tuple(n.get(k) for k in NIGHT_COLS) for n in nights])
            c.executemany(insert_sql("days", DAY_COLS),
                          [tuple(d[k] for k in DAY_COLS) for d in days])
            c.executemany(
                "INSERT INTO day_profiles (patient_id, day, enmo, state) VALUES (?,?,?,?)",
                [(patient_id, day, e, s) for day, (e, s) in profiles.items()])

    def save_refresh(self, patient_id: str, gen: int | None, figures: dict[str, Any],
                     rolling_json: str, summaries: dict[int, bytes],
                     method: str | None = None) -> bool:
        """Store the rolling figures and per-range summaries in one transaction and
        clear the queue entry if no record arrived since (`gen`). Returns whether it did.
        `method`: the analysis method of the stored rows (None: the rows were not
        re-analysed, the stored method stays; '' if none was stored)."""
        with self.transaction() as c:
            c.execute(
                "INSERT INTO patient_analysis (patient_id, refreshed_utc, first_utc, "
                "last_utc, last_sync_utc, wear_min_7d, high_severity_7d, sleep_worse, "
                "method) VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT(patient_id) DO UPDATE SET "
                "refreshed_utc=excluded.refreshed_utc, first_utc=excluded.first_utc, "
                "last_utc=excluded.last_utc, last_sync_utc=excluded.last_sync_utc, "
                "wear_min_7d=excluded.wear_min_7d, high_severity_7d=excluded.high_severity_7d, "
                "sleep_worse=excluded.sleep_worse, "
                "method=CASE WHEN excluded.method = '' THEN patient_analysis.method "
                "ELSE excluded.method END",
                (patient_id, int(time.time()), figures.get("first_utc"), figures.get("last_utc"),
                 figures.get("last_sync_utc"), figures.get("wear_min_7d"),
                 int(figures.get("high_severity_7d") or 0),
                 None if figures.get("sleep_worse") is None else int(figures["sleep_worse"]),
                 method or ""))
            # in a table of its own (v14): the patient list reads the narrow rows above
            c.execute("INSERT INTO patient_rolling (patient_id, rolling) VALUES (?, ?) "
                      "ON CONFLICT(patient_id) DO UPDATE SET rolling=excluded.rolling",
                      (patient_id, rolling_json))
            c.execute("DELETE FROM summaries WHERE patient_id=?", (patient_id,))
            c.executemany(
                "INSERT INTO summaries (patient_id, range_days, body) VALUES (?,?,?)",
                # level 1: a 90-day summary deflates in 0.1 ms instead of 0.6 (every
                # refresh writes three) for 9.4 kB instead of 7.5
                [(patient_id, k, zlib.compress(v, 1)) for k, v in summaries.items()])
            if gen is None:
                return True
            cur = c.execute("DELETE FROM refresh_queue WHERE patient_id=? AND gen=?",
                            (patient_id, gen))
            return cur.rowcount > 0

    # --- figures of imported activity counts (v18) -------------------------------------
    def replace_count_figures(self, patient_id: str, scoring: dict[str, str | None],
                              nights: list[dict[str, Any]],
                              rhythms: dict[bool, dict[str, Any]]) -> None:
        """Replace the patient's stored figures of imported activity counts, in one
        transaction. scoring: per method, None (scored: its nights are in `nights`, rows
        of count_sleep) or why the counts could not be scored; rhythms: count_rhythm's
        result per convention (partial_days False/True). All empty: no counts, no rows."""
        if not (scoring or nights or rhythms) and self.conn.execute(
                "SELECT 1 FROM count_scoring WHERE patient_id=? LIMIT 1",
                (patient_id,)).fetchone() is None:
            return  # no counts and none stored (most patients): no write at all
        with self.transaction() as c:
            for table in ("count_scoring", "count_nights", "count_rhythm"):
                c.execute(f"DELETE FROM {table} WHERE patient_id=?", (patient_id,))
            c.executemany("INSERT INTO count_scoring (patient_id, method, reason) "
                          "VALUES (?,?,?)", [(patient_id, m, r) for m, r in scoring.items()])
            c.executemany(
                "INSERT INTO count_nights (patient_id, method, night, sleep_min) "
                "VALUES (?,?,?,?)",
                [(patient_id, n["method"], n["night"], float(n["sleep_min"])) for n in nights])
            c.executemany(
                f"INSERT INTO count_rhythm (patient_id, partial_days, n_days, "
                f"{', '.join(_RHYTHM_COLS)}, reason) "
                f"VALUES (?,?,?,{','.join('?' * len(_RHYTHM_COLS))},?)",
                [(patient_id, int(partial), float(r["n_days"]),
                  *(_finite(r.get(k)) for k in _RHYTHM_KEYS), r.get("reason"))
                 for partial, r in rhythms.items()])

    def stored_count_sleep(self, patient_id: str, method: str = "cole-kripke"
                           ) -> tuple[list[dict[str, Any]], str | None]:
        """The stored minutes scored asleep per night from the patient's imported counts
        (count_sleep's rows, by night), and why they could not be scored (None: they
        were, or the patient has no counts)."""
        row = self.conn.execute("SELECT reason FROM count_scoring WHERE patient_id=? "
                                "AND method=?", (patient_id, method)).fetchone()
        nights = [{"night": r[0], "method": method, "sleep_min": float(r[1])}
                  for r in self.conn.execute(
                      "SELECT night, sleep_min FROM count_nights WHERE patient_id=? "
                      "AND method=? ORDER BY night", (patient_id, method))]
        return nights, None if row is None else row[0]

    def stored_count_rhythm(self, patient_id: str, partial_days: bool = False
                            ) -> dict[str, Any] | None:
        """The stored rhythm of the patient's imported counts in one convention, as
        count_rhythm returns it (None: no counts)."""
        row = self.conn.execute(
            f"SELECT n_days, {', '.join(_RHYTHM_COLS)}, reason FROM count_rhythm "
            "WHERE patient_id=? AND partial_days=?", (patient_id, int(partial_days))).fetchone()
        if row is None:
            return None
        if row[-1] is not None:
            return {"n_days": float(row[0]), "reason": row[-1]}
        # NULL: a metric that was not a number (SQLite stores NaN as NULL)
        return {**{k: float("nan") if v is None else float(v)
                   for k, v in zip(_RHYTHM_KEYS, row[1:-1], strict=True)},
                "n_days": float(row[0]), "partial_days": bool(partial_days)}

    def add_links(self, rows: list[dict[str, Any]]) -> int:
        """Record education links (the same finding for the same window is kept once)."""
        with self.transaction() as c:
            before = c.total_changes
            c.executemany(insert_sql("linked_topics", LINK_COLS, "INSERT OR IGNORE"),
                          [tuple(r[k] for k in LINK_COLS) for r in rows])
            return c.total_changes - before
