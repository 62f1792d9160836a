"""Named read queries for views, reports and exports (a mixin of Store).

Views read stored results only; everything here is a SELECT, so it also works on the
read-only handle (`Store.reader`).
"""

from __future__ import annotations

import sqlite3
import zlib
from collections.abc import Iterator, Sequence
from typing import Any

from wearlog.store.columns import (
    DAY_COLS,
    EPOCH_EXPORT,
    EVENT_EXPORT,
    LINK_COLS,
    NIGHT_COLS,
)
from wearlog.store.wearer import CORRECTION_COLS, DIARY_COLS

# CSV export: table -> (columns, FROM/WHERE clause taking the patient id, ORDER BY)
EXPORTS: dict[str, tuple[tuple[str, ...], str, str]] = {
    "epochs": (EPOCH_EXPORT,
               "filed_epochs WHERE patient_id=?",
               "device_id, seq"),
    "events": (EVENT_EXPORT,
               "filed_events WHERE patient_id=?",
               "device_id, seq"),
    # research rows: `valid` is the analysis' own verdict, `excluded` the clinician's
    "nights": ((*NIGHT_COLS, "excluded"),
               "(SELECT n.*, CASE WHEN x.day IS NULL THEN 0 ELSE 1 END AS excluded "
               "FROM nights n LEFT JOIN exclusions x ON x.patient_id = n.patient_id "
               "AND x.kind = 'night' AND x.day = n.night) AS e WHERE patient_id=?", "night"),
    "days": ((*DAY_COLS, "excluded"),
             "(SELECT d.*, CASE WHEN x.day IS NULL THEN 0 ELSE 1 END AS excluded "
             "FROM days d LEFT JOIN exclusions x ON x.patient_id = d.patient_id "
             "AND x.kind = 'day' AND x.day = d.day) AS e WHERE patient_id=?", "day"),
    "linked_topics": (LINK_COLS, "linked_topics WHERE patient_id=?", "linked_at, topic_id"),
    # the wearer's own entries (store/wearer.py); undone corrections are kept, marked removed
    "diary_entries": (("patient_id", *DIARY_COLS), "diary_entries WHERE patient_id=?", "day"),
    "night_corrections": (("patient_id", *CORRECTION_COLS),
                          "night_corrections WHERE patient_id=?", "night"),
}


def _counted(row: dict[str, Any]) -> dict[str, Any]:
    """`valid` is what the figures count: valid by the analysis and not excluded."""
    row["excluded"] = int(bool(row["excluded"]))
    if row["excluded"]:
        row["valid"] = 0
    return row


