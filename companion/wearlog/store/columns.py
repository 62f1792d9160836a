"""The one list of columns for epochs, events, nights and days.

Epoch and event columns come from the wire records (wlproto's FIELDS), so a field
added to the protocol reaches the store, exports and uploads from one place.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from wlproto.records import Epoch, Event

# the wire fields, as stored (plus where they came from and the re-anchored UTC time)
EPOCH_WIRE: tuple[str, ...] = tuple(Epoch.FIELDS)
EVENT_WIRE: tuple[str, ...] = tuple(Event.FIELDS)
EPOCH_COLS: tuple[str, ...] = ("device_id", *EPOCH_WIRE, "utc", "counts", "sync_id")
EVENT_COLS: tuple[str, ...] = ("device_id", *EVENT_WIRE, "utc", "sync_id")
# epochs as stored (migration v15): the device time is kept as `time_off = time -
# IFNULL(utc, 0)` (0, no payload byte, for a record written with the clock set) and
# `time` is a generated column giving it back. Rows are built in EPOCH_COLS order and
# inserted through stored_epoch() into these columns.
EPOCH_STORED: tuple[str, ...] = tuple("time_off" if c == "time" else c for c in EPOCH_COLS)
# columns the database computes (never inserted; a copy between databases skips them)
GENERATED: dict[str, tuple[str, ...]] = {"epochs": ("time",)}
_TIME, _UTC = EPOCH_COLS.index("time"), EPOCH_COLS.index("utc")


def stored_epoch(row: Sequence[Any]) -> tuple[Any, ...]:
    """One epoch row in EPOCH_COLS order as inserted (EPOCH_STORED order)."""
    utc = row[_UTC]
    if utc is None:  # time_off = time
        return tuple(row)
    out = list(row)
    out[_TIME] -= utc
    return tuple(out)


# what a CSV export of records shows: everything but the internal sync link
EPOCH_EXPORT: tuple[str, ...] = tuple(c for c in EPOCH_COLS if c != "sync_id")
EVENT_EXPORT: tuple[str, ...] = tuple(c for c in EVENT_COLS if c != "sync_id")

NIGHT_COLS: tuple[str, ...] = (
    "patient_id", "night", "onset_utc", "offset_utc", "tib_min", "tst_min", "sol_min",
    "waso_min", "se_pct", "awakenings", "midsleep_local", "source", "valid", "reason")
DAY_COLS: tuple[str, ...] = (
    "patient_id", "day", "steps", "sedentary_min", "light_min", "moderate_min",
    "vigorous_min", "mvpa_min", "mvpa_bout_min", "longest_active_bout_min", "nap_min",
    "wear_min", "valid", "symptom_events", "high_severity_events", "max_severity")
LINK_COLS: tuple[str, ...] = (
    "patient_id", "topic_id", "rule_id", "finding_text", "window_end", "linked_at")

TABLE_COLS: dict[str, tuple[str, ...]] = {
    "epochs": EPOCH_COLS, "events": EVENT_COLS, "nights": NIGHT_COLS, "days": DAY_COLS,
    "linked_topics": LINK_COLS,
}


def insert_sql(table: str, cols: tuple[str, ...], verb: str = "INSERT") -> str:
    """`verb INTO table (cols) VALUES (?, ...)` for one registered table."""
    return f"{verb} INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
