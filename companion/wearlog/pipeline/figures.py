"""Every figure a view shows, defined once: built from stored rows, stored as JSON.

Conventions (docs/analysis.md): summary statistics are means over valid nights/days of
the range; a night is dated by the evening it begins (the local date of the noon that
opens its noon-to-noon window) and plotted on that date; a range ends on the last day
with data unless asked otherwise; completeness counts only days of the monitoring
period (first to last record).
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import math
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import orjson

from wearlog.analysis import profiles
from wearlog.analysis.config import AnalysisConfig
from wearlog.store import Store
from wlproto.const import EV_SYMPTOM

RANGES = (14, 30, 90)
NOT_MONITORING = "not yet monitoring"
AFTER_LAST = "no data received yet"
MONITORING = "monitoring"


@functools.lru_cache(maxsize=4096)
def local_midnight_utc(day: dt.date, tz: ZoneInfo) -> int:
    # (cached: a refresh asks for each date of its rows several times)
    return int(dt.datetime.combine(day, dt.time(0), tzinfo=tz).timestamp())


def local_date(utc: int, tz: ZoneInfo) -> dt.date:
    return dt.datetime.fromtimestamp(utc, tz).date()


def date_range(days: int, last: dt.date) -> list[dt.date]:
    """The `days` local dates ending with `last`."""
    return [last - dt.timedelta(days=days - 1 - i) for i in range(days)]


def default_end(store: Store, patient_id: str, tz: ZoneInfo) -> dt.date | None:
    """The last local day with data (None: no data yet)."""
    _first, last = store.data_span(patient_id)
    return None if last is None else local_date(last, tz)


def _round(v: Any) -> Any:
    if isinstance(v, float):
        return None if not math.isfinite(v) else round(v, 4)
    return v


def means(nights: list[dict[str, Any]], days: list[dict[str, Any]]) -> dict[str, float | None]:
    """The range's summary statistics: means of valid nights/days (one convention)."""
    def m(rows: list[dict[str, Any]], key: str) -> float | None:
        vals = [r[key] for r in rows if r.get("valid") and r[key] is not None]
        return round(sum(vals) / len(vals), 1) if vals else None

    return {
        "tst_min": m(nights, "tst_min"), "se_pct": m(nights, "se_pct"),
        "waso_min": m(nights, "waso_min"), "sol_min": m(nights, "sol_min"),
        "steps": m(days, "steps"), "mvpa_min": m(days, "mvpa_min"),
        "sedentary_min": m(days, "sedentary_min"),
    }


@functools.lru_cache(maxsize=1)
def _education() -> tuple[Any, Any] | None:
    """(topics, rules) parsed once per process; None when the content cannot load."""
    try:
        from wearlog.education import load_rules, load_topics

        topics = load_topics()
        return topics, load_rules(topics=topics)
    except Exception:  # content missing or malformed: the page says so
        return None


def preload() -> None:
    """Parse the education content now (before worker processes fork from this one)."""
    _education()


def disclaimer() -> str:
    try:
        from wearlog.education import DISCLAIMER

        return DISCLAIMER
    except ImportError:
        return ("This is educational information, not medical advice: Wearlog does not "
                "diagnose or treat, so please discuss anything here with your clinician.")


def findings(nights: list[dict[str, Any]], days: list[dict[str, Any]],
             rhythm: dict[str, Any], last: dt.date, audience: str = "clinician"
             ) -> tuple[dict[str, Any], list[Any]]:
    """The education rules on this range's stored figures: (view dict, fired findings);
    audience picks the wording (the wearer app asks for the wearer's)."""
    content = _education()
    if content is None:
        return {"available": False, "reason": "educational content not available",
                "items": []}, []
    if not nights and not days:
        return {"available": False, "reason": "analysis not available", "items": []}, []
    from wearlog.education import EducationError, evaluate, linked_topics
    from wearlog.education.metrics import RHYTHM_KEYS

    topics, rules = content
    # the rows as they are (no copies of their rule keys): the rules read a key with
    # .get or after checking it is a number, so a key not in a row reads as None either way
    rh = {k: rhythm.get(k) for k in RHYTHM_KEYS} if rhythm.get("available") else None
    try:
        found = evaluate(nights, days, rh, audience=audience, as_of=last, rules=rules,
                         topics=topics)
        linked = linked_topics(found, topics)
    except EducationError as e:
        return {"available": False, "reason": str(e), "items": []}, []
    items = [{"topic_id": lt.topic.id, "title": lt.topic.title, "summary": lt.topic.summary,
              "findings": [f.text for f in lt.findings]} for lt in linked]
    return {"available": True, "items": items}, [f for f in found if f.fired]


