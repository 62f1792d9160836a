"""CSV exports for a clinician's spreadsheet: local ISO times, labelled event types,
rounded figures, and whether each night or day counts (valid, not valid and why, or
excluded by a clinician). The research exports (csv_tables) keep the raw columns."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterator
from typing import Any
from zoneinfo import ZoneInfo

from wearlog.export.errors import UnknownTableError
from wearlog.store import Store
from wlproto import const

EVENT_LABELS = {
    const.EV_SYMPTOM: "symptom (severity 1-5)",
    const.EV_BED: "bed (button)",
    const.EV_UP: "up (button)",
    const.EV_CLOCK_SET: "clock set",
    const.EV_BOOT: "device restart",
    const.EV_SENSOR_FAULT: "sensor fault",
    const.EV_LOG_FULL: "memory full",
    const.EV_BATTERY: "battery (%)",
    const.EV_NOTE: "device note",
}
NIGHT_HEADER = ("night", "bed", "up", "time_in_bed_min", "total_sleep_min",
                "sleep_efficiency_pct", "sleep_onset_latency_min", "wake_after_onset_min",
                "awakenings", "window_source", "counted")
DAY_HEADER = ("day", "worn_h", "steps", "mvpa_min", "light_min", "sedentary_min",
              "symptom_events", "max_severity", "counted")
EVENT_HEADER = ("time", "event", "value")


def _iso(utc: int | None, tz: ZoneInfo) -> str:
    return "" if utc is None else dt.datetime.fromtimestamp(utc, tz).isoformat()


def _r(v: Any, digits: int = 1) -> Any:
    return "" if v is None else round(float(v), digits) if digits else int(round(float(v)))


def _counted(row: dict[str, Any]) -> str:
    if row.get("excluded"):
        return "excluded by clinician"
    if row.get("valid"):
        return "yes"
    return "no: " + (row.get("reason") or "not valid")


def _nights(store: Store, pid: str, tz: ZoneInfo) -> Iterator[tuple[Any, ...]]:
    for n in store.nights_between(pid, "0000-01-01", "9999-12-31"):
        yield (n["night"], _iso(n["onset_utc"], tz), _iso(n["offset_utc"], tz),
               _r(n["tib_min"]), _r(n["tst_min"]), _r(n["se_pct"]), _r(n["sol_min"]),
               _r(n["waso_min"]), _r(n["awakenings"], 0), n["source"] or "", _counted(n))


def _days(store: Store, pid: str, tz: ZoneInfo) -> Iterator[tuple[Any, ...]]:
    for d in store.days_between(pid, "0000-01-01", "9999-12-31"):
        yield (d["day"], _r(None if d["wear_min"] is None else d["wear_min"] / 60),
               _r(d["steps"], 0), _r(d["mvpa_min"]), _r(d["light_min"]),
               _r(d["sedentary_min"]), d["symptom_events"] or 0, d["max_severity"] or "",
               _counted(d))


def _events(store: Store, pid: str, tz: ZoneInfo) -> Iterator[tuple[Any, ...]]:
    for utc, etype, value in store.patient_events(pid, tuple(EVENT_LABELS)):
        yield _iso(utc, tz), EVENT_LABELS[etype], value


TABLES: dict[str, tuple[tuple[str, ...],
                        Callable[[Store, str, ZoneInfo], Iterator[tuple[Any, ...]]]]] = {
    "nights": (NIGHT_HEADER, _nights), "days": (DAY_HEADER, _days),
    "events": (EVENT_HEADER, _events),
}


def iter_clinician_csv(store: Store, patient_id: str, table: str) -> Iterator[str]:
    """Header and rows of one clinician table, as CSV text."""
    if table not in TABLES:
        raise UnknownTableError(
            f"no clinician CSV for {table!r}: choose one of {', '.join(TABLES)}")
    header, rows = TABLES[table]
    tz = ZoneInfo(store.patient(patient_id)["tz"])
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    for row in rows(store, patient_id, tz):
        w.writerow(row)
    yield buf.getvalue()
