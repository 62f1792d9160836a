"""What each dashboard view shows, read from the results the refresh step stored.

Nothing here computes a figure the CLI or the exports would compute differently: the
summary for a standard range is the stored JSON, byte for byte; any other range is built
by the same function from the same stored rows. Nothing here writes.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any
from zoneinfo import ZoneInfo

from wearlog.accounts.users import User
from wearlog.pipeline import figures
from wearlog.store import Store

RANGES = figures.RANGES

# Patient-list flags (informational prompts for the clinician, not diagnoses).
GAP_HOURS = 48
MANY_HIGH_SEVERITY = 5


PAGE_SIZE = 50  # patients per page of the list page
API_LIMIT = 100  # default rows per call of GET /api/patients
MAX_LIMIT = 1000
# the furthest a list request may start: far past any clinic's list, well inside the
# 64-bit integers both databases take for OFFSET
MAX_OFFSET = 10**9


class PatientPage:
    """One page of the patient list: its rows, and how many patients match in all."""

    def __init__(self, rows: list[dict[str, Any]], total: int, flagged: int, offset: int,
                 limit: int, search: str) -> None:
        self.rows, self.total, self.flagged = rows, total, flagged
        self.offset, self.limit, self.search = offset, limit, search

    @property
    def page(self) -> int:
        return self.offset // self.limit + 1

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.limit))


def patient_page(store: Store, user: User, now: int | None = None, *, search: str = "",
                 limit: int = PAGE_SIZE, offset: int = 0) -> PatientPage:
    """One page of the patients the user may see: last sync, wear time in the last 7 days
    with data, flags; flagged patients first. Two indexed reads of the figures the
    refresh step stored: nothing is computed per request but the comparison with now."""
    now = int(time.time()) if now is None else now
    out = []
    gap_s = GAP_HOURS * 3600
    rows, total, flagged = store.patient_list_page(
        None if user.is_admin else user.username, gap_before_utc=now - gap_s,
        many_high=MANY_HIGH_SEVERITY, search=search, limit=limit, offset=offset)
    for pid, sync, last, wear, high, worse_i, queued, error in rows:
        if error or queued:  # figures from before the latest records are not shown as current
            out.append({"patient_id": pid, "last_sync_utc": None, "last_data_utc": None,
                        "wear_hours_7d": None, "high_severity_7d": None, "sleep_worse": None,
                        "analysis_status": "failed" if error else "pending", "flags": []})
            continue
        worse = None if worse_i is None else bool(worse_i)
        flags = []
        if last is None or now - last > gap_s:
            flags.append("data gap")
        if worse:
            flags.append("sleep worse than baseline")
        if (high or 0) >= MANY_HIGH_SEVERITY:
            flags.append("many high-severity symptoms")
        out.append({
            "patient_id": pid,
            "last_sync_utc": sync,
            "last_data_utc": last,
            "wear_hours_7d": None if wear is None else round(wear / 60, 1),
            "high_severity_7d": int(high or 0),
            "sleep_worse": worse,
            "analysis_status": "none" if sync is None and last is None else "ok",
            "flags": flags,
        })
    return PatientPage(out, total, flagged, offset, limit, search)


def patient_tz(store: Store, patient_id: str) -> ZoneInfo:
    return ZoneInfo(store.patient(patient_id)["tz"])


def summary_body(store: Store, patient_id: str, days: int, end: dt.date | None
                 ) -> bytes | dict[str, Any]:
    """The summary of a range: the same function `wearlog report` uses."""
    return figures.summary_for(store, patient_id, days, end)


def range_dates(store: Store, patient_id: str, days: int, end: dt.date | None
                ) -> list[dt.date]:
    """The range's dates: ending on `end`, else on the last day with data, else today."""
    tz = patient_tz(store, patient_id)
    last = end or figures.default_end(store, patient_id, tz) or dt.datetime.now(tz).date()
    return figures.date_range(days, last)


def actogram(store: Store, patient_id: str, days: int, end: dt.date | None) -> dict[str, Any]:
    return figures.actogram(store, patient_id, range_dates(store, patient_id, days, end))


def epoch_rows(store: Store, patient_id: str, days: int, end: dt.date | None
               ) -> list[list[int]]:
    """The bare epoch rows of a range (unprocessed)."""
    tz = patient_tz(store, patient_id)
    dates = range_dates(store, patient_id, days, end)
    return store.epoch_rows(patient_id, figures.local_midnight_utc(dates[0], tz),
                            figures.local_midnight_utc(dates[-1] + dt.timedelta(days=1), tz))


disclaimer = figures.disclaimer