class Reads:
    conn: sqlite3.Connection

    # --- stored results -----------------------------------------------------------
    def nights_between(self, patient_id: str, first: str, last: str) -> list[dict[str, Any]]:
        """Stored nights; one a clinician excluded has `excluded` 1 and counts as not
        valid, so every figure built from these rows leaves it out."""
        return [_counted(dict(zip((*NIGHT_COLS, "excluded"), r, strict=True)))
                for r in self.conn.execute(
            f"SELECT {', '.join('n.' + c for c in NIGHT_COLS)}, x.day IS NOT NULL FROM nights n "
            "LEFT JOIN exclusions x ON x.patient_id = n.patient_id AND x.kind = 'night' "
            "AND x.day = n.night WHERE n.patient_id=? AND n.night BETWEEN ? AND ? "
            "ORDER BY n.night", (patient_id, first, last))]

    def days_between(self, patient_id: str, first: str, last: str) -> list[dict[str, Any]]:
        """Stored days, with `excluded` as for nights."""
        return [_counted(dict(zip((*DAY_COLS, "excluded"), r, strict=True)))
                for r in self.conn.execute(
            f"SELECT {', '.join('d.' + c for c in DAY_COLS)}, x.day IS NOT NULL FROM days d "
            "LEFT JOIN exclusions x ON x.patient_id = d.patient_id AND x.kind = 'day' "
            "AND x.day = d.day WHERE d.patient_id=? AND d.day BETWEEN ? AND ? "
            "ORDER BY d.day", (patient_id, first, last))]

    def profiles_between(self, patient_id: str, first: str, last: str
                         ) -> dict[str, tuple[bytes, bytes]]:
        """day -> (compressed ENMO profile, compressed state profile)."""
        return {r[0]: (r[1], r[2]) for r in self.conn.execute(
            "SELECT day, enmo, state FROM day_profiles WHERE patient_id=? "
            "AND day BETWEEN ? AND ? ORDER BY day", (patient_id, first, last))}

    def symptoms_between(self, patient_id: str, etype: int, start_utc: int, end_utc: int
                         ) -> list[dict[str, int]]:
        rows = self.conn.execute(
            "SELECT utc, value FROM timed_events "
            "WHERE patient_id=? AND etype=? AND utc >= ? AND utc < ? "
            "ORDER BY utc, device_id, seq", (patient_id, etype, start_utc, end_utc))
        return [{"utc": r[0], "severity": r[1]} for r in rows]

    def stored_summary(self, patient_id: str, range_days: int) -> bytes | None:
        """The summary JSON the refresh step stored for this range (ending on the last day
        with data), byte for byte."""
        row = self.conn.execute(
            "SELECT body FROM summaries WHERE patient_id=? AND range_days=?",
            (patient_id, range_days)).fetchone()
        if row is None:
            return None
        body = bytes(row[0])
        # stored zlib-compressed (a seventh of the bytes); rows from before are plain JSON
        return body if body[:1] == b"{" else zlib.decompress(body)

    def analysis_state(self, patient_id: str) -> dict[str, Any]:
        """Whether the stored results are current: 'ok', 'pending', 'failed' or 'none'."""
        q = self.conn.execute("SELECT attempts, error FROM refresh_queue WHERE patient_id=?",
                              (patient_id,)).fetchone()
        a = self.conn.execute(
            "SELECT a.refreshed_utc, a.first_utc, a.last_utc, r.rolling "
            "FROM patient_analysis a LEFT JOIN patient_rolling r "
            "ON r.patient_id = a.patient_id WHERE a.patient_id=?", (patient_id,)).fetchone()
        status = ("failed" if q and q[1] else "pending") if q else ("ok" if a else "none")
        return {
            "status": status, "error": q[1] if q else None,
            "refreshed_utc": a[0] if a else None, "first_utc": a[1] if a else None,
            "last_utc": a[2] if a else None, "rolling": a[3] if a else None,
        }

    def patient_list_page(self, username: str | None, *, gap_before_utc: int, many_high: int,
                          search: str = "", limit: int, offset: int = 0
                          ) -> tuple[list[tuple[Any, ...]], int, int]:
        """One page of the stored patient-list figures of a clinician's patients (None:
        every patient, for admins): (rows, patients matching, flagged among them).

        Rows are (patient_id, last_sync_utc, last_data_utc, wear_min_7d, high_severity_7d,
        sleep_worse, queued, error), flagged patients first, then by patient id. Flagged is
        what the list flags (web/data.py, tested to agree): a failed analysis, or figures
        that are current and show a data gap (no data at or after `gap_before_utc`), a
        worse sleep trend or `many_high` high-severity symptoms. `search` keeps the
        patient ids containing it (case-insensitive). Nothing is computed but this
        comparison of stored values, so a page of 10,000 patients is one indexed read."""
        rank = ("CASE WHEN q.error IS NOT NULL THEN 0 WHEN q.patient_id IS NOT NULL THEN 1 "
                "WHEN a.last_utc IS NULL OR a.last_utc < ? OR a.sleep_worse <> 0 "
                "OR a.high_severity_7d >= ? THEN 0 ELSE 1 END")
        joins = ("LEFT JOIN patient_analysis a ON a.patient_id = p.patient_id "
                 "LEFT JOIN refresh_queue q ON q.patient_id = p.patient_id ")
        if username is None:
            source, where, args = "FROM patients p ", "WHERE 1=1 ", []
        else:
            source = "FROM assignments s JOIN patients p ON p.patient_id = s.patient_id "
            where, args = "WHERE s.username = ? ", [username]
        if search:
            pattern = "%" + "".join("!" + c if c in "!%_" else c for c in search.lower()) + "%"
            where += "AND LOWER(p.patient_id) LIKE ? ESCAPE '!' "
            args.append(pattern)
        total, flagged = self.conn.execute(
            f"SELECT COUNT(*), IFNULL(SUM(CASE WHEN {rank} = 0 THEN 1 ELSE 0 END), 0) "
            + source + joins + where, (gap_before_utc, many_high, *args)).fetchone()
        rows = self.conn.execute(
            "SELECT p.patient_id, a.last_sync_utc, a.last_utc, a.wear_min_7d, "
            "a.high_severity_7d, a.sleep_worse, q.patient_id IS NOT NULL, q.error "
            + source + joins + where + f"ORDER BY {rank}, p.patient_id LIMIT ? OFFSET ?",
            (*args, gap_before_utc, many_high, limit, offset)).fetchall()
        return rows, int(total), int(flagged)

    def patient_rows(self, patient_ids: Sequence[str]) -> list[dict[str, Any]]:
        """The stored patient-list figures, one indexed read for any number of patients."""
        if not patient_ids:
            return []
        marks = ",".join("?" * len(patient_ids))
        rows = self.conn.execute(
            "SELECT p.patient_id, a.last_sync_utc, a.last_utc, a.wear_min_7d, "
            "a.high_severity_7d, a.sleep_worse, q.patient_id IS NOT NULL, q.error "
            "FROM patients p LEFT JOIN patient_analysis a USING (patient_id) "
            "LEFT JOIN refresh_queue q USING (patient_id) "
            f"WHERE p.patient_id IN ({marks})", tuple(patient_ids)).fetchall()
        keys = ("patient_id", "last_sync_utc", "last_data_utc", "wear_min_7d",
                "high_severity_7d", "sleep_worse", "pending", "error")
        by_id = {r[0]: dict(zip(keys, r, strict=True)) for r in rows}
        return [by_id[p] for p in patient_ids if p in by_id]

    def links_of(self, patient_id: str) -> list[dict[str, Any]]:
        """Education links recorded for a patient, newest window first."""
        return [dict(zip(("topic_id", "rule_id", "finding_text", "window_end", "linked_at"),
                         r, strict=True)) for r in self.conn.execute(
            "SELECT topic_id, rule_id, finding_text, window_end, linked_at FROM linked_topics "
            "WHERE patient_id=? ORDER BY window_end DESC, topic_id, rule_id", (patient_id,))]

    # --- records ---------------------------------------------------------------------
    def epoch_rows(self, patient_id: str, start_utc: int, end_utc: int) -> list[list[int]]:
        """Bare epoch rows [utc, enmo_dmg, flags, steps] of a time range."""
        return [list(r) for r in self.conn.execute(
            "SELECT utc, enmo_dmg, flags, steps FROM timed_epochs "
            "WHERE patient_id=? AND utc >= ? AND utc < ?",
            (patient_id, start_utc, end_utc))]

    def export_columns(self, table: str) -> tuple[str, ...] | None:
        return EXPORTS[table][0] if table in EXPORTS else None

    def export_rows(self, table: str, patient_id: str) -> Iterator[tuple[Any, ...]]:
        """All rows of one exportable table for a patient, in a stable order."""
        cols, where, order = EXPORTS[table]
        yield from self.conn.execute(
            f"SELECT {', '.join(cols)} FROM {where} ORDER BY {order}", (patient_id,))

    def records_since(self, device_id: int, since_seq: int, limit: int
                      ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Epochs and events of a device from `since_seq` on, wire fields only (upload)."""
        from wearlog.store.columns import EPOCH_WIRE, EVENT_WIRE

        out = []
        for table, cols in (("epochs", EPOCH_WIRE), ("events", EVENT_WIRE)):
            out.append([dict(zip(cols, r, strict=True)) for r in self.conn.execute(
                f"SELECT {', '.join(cols)} FROM {table} WHERE device_id=? AND seq >= ? "
                "ORDER BY seq LIMIT ?", (device_id, since_seq, limit))])
        return out[0], out[1]
