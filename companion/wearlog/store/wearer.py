"""Named queries for what the wearer adds by hand: diary entries and night corrections.

A mixin of Store. Both are keyed by (patient, date) and carry the time they were last
changed: saving the same entry again (a re-upload) changes nothing, and an older copy
never replaces a newer one, so uploads are idempotent and order does not matter.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sqlite3
from collections.abc import Iterable
from typing import Any

from wearlog.store.errors import BadRecordError

DIARY_COLS = ("day", "pain", "fatigue", "sleep_quality", "mood", "stiffness_min", "note",
              "updated_utc")
DIARY_SCALES = ("pain", "fatigue", "sleep_quality", "mood")
CORRECTION_COLS = ("night", "bed_utc", "up_utc", "removed", "updated_utc")
NOTE_MAX = 500
STIFFNESS_MAX_MIN = 24 * 60
# A bed/up correction spans at most this long (a night, not a week).
CORRECTION_MAX_S = 20 * 3600


def _newest_wins(table: str, cols: tuple[str, ...]) -> str:
    """An upsert keyed on (patient_id, cols[0]) that keeps the row with the newer
    updated_utc: the wearer's app, a re-upload and an older copy can arrive in any order."""
    sets = ", ".join(f"{k}=excluded.{k}" for k in cols[1:])
    return (f"INSERT INTO {table} (patient_id, {', '.join(cols)}) "
            f"VALUES ({', '.join('?' * (len(cols) + 1))}) "
            f"ON CONFLICT(patient_id, {cols[0]}) DO UPDATE SET {sets} "
            f"WHERE excluded.updated_utc >= {table}.updated_utc")


_NEWEST_WINS_DIARY = _newest_wins("diary_entries", DIARY_COLS)
_NEWEST_WINS_CORRECTION = _newest_wins("night_corrections", CORRECTION_COLS)


def check_diary(row: dict[str, Any]) -> dict[str, Any]:
    """The entry as stored, or BadRecordError saying which field is wrong and why."""
    try:
        day = dt.date.fromisoformat(str(row["day"])).isoformat()
    except (KeyError, ValueError) as e:
        raise BadRecordError(f"diary entry needs a date as YYYY-MM-DD, got {row.get('day')!r}"
                             ) from e
    out: dict[str, Any] = {"day": day}
    for k in DIARY_SCALES:
        v = row.get(k)
        if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= 10:
            raise BadRecordError(f"diary {day}: {k} must be a whole number from 0 to 10, "
                                 f"got {v!r}")
        out[k] = v
    stiff = row.get("stiffness_min")
    if stiff is not None and (isinstance(stiff, bool) or not isinstance(stiff, int)
                              or not 0 <= stiff <= STIFFNESS_MAX_MIN):
        raise BadRecordError(f"diary {day}: morning stiffness must be 0 to "
                             f"{STIFFNESS_MAX_MIN} minutes, got {stiff!r}")
    out["stiffness_min"] = stiff
    note = row.get("note") or None
    if note is not None and (not isinstance(note, str) or len(note) > NOTE_MAX):
        raise BadRecordError(f"diary {day}: the note must be text of at most {NOTE_MAX} "
                             "characters")
    out["note"] = note
    out["updated_utc"] = int(row["updated_utc"])
    return out


def check_correction(row: dict[str, Any]) -> dict[str, Any]:
    """The correction as stored, or BadRecordError."""
    try:
        night = dt.date.fromisoformat(str(row["night"])).isoformat()
        bed, up = int(row["bed_utc"]), int(row["up_utc"])
    except (KeyError, TypeError, ValueError) as e:
        raise BadRecordError(f"night correction needs night, bed_utc and up_utc: {e}") from e
    if not 0 < up - bed <= CORRECTION_MAX_S:
        raise BadRecordError(f"night {night}: 'got up' must come after 'went to bed', and "
                             f"within {CORRECTION_MAX_S // 3600} hours of it")
    return {"night": night, "bed_utc": bed, "up_utc": up,
            "removed": 1 if row.get("removed") else 0, "updated_utc": int(row["updated_utc"])}


class WearerEntries:
    conn: sqlite3.Connection

    def transaction(self) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        raise NotImplementedError  # provided by Store

    def patient(self, patient_id: str) -> dict[str, Any]:
        raise NotImplementedError  # provided by Store

    # --- diary ------------------------------------------------------------------
    def save_diary(self, patient_id: str, rows: Iterable[dict[str, Any]]) -> int:
        """Store entries (all checked first; all or none); a newer stored copy wins.
        Returns how many rows changed."""
        self.patient(patient_id)
        checked = [check_diary(r) for r in rows]
        changed = 0
        with self.transaction() as c:
            for r in checked:
                changed += c.execute(_NEWEST_WINS_DIARY,
                                     (patient_id, *(r[k] for k in DIARY_COLS))).rowcount
        return changed

    def diary_between(self, patient_id: str, first: str = "0000-01-01",
                      last: str = "9999-12-31") -> list[dict[str, Any]]:
        """The patient's diary entries with first <= day <= last, oldest first."""
        return [dict(zip(DIARY_COLS, r, strict=True)) for r in self.conn.execute(
            f"SELECT {', '.join(DIARY_COLS)} FROM diary_entries WHERE patient_id=? AND "
            "day BETWEEN ? AND ? ORDER BY day", (patient_id, first, last))]

    # --- night corrections --------------------------------------------------------
    def save_corrections(self, patient_id: str, rows: Iterable[dict[str, Any]]) -> int:
        """Store corrections (or their undoing: removed=1); a newer stored copy wins.
        Queues the patient's re-analysis when anything changed."""
        from wearlog.store import queue

        self.patient(patient_id)
        checked = [check_correction(r) for r in rows]
        changed = 0
        with self.transaction() as c:
            for r in checked:
                changed += c.execute(_NEWEST_WINS_CORRECTION,
                                     (patient_id, *(r[k] for k in CORRECTION_COLS))).rowcount
            if changed:
                queue.mark(c, patient_id, None, None, full=True)
        return changed

    def corrections_of(self, patient_id: str, with_removed: bool = False
                       ) -> list[dict[str, Any]]:
        """The patient's night corrections (the undone ones too if asked), oldest first."""
        sql = (f"SELECT {', '.join(CORRECTION_COLS)} FROM night_corrections "
               "WHERE patient_id=?")
        if not with_removed:
            sql += " AND removed=0"
        return [dict(zip(CORRECTION_COLS, r, strict=True))
                for r in self.conn.execute(sql + " ORDER BY night", (patient_id,))]

    # --- the device, as the wearer sees it ----------------------------------------------
    def last_contact_utc(self, device_id: int) -> int | None:
        """When a sync last reached the device (its radio windows are dated from it)."""
        row = self.conn.execute("SELECT MAX(started_utc) FROM syncs WHERE device_id=?",
                                (device_id,)).fetchone()
        return None if row[0] is None else int(row[0])