def topic_history(store: Store, patient_id: str) -> dict[str, Any]:
    content = _education()
    titles = {k: t.title for k, t in content[0].items()} if content else {}
    return {"available": True, "items": [
        {"topic_id": r["topic_id"], "title": titles.get(r["topic_id"], r["topic_id"]),
         "rule_id": r["rule_id"], "finding": r["finding_text"], "window_end": r["window_end"],
         "linked_at": r["linked_at"]} for r in store.links_of(patient_id)]}


def sleep_worse(nights: list[dict[str, Any]], recent_n: int = 7, base_n: int = 28
                ) -> bool | None:
    """Recent 7 valid nights vs the 28 before: TST down >= 30 min or SE down >= 5 points.

    None when there are not enough nights to compare (an informational prompt, not a
    diagnosis)."""
    valid = [n for n in sorted(nights, key=lambda n: n["night"], reverse=True) if n["valid"]]
    recent, base = valid[:recent_n], valid[recent_n:recent_n + base_n]
    if len(recent) < 3 or len(base) < 7:
        return None

    def mean(xs: list[dict[str, Any]], k: str) -> float | None:
        vals = [r[k] for r in xs if r[k] is not None]
        return sum(vals) / len(vals) if vals else None

    r_tst, b_tst = mean(recent, "tst_min"), mean(base, "tst_min")
    r_se, b_se = mean(recent, "se_pct"), mean(base, "se_pct")
    tst = r_tst is not None and b_tst is not None and b_tst - r_tst >= 30.0
    se = r_se is not None and b_se is not None and b_se - r_se >= 5.0
    return bool(tst or se)


KnownGrid = tuple[list[dt.date], tuple[np.ndarray, np.ndarray]]


def earlier_rhythm(store: Store, patient_id: str, days: int, first: dt.date,
                   cfg: AnalysisConfig,
                   known: tuple[list[dict[str, Any]], dict[str, tuple[bytes, bytes]],
                                KnownGrid] | None = None) -> dict[str, Any]:
    """The rhythm figures of the `days` days before a range starting on `first` (the
    patient's own earlier values), over their valid, not excluded days. known: (every
    stored day, the stored profiles of the dates known[2][0], their grids) the caller
    read already: used when those dates cover these (else the store is read)."""
    dates = date_range(days, first - dt.timedelta(days=1))
    lo, hi = dates[0].isoformat(), dates[-1].isoformat()
    base = {"first": lo, "last": hi}
    grid = None
    if known is not None and known[2][0] and known[2][0][0] <= dates[0] \
            and dates[-1] <= known[2][0][-1]:
        grid = profiles.sub_grids(dates, known[2][0], known[2][1], known[1])
    if grid is not None and known is not None:  # the same rows as the queries below give
        stored = {k: v for k, v in known[1].items() if lo <= k <= hi}
        day_rows = [d for d in known[0] if lo <= d["day"] <= hi]
    else:
        stored = store.profiles_between(patient_id, lo, hi)
    if not stored:
        return {**base, "available": False, "rhythm": {},
                "reason": f"no data in the {days} days before"}
    if grid is None:
        day_rows = store.days_between(patient_id, lo, hi)
    valid = {d["day"] for d in day_rows if d["valid"] and not d.get("excluded")}
    rh = profiles.rhythm(dates, stored, valid, cfg.min_rhythm_days, grid=grid)
    if rh.get("IS") is None:
        return {**base, "available": False, "rhythm": {},
                "reason": f"the {days} days before have {rh['n_valid_days']} valid days, "
                          f"{cfg.min_rhythm_days} needed"}
    return {**base, "available": True, "rhythm": {k: _round(v) for k, v in rh.items()}}


def _same_rhythm(known: tuple[list[dt.date], dict[str, Any]], dates: list[dt.date],
                 stored: dict[str, tuple[bytes, bytes]], valid: set[str]) -> bool:
    """Whether the rhythm the caller computed over known[0] is this range's: the same
    dates, or those dates preceded only by dates without a profile or a valid day (a
    90-day range of a 30-day patient). Such dates add all-missing rows before the first:
    no valid day for IS/IV/L5/M10, no pair of states 24 h apart for the SRI."""
    if len(known[0]) > len(dates):
        return False
    extra = len(dates) - len(known[0])
    return dates[extra:] == known[0] and not any(
        d.isoformat() in stored or d.isoformat() in valid for d in dates[:extra])


