"""Nights and days a clinician excluded from the figures (a mixin of Store).

The analysis keeps its rows; an exclusion is a separate row that the reads
(`nights_between`, `days_between`) join, so a re-analysis never loses it and removing it
restores the night or day as it was.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from typing import Any

KINDS = ("night", "day")


class Exclusions:
    conn: sqlite3.Connection

    def transaction(self) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        raise NotImplementedError  # provided by Store

    def set_excluded(self, patient_id: str, kind: str, day: str, excluded: bool, by: str,
                     reason: str | None = None) -> bool:
        """Exclude (or restore) one night or day; returns whether anything changed."""
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
        with self.transaction() as c:
            if excluded:
                cur = c.execute(
                    "INSERT OR IGNORE INTO exclusions (patient_id, kind, day, excluded_by, "
                    "excluded_utc, reason) VALUES (?,?,?,?,?,?)",
                    (patient_id, kind, day, by, int(time.time()), reason))
            else:
                cur = c.execute(
                    "DELETE FROM exclusions WHERE patient_id=? AND kind=? AND day=?",
                    (patient_id, kind, day))
            return cur.rowcount > 0

    def exclusions_of(self, patient_id: str) -> list[dict[str, Any]]:
        """The patient's current exclusions, by kind and date."""
        cols = ("kind", "day", "excluded_by", "excluded_utc", "reason")
        return [dict(zip(cols, r, strict=True)) for r in self.conn.execute(
            f"SELECT {', '.join(cols)} FROM exclusions WHERE patient_id=? ORDER BY kind, day",
            (patient_id,))]

    def has_result(self, patient_id: str, kind: str, day: str) -> bool:
        """Whether the analysis stored this night or day (only those can be excluded)."""
        table, col = ("nights", "night") if kind == "night" else ("days", "day")
        return self.conn.execute(
            f"SELECT 1 FROM {table} WHERE patient_id=? AND {col}=?", (patient_id, day)
        ).fetchone() is not None
