"""The daily diary: pain, fatigue, sleep quality and mood (0-10), optional morning
stiffness and a short note; one screen, editable for the last 7 days."""

from __future__ import annotations

import datetime as dt
import time
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from wearlog.app.deps import Csrf, Db, PatientId, today
from wearlog.app.main import page
from wearlog.store import StoreError

router = APIRouter(include_in_schema=False)
EDITABLE_DAYS = 7
SCALES = (
    ("pain", "Pain", "0 = no pain", "10 = worst pain imaginable"),
    ("fatigue", "Tiredness (fatigue)", "0 = not tired", "10 = exhausted"),
    ("sleep_quality", "How well you slept last night", "0 = very badly", "10 = very well"),
    ("mood", "Mood", "0 = very low", "10 = very good"),
)


def _editable(store: Db, pid: str) -> list[dt.date]:
    last = today(store, pid)
    return [last - dt.timedelta(days=i) for i in range(EDITABLE_DAYS)]


def _day(text: str | None, days: list[dt.date]) -> dt.date:
    if not text:
        return days[0]
    try:
        d = dt.date.fromisoformat(text)
    except ValueError:
        raise HTTPException(422, f"{text!r} is not a date like 2026-03-01.") from None
    if d not in days:
        raise HTTPException(422, f"The diary can be filled in or changed for the last "
                                 f"{EDITABLE_DAYS} days only ({days[-1]} to {days[0]}).")
    return d


@router.get("/diary", response_class=HTMLResponse)
def diary(request: Request, store: Db, pid: PatientId, day: str | None = None,
          saved: str = "") -> HTMLResponse:
    days = _editable(store, pid)
    d = _day(day, days)
    entries = {e["day"]: e for e in store.diary_between(pid, days[-1].isoformat(),
                                                       days[0].isoformat())}
    return page(request, "diary.html", {
        "page": "diary", "day": d.isoformat(), "days": [x.isoformat() for x in days],
        "entries": entries, "entry": entries.get(d.isoformat()), "scales": SCALES,
        "saved": saved == "1", "today": days[0].isoformat(),
    })


@router.post("/diary", dependencies=[Csrf])
def save(store: Db, pid: PatientId,
         pain: Annotated[int, Form(ge=0, le=10)], fatigue: Annotated[int, Form(ge=0, le=10)],
         sleep_quality: Annotated[int, Form(ge=0, le=10)],
         mood: Annotated[int, Form(ge=0, le=10)],
         day: Annotated[str, Form()] = "", stiffness_min: Annotated[str, Form()] = "",
         note: Annotated[str, Form()] = ""
         ) -> RedirectResponse:
    d = _day(day, _editable(store, pid))
    stiff = stiffness_min.strip()
    if stiff and not stiff.isdigit():
        raise HTTPException(422, "Morning stiffness is a number of minutes (or leave it empty).")
    try:
        store.save_diary(pid, [{
            "day": d.isoformat(), "pain": pain, "fatigue": fatigue,
            "sleep_quality": sleep_quality, "mood": mood,
            "stiffness_min": int(stiff) if stiff else None, "note": note.strip() or None,
            "updated_utc": int(time.time())}])
    except StoreError as e:
        raise HTTPException(422, str(e)) from e
    return RedirectResponse(f"/diary?day={d.isoformat()}&saved=1", status_code=303)