def _view_row(row: dict[str, Any], key: str, tz: ZoneInfo) -> dict[str, Any]:
    """A stored night or day as views show it: plotted on the date it is named by (a
    night: the evening it begins), floats rounded."""
    # _round inlined (a few thousand values per refresh); no copy of the row first: the
    # same keys in the same order, x_utc (an int) last
    out = {k: ((round(v, 4) if math.isfinite(v) else None) if isinstance(v, float) else v)
           for k, v in row.items() if k != "patient_id"}
    out["x_utc"] = local_midnight_utc(dt.date.fromisoformat(row[key]), tz) + 43200
    return out


def _view_rows(rows: list[dict[str, Any]], key: str, first: str, last: str, tz: ZoneInfo,
               memo: dict[tuple[str, str], dict[str, Any]] | None
               ) -> list[dict[str, Any]]:
    out = []
    for row in rows:
        if not first <= row[key] <= last:
            continue
        if memo is None:
            out.append(_view_row(row, key, tz))
            continue
        v = memo.get((key, row[key]))
        if v is None:
            v = memo[(key, row[key])] = _view_row(row, key, tz)
        out.append(v)
    return out


def build_summary(store: Store, patient_id: str, dates: list[dt.date],
                  cfg: AnalysisConfig | None = None, status: str = "ok",
                  worse: bool | None = None,
                  span: tuple[int | None, int | None] | None = None,
                  known_rhythm: tuple[list[dt.date], dict[str, Any]] | None = None,
                  known_rows: tuple[list[dict[str, Any]], list[dict[str, Any]],
                                    dict[str, tuple[bytes, bytes]]] | None = None,
                  tz: ZoneInfo | None = None, known_grid: KnownGrid | None = None,
                  view_rows: dict[tuple[str, str], dict[str, Any]] | None = None,
                  topics: bool = True) -> tuple[dict[str, Any], list[Any]]:
    """The summary of a range from stored rows: (the view's dict, fired findings);
    span: the patient's (first, last) epoch time, known_rhythm: (dates, rhythm) the
    caller computed already (used when they are this range's, or this range only adds
    earlier dates without data: _same_rhythm), known_rows: (every
    stored night, every stored day, the stored profiles of at least these dates) the
    caller read already (the refresh step builds three ranges from one read), known_grid:
    (consecutive dates, profiles.grids of them from known_rows' profiles) to slice,
    view_rows: a dict the caller keeps across the ranges it builds from the same
    known_rows and tz, so each night's and day's view row is made once (read only);
    topics False: "topics" is left None for the caller to set (the refresh step sets the
    history after recording this range's links)."""
    cfg = cfg or AnalysisConfig()
    tz = tz or ZoneInfo(store.patient(patient_id)["tz"])
    first, last = dates[0].isoformat(), dates[-1].isoformat()
    if known_rows is None:
        nights = _view_rows(store.nights_between(patient_id, first, last), "night", first,
                            last, tz, None)
        days = _view_rows(store.days_between(patient_id, first, last), "day", first, last,
                          tz, None)
        stored = store.profiles_between(patient_id, first, last)
    else:  # the same rows as the queries above give (copies: the caller's stay as read)
        nights = _view_rows(known_rows[0], "night", first, last, tz, view_rows)
        days = _view_rows(known_rows[1], "day", first, last, tz, view_rows)
        stored = known_rows[2]
    lo_utc, hi_utc = store.data_span(patient_id) if span is None else span
    mon = ((local_date(lo_utc, tz), local_date(hi_utc, tz))
           if lo_utc is not None and hi_utc is not None else None)
    grid = (profiles.sub_grids(dates, known_grid[0], known_grid[1], stored)
            if known_grid is not None and known_rows is not None else None)
    _enmo, state = profiles.grids(dates, stored) if grid is None else grid
    completeness: list[dict[str, Any]] = []
    worn_total = slots_total = 0
    # per date, counted over the whole grid at once (the same counts as row by row; a
    # row's mean of present slots is its count over its length, as np.mean gives it)
    # (summed as bytes into uint16 while a row's slots fit it, 2,880 at 30 s: the same
    # counts, at a quarter of the CPU)
    acc = np.uint16 if state.shape[1] < 65536 else np.int64
    worn_n = ((state <= 1) | (state == profiles.UNSCORED)).view(np.uint8).sum(
        axis=1, dtype=acc).tolist()
    present_n = (state != profiles.NO_DATA).view(np.uint8).sum(axis=1, dtype=acc).tolist()
    slots = state.shape[1]
    for i, d in enumerate(dates):
        if mon is None or d < mon[0]:
            completeness.append({"date": d.isoformat(), "status": NOT_MONITORING,
                                 "present_pct": None, "worn_pct": None})
            continue
        if d > mon[1]:
            completeness.append({"date": d.isoformat(), "status": AFTER_LAST,
                                 "present_pct": None, "worn_pct": None})
            continue
        worn = int(worn_n[i])
        worn_total += worn
        slots_total += slots
        completeness.append({"date": d.isoformat(), "status": MONITORING,
                             "present_pct": round(100 * float(np.float64(present_n[i]) / slots),
                                                  1),
                             "worn_pct": round(100 * worn / slots, 1)})
    valid = {d["day"] for d in days if d["valid"]}
    rh = (known_rhythm[1] if known_rhythm is not None
          and _same_rhythm(known_rhythm, dates, stored, valid)
          else profiles.rhythm(dates, stored, valid, cfg.min_rhythm_days, grid=grid))
    if rh.get("IS") is not None:
        rhythm: dict[str, Any] = {"available": True, **{k: _round(v) for k, v in rh.items()}}
    else:
        rhythm = {"available": False, **{k: _round(v) for k, v in rh.items()},
                  "reason": f"needs {cfg.min_rhythm_days} valid days, has "
                            f"{rh['n_valid_days']}"}
    view_findings, fired = findings(nights, days, rhythm, dates[-1])
    symptoms = store.symptoms_between(patient_id, EV_SYMPTOM, local_midnight_utc(dates[0], tz),
                                      local_midnight_utc(dates[-1] + dt.timedelta(days=1), tz))
    out = {
        "patient_id": patient_id,
        "tz": str(tz),
        "range_days": len(dates),
        "first_date": first,
        "last_date": last,
        "analysis_status": status,
        "analysis_available": status == "ok" and bool(nights or days),
        "monitoring_first_date": mon[0].isoformat() if mon else None,
        "monitoring_last_date": mon[1].isoformat() if mon else None,
        "nights": nights,
        "days": days,
        "means": means(nights, days),
        "symptoms": symptoms,
        "completeness": completeness,
        "completeness_pct": round(100 * worn_total / slots_total, 1) if slots_total else None,
        "rhythm": rhythm,
        "earlier_rhythm": earlier_rhythm(
            store, patient_id, len(dates), dates[0], cfg,
            known=(known_rows[1], known_rows[2], known_grid)
            if known_rows is not None and known_grid is not None else None),
        "findings": view_findings,
        "topics": topic_history(store, patient_id) if topics else None,
        "sleep_worse_than_baseline": worse,
        "disclaimer": disclaimer(),
    }
    return out, fired


