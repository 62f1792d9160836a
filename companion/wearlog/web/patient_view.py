"""What the patient page shows beyond the summary JSON: the night and day tables (rows
from the summary, rendered once per stored summary) and the rhythm rows' wording.
Read-only: nothing here computes a figure."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
from collections import OrderedDict
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment
from markupsafe import Markup

from wearlog.pipeline import figures

# (key, name, format, one line on what it says): Van Someren et al. 1999 definitions
RHYTHM_ROWS: tuple[tuple[str, str, str, str], ...] = (
    ("IS", "IS, interdaily stability", "2",
     "How alike the days are, hour by hour (0 to 1; higher = more regular from day to day)."),
    ("IV", "IV, intradaily variability", "2",
     "How often rest and activity alternate within a day (0 to about 2; higher = more "
     "fragmented)."),
    ("RA", "RA, relative amplitude", "2",
     "Contrast between the most active 10 h and the least active 5 h (0 to 1; higher = "
     "clearer day-night difference)."),
    ("L5", "L5, least active 5 h", "1",
     "Mean movement (ENMO, mg) in the quietest 5 hours, usually the night."),
    ("L5_onset", "L5 onset", "clock", "When the quietest 5 hours begin (clock time)."),
    ("M10", "M10, most active 10 h", "1",
     "Mean movement (ENMO, mg) in the most active 10 hours."),
    ("M10_onset", "M10 onset", "clock", "When the most active 10 hours begin (clock time)."),
)

SOURCE_LABELS = {
    "markers": "markers (bed/up button)",
    "corrected": "corrected",
    "hdcza": "detected (HDCZA)",
    "sib": "detected (SIB)",
    "enmo": "detected (movement)",
    "counts": "detected (counts)",
    "sample": "sample data",
}


def _clock(utc: int | None, tz: ZoneInfo) -> str:
    if utc is None:
        return "–"
    return dt.datetime.fromtimestamp(utc, tz).strftime("%a %H:%M")


def _status(row: dict[str, Any]) -> tuple[str, str]:
    """(css class, label): counted, not valid (why), or excluded by a clinician."""
    if row.get("excluded"):
        return "excluded", "excluded by clinician"
    if row.get("valid"):
        return "valid", "yes"
    reason = row.get("reason")
    return "invalid", f"no: {reason}" if reason else "no: not valid"


def night_rows(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """The night table's rows: local bed/up times, figures, source, counted or not."""
    tz = ZoneInfo(summary["tz"])
    sym = [e["utc"] for e in summary.get("symptoms", [])]
    out = []
    for n in summary.get("nights", []):
        status, label = _status(n)
        lo = n.get("onset_utc")
        hi = n.get("offset_utc")
        out.append({
            **n, "bed": _clock(lo, tz), "up": _clock(hi, tz),
            "source_label": SOURCE_LABELS.get(n.get("source") or "", n.get("source") or "–"),
            "status": status, "status_label": label,
            "symptoms": 0 if lo is None or hi is None else sum(lo <= t < hi for t in sym),
        })
    return out


def day_rows(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """The day table's rows: worn hours, activity, counted or not, symptoms."""
    out = []
    for d in summary.get("days", []):
        status, label = _status(d)
        wear = d.get("wear_min")
        out.append({**d, "wear_h": None if wear is None else wear / 60.0,
                    "status": status, "status_label": label})
    return out


def topic_blocks(topic_id: str) -> dict[str, Any] | None:
    """One educational topic as (title, summary, blocks of heading or paragraph), as
    written in its file (faithful to the article; Wearlog's own notes keep their
    heading); None if there is no such topic or the content cannot load."""
    content = figures._education()
    if content is None or topic_id not in content[0]:
        return None
    t = content[0][topic_id]
    blocks: list[tuple[str, str]] = []
    for para in t.body.strip().split("\n\n"):
        text = " ".join(line.strip() for line in para.splitlines()).strip()
        if text.startswith("#"):
            blocks.append(("h", text.lstrip("#").strip()))
        elif text:
            blocks.append(("p", text))
    return {"id": t.id, "title": t.title, "summary": t.summary, "blocks": blocks}


_TABLES_KEPT = 64  # rendered tables kept per process (a few kB each)
_tables: OrderedDict[bytes, Markup] = OrderedDict()
_tables_lock = threading.Lock()


_rendering: dict[bytes, threading.Lock] = {}  # key -> the lock of its render under way
_parsed: OrderedDict[bytes, dict[str, Any]] = OrderedDict()


def stored_summary(body: bytes) -> dict[str, Any]:
    """A stored summary's JSON, parsed once per process and kept by a hash of its bytes
    (as its tables are): the page reads it and must not change it."""
    key = hashlib.blake2b(body, digest_size=16).digest()
    with _tables_lock:
        hit = _parsed.get(key)
        if hit is not None:
            _parsed.move_to_end(key)
            return hit
    summary: dict[str, Any] = json.loads(body)
    with _tables_lock:
        _parsed[key] = summary
        while len(_parsed) > _TABLES_KEPT:
            _parsed.popitem(last=False)
    return summary


def row_tables(env: Environment, summary: dict[str, Any], body: bytes | None) -> Markup:
    """The night and day tables' HTML. They are most of the page's rendering and depend
    only on the summary, so a stored summary's (body: its bytes) are rendered once per
    process and kept by a hash of those bytes; a range built on request is rendered as is.
    Requests that want the same tables while they are being rendered wait for that one
    render instead of each doing it (the first views after a start or a refresh)."""
    if body is None:
        return _render_tables(env, summary)
    key = hashlib.blake2b(body, digest_size=16).digest()
    with _tables_lock:
        hit = _kept(key)
        if hit is not None:
            return hit
        lock = _rendering.setdefault(key, threading.Lock())
    try:
        with lock:
            with _tables_lock:
                hit = _kept(key)
            if hit is not None:
                return hit
            html = _render_tables(env, summary)
            with _tables_lock:
                _tables[key] = html
                while len(_tables) > _TABLES_KEPT:
                    _tables.popitem(last=False)
            return html
    finally:
        with _tables_lock:
            if _rendering.get(key) is lock:
                del _rendering[key]


def _kept(key: bytes) -> Markup | None:
    """A kept rendering (the caller holds _tables_lock)."""
    hit = _tables.get(key)
    if hit is not None:
        _tables.move_to_end(key)
    return hit


def _render_tables(env: Environment, summary: dict[str, Any]) -> Markup:
    return Markup(env.get_template("_row_tables.html").render(
        night_rows=night_rows(summary), day_rows=day_rows(summary),
        analysed=summary.get("analysis_status") == "ok"))
