"""My nights and days: the same stored figures the clinician sees, in plain words; the
linked topics in the wearer's wording; correcting a night's bed and up times."""

from __future__ import annotations

import datetime as dt
import time
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from wearlog.analysis.corrections import night_window
from wearlog.app import markdown
from wearlog.app.deps import Csrf, Db, PatientId, Wearer, today
from wearlog.app.main import page
from wearlog.pipeline import figures
from wearlog.store import Store, StoreError

router = APIRouter(include_in_schema=False)
RANGES = figures.RANGES


def bars(rows: list[dict[str, Any]], key: str, label: str, scale: float = 1.0
         ) -> dict[str, Any]:
    """An SVG bar chart's geometry: one bar per row, heights relative to the largest."""
    vals = [(r[label], None if r.get(key) is None else r[key] / scale) for r in rows]
    top = max((v for _l, v in vals if v is not None), default=0.0) or 1.0
    n = max(len(vals), 1)
    width = 100.0 / n
    return {"top": top, "bars": [
        {"label": lab, "value": v, "x": round(i * width + width * 0.1, 3),
         "w": round(width * 0.8, 3), "h": 0 if v is None else round(90 * v / top, 2)}
        for i, (lab, v) in enumerate(vals)]}


@router.get("/", response_class=HTMLResponse)
def home(request: Request, store: Db, pid: Wearer, days: int = 14) -> HTMLResponse:
    if days not in RANGES:
        raise HTTPException(422, f"days must be one of {', '.join(map(str, RANGES))}")
    if pid is None:
        return page(request, "welcome.html", {"page": "home"})
    s = figures.summary_dict(store, pid, days)
    diary_today = store.diary_between(pid, today(store, pid).isoformat(),
                                      today(store, pid).isoformat())
    nights = [n for n in s["nights"] if n.get("tst_min") is not None]
    return page(request, "nights.html", {
        "page": "home", "s": s, "days": days, "ranges": RANGES, "pid": pid,
        "diary_done": bool(diary_today), "topics": figures.wearer_topics(s),
        "sleep_chart": bars(nights, "tst_min", "night", 60.0),
        "steps_chart": bars([d for d in s["days"] if d.get("steps") is not None],
                            "steps", "day"),
        "corrected": {c["night"] for c in store.corrections_of(pid)},
    })


@router.get("/topics/{topic_id}", response_class=HTMLResponse)
def topic(request: Request, topic_id: str) -> HTMLResponse:
    from wearlog.education import ContentError
    from wearlog.education.topics import load_topics, render_topic

    try:
        t = load_topics().get(topic_id)
        if t is None or not t.for_audience("wearer"):
            raise HTTPException(404, f"No topic {topic_id!r}.")
        md = render_topic(t, "wearer").split("\n", 1)[1]  # the page's own h1 is the title
        html = markdown.to_html(md)
    except ContentError as e:
        raise HTTPException(503, f"Educational content not available: {e}") from e
    return page(request, "topic.html", {"page": "home", "title": t.title, "html": html})


def _night_row(store: Store, pid: str, night: str) -> dict[str, Any] | None:
    return next(iter(store.nights_between(pid, night, night)), None)


def _check_night(night: str) -> str:
    try:
        return dt.date.fromisoformat(night).isoformat()
    except ValueError:
        raise HTTPException(404, f"No night {night!r}: nights are named YYYY-MM-DD.") from None


@router.get("/nights/{night}", response_class=HTMLResponse)
def night_page(request: Request, store: Db, pid: PatientId, night: str,
               saved: str = "") -> HTMLResponse:
    night = _check_night(night)
    tz = ZoneInfo(store.patient(pid)["tz"])
    row = _night_row(store, pid, night)
    corr = next((c for c in store.corrections_of(pid) if c["night"] == night), None)

    def clock(utc: int | None) -> str:
        return "" if utc is None else dt.datetime.fromtimestamp(utc, tz).strftime("%H:%M")

    bed = corr["bed_utc"] if corr else (row or {}).get("onset_utc")
    up = corr["up_utc"] if corr else (row or {}).get("offset_utc")
    return page(request, "night.html", {
        "page": "home", "night": night, "row": row, "corr": corr, "saved": saved,
        "bed": clock(bed), "up": clock(up), "pending": bool(store.pending(pid)),
        "next_day": (dt.date.fromisoformat(night) + dt.timedelta(days=1)).isoformat(),
    })


def _at(night: str, hhmm: str, tz: ZoneInfo) -> int:
    """UTC of a clock time in the night from noon to noon: before noon is the next day."""
    try:
        t = dt.time.fromisoformat(hhmm)
    except ValueError:
        raise HTTPException(422, f"{hhmm!r} is not a time like 23:15.") from None
    d = dt.date.fromisoformat(night)
    day = d + dt.timedelta(days=1) if t < dt.time(12) else d
    return int(dt.datetime.combine(day, t, tzinfo=tz).timestamp())


@router.post("/nights/{night}/correct", dependencies=[Csrf])
def correct(store: Db, pid: PatientId, night: str, bed: Annotated[str, Form()],
            up: Annotated[str, Form()]) -> RedirectResponse:
    """Store the wearer's bed/up times for the night, then re-analyse (device records
    untouched: the analysis reads the correction like button markers)."""
    from wearlog.pipeline import refresh

    night = _check_night(night)
    tz = ZoneInfo(store.patient(pid)["tz"])
    bed_utc, up_utc = _at(night, bed, tz), _at(night, up, tz)
    lo, hi = night_window(night, tz)
    if not lo <= bed_utc < up_utc <= hi:
        raise HTTPException(422, "Went to bed must come before got up, both between noon "
                                 f"of {night} and noon the next day.")
    try:
        store.save_corrections(pid, [{"night": night, "bed_utc": bed_utc, "up_utc": up_utc,
                                      "updated_utc": _now()}])
    except StoreError as e:
        raise HTTPException(422, str(e)) from e
    refresh(store, pid)
    return RedirectResponse(f"/nights/{night}?saved=corrected", status_code=303)


@router.post("/nights/{night}/undo", dependencies=[Csrf])
def undo(store: Db, pid: PatientId, night: str) -> RedirectResponse:
    """Drop the wearer's correction: the night goes back to what the device recorded."""
    from wearlog.pipeline import refresh

    night = _check_night(night)
    corr = next((c for c in store.corrections_of(pid) if c["night"] == night), None)
    if corr is not None:
        store.save_corrections(pid, [{**corr, "removed": 1,
                                      "updated_utc": max(_now(), corr["updated_utc"] + 1)}])
        refresh(store, pid)
    return RedirectResponse(f"/nights/{night}?saved=undone", status_code=303)


def _now() -> int:
    return int(time.time())