def pending_summary(patient_id: str, tz: str, range_days: int, state: dict[str, Any]
                    ) -> dict[str, Any]:
    """What views show while the refresh step is behind: no figures, and why."""
    reason = ("analysis pending: new records arrived and have not been analysed yet"
              if state["status"] == "pending" else
              f"analysis failed ({state['error']}); the records are kept and it is retried at "
              "the next upload or with `wearlog refresh`" if state["status"] == "failed" else
              "no analysed data yet")
    return {
        "patient_id": patient_id, "tz": tz, "range_days": range_days, "first_date": None,
        "last_date": None, "analysis_status": state["status"], "analysis_available": False,
        "analysis_reason": reason, "monitoring_first_date": None,
        "monitoring_last_date": None, "nights": [], "days": [], "means": means([], []),
        "symptoms": [], "completeness": [], "completeness_pct": None,
        "rhythm": {"available": False, "reason": reason},
        "findings": {"available": False, "reason": reason, "items": []},
        "topics": {"available": False, "items": []},
        "sleep_worse_than_baseline": None, "disclaimer": disclaimer(),
    }


def to_json(value: Any) -> bytes:
    """The stored form of figures: compact, key order kept (views send summaries as they
    are). orjson: a tenth of json's time, which was about a tenth of a refresh after one
    more day; a value that is not finite is written as null (what views show for a
    missing figure), never as NaN."""
    return orjson.dumps(value, option=orjson.OPT_SERIALIZE_NUMPY)


