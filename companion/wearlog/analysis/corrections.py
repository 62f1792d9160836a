"""The wearer's bed/up corrections, applied where the analysis reads the markers.

A correction of night D replaces every bed/up marker the device recorded between noon
of D and noon of D+1 (local time) by the wearer's two times, so the sleep analysis
treats it exactly like button markers. The stored device records stay as they were.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from wlproto.const import EV_BED, EV_UP

NOON = dt.time(12)


def night_window(night: str, tz: ZoneInfo) -> tuple[int, int]:
    """UTC seconds of noon on the night's date and of noon the next day (local)."""
    d = dt.date.fromisoformat(night)
    t0 = dt.datetime.combine(d, NOON, tzinfo=tz).timestamp()
    t1 = dt.datetime.combine(d + dt.timedelta(days=1), NOON, tzinfo=tz).timestamp()
    return int(t0), int(t1)


def apply_corrections(events: list[tuple[int, int, int]], corrections: list[dict[str, Any]],
                      tz: ZoneInfo) -> list[tuple[int, int, int]]:
    """Events (utc, etype, value) with each corrected night's markers replaced."""
    if not corrections:
        return events
    windows = [night_window(c["night"], tz) for c in corrections]
    kept = [e for e in events
            if e[1] not in (EV_BED, EV_UP) or not any(a <= e[0] < b for a, b in windows)]
    for c in corrections:
        kept += [(int(c["bed_utc"]), EV_BED, 0), (int(c["up_utc"]), EV_UP, 0)]
    return sorted(kept)