def summary_json(summary: dict[str, Any]) -> bytes:
    """A range's summary as stored."""
    return to_json(summary)


def actogram(store: Store, patient_id: str, dates: list[dt.date]) -> dict[str, Any]:
    """Activity per 30-s slot as bytes from the stored day profiles: 0..254 on a log scale
    of ENMO, 255 = no data or not worn (base64: 90 days x 2,880 slots is ~350 kB)."""
    tz = ZoneInfo(store.patient(patient_id)["tz"])
    stored = store.profiles_between(patient_id, dates[0].isoformat(), dates[-1].isoformat())
    enmo, state = profiles.grids(dates, stored)
    worn = ~np.isnan(enmo)
    scaled = np.log1p(np.nan_to_num(enmo * 10, nan=0.0)) / math.log1p(2000.0) * 254
    b = np.clip(np.rint(scaled), 0, 254).astype(np.uint8)
    b[~worn] = 255
    start = local_midnight_utc(dates[0], tz)
    end = local_midnight_utc(dates[-1] + dt.timedelta(days=1), tz)
    return {
        "patient_id": patient_id,
        "dates": [d.isoformat() for d in dates],
        "epoch_s": profiles.EPOCH_S,
        "per_day": profiles.PER_DAY,
        "encoding": "uint8 log1p(ENMO 0.1 mg)/log1p(2000)*254, 255 = missing or not worn",
        "values_b64": base64.b64encode(b.tobytes()).decode("ascii"),
        "epochs_with_data": int(worn.sum()),
        "not_worn": not_worn_runs(state == profiles.NOT_WORN),
        "symptoms": store.symptoms_between(patient_id, EV_SYMPTOM, start, end),
        "day_starts_utc": [local_midnight_utc(d, tz) for d in dates],
    }


def not_worn_runs(mask: np.ndarray) -> list[list[int]]:
    """[row, first slot, end slot) of each run of True per row: the actogram tells
    not worn from no data with these few runs instead of a second byte per epoch."""
    out: list[list[int]] = []
    for r, row in enumerate(mask):
        edges = np.flatnonzero(np.diff(np.concatenate(([0], row.astype(np.int8), [0]))))
        out.extend([r, int(a), int(b)] for a, b in zip(edges[::2], edges[1::2], strict=True))
    return out


def summary_for(store: Store, patient_id: str, days: int, end: dt.date | None = None
                ) -> bytes | dict[str, Any]:
    """What the dashboard's summary API and `wearlog report` show for a range: the stored
    JSON of a standard range ending on the last day with data, else the same figures built
    read-only from the stored rows; a pending or failed refresh says so instead."""
    tz = ZoneInfo(store.patient(patient_id)["tz"])
    state = store.analysis_state(patient_id)
    if state["status"] != "ok":
        return pending_summary(patient_id, str(tz), days, state)
    last = default_end(store, patient_id, tz)
    if end is None or end == last:
        stored = store.stored_summary(patient_id, days)
        if stored is not None:
            return stored
    target = end or last
    if target is None:
        return pending_summary(patient_id, str(tz), days, state)
    body, _fired = build_summary(store, patient_id, date_range(days, target),
                                 worse=sleep_worse(store.nights_between(
                                     patient_id, "0000-01-01", "9999-12-31")))
    return body


def summary_dict(store: Store, patient_id: str, days: int) -> dict[str, Any]:
    """summary_for's range as a dict (views that read fields rather than send bytes)."""
    body = summary_for(store, patient_id, days)
    return orjson.loads(body) if isinstance(body, bytes) else body


def wearer_topics(summary: dict[str, Any]) -> dict[str, Any]:
    """A range's linked topics in the wearer's wording: the same stored figures through
    the same rules as the clinician's findings (the wearer's app and the demo)."""
    if not summary["analysis_available"]:
        return {"available": False, "reason": summary.get("analysis_reason"), "items": []}
    view, _fired = findings(summary["nights"], summary["days"], summary["rhythm"],
                            dt.date.fromisoformat(summary["last_date"]), audience="wearer")
    return view
