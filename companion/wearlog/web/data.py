"""The rows behind each dashboard view, read straight from the store's tables.

Nothing here invents numbers: where analysis has not filled `nights`/`days`, the
result says so (`analysis_available: False`) and the views show it.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import math
import sqlite3
import time
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from wlproto.const import EV_SYMPTOM, FLAG_NONWEAR

EPOCH_S = 30
PER_DAY = 86400 // EPOCH_S
RANGES = (14, 30, 90)

# Patient-list flags (informational prompts for the clinician, not diagnoses).
GAP_HOURS = 48
WORSE_TST_MIN = 30.0
WORSE_SE_PCT = 5.0
RECENT_NIGHTS = 7
BASELINE_NIGHTS = 28
HIGH_SEVERITY = 4
MANY_HIGH_SEVERITY = 5

NIGHT_COLS = ("night", "onset_utc", "offset_utc", "tib_min", "tst_min", "sol_min", "waso_min",
              "se_pct", "awakenings", "midsleep_local", "source", "valid")
DAY_COLS = ("day", "steps", "sedentary_min", "light_min", "moderate_min", "vigorous_min",
            "mvpa_min", "mvpa_bout_min", "longest_active_bout_min", "nap_min", "wear_min",
            "valid", "symptom_events", "high_severity_events", "max_severity")


def patient_tz(conn: sqlite3.Connection, patient_id: str) -> ZoneInfo:
    row = conn.execute("SELECT tz FROM patients WHERE patient_id=?", (patient_id,)).fetchone()
    return ZoneInfo(row[0] if row else "UTC")


def device_ids(conn: sqlite3.Connection, patient_id: str) -> list[int]:
    """Every device the patient wore at some time (records: the timed_*/filed_* views)."""
    rows = conn.execute("SELECT DISTINCT device_id FROM device_assignments WHERE patient_id=?",
                        (patient_id,))
    return [r[0] for r in rows]


def local_midnight_utc(day: dt.date, tz: ZoneInfo) -> int:
    return int(dt.datetime.combine(day, dt.time(0), tzinfo=tz).timestamp())


def date_range(tz: ZoneInfo, days: int, end: dt.date | None) -> list[dt.date]:
    """The `days` local dates ending with `end` (default: today in the patient's zone)."""
    last = end or dt.datetime.now(tz).date()
    return [last - dt.timedelta(days=days - 1 - i) for i in range(days)]


def _finite(v: float | None) -> float | None:
    return None if v is None or not math.isfinite(v) else round(float(v), 4)


def _table_exists(conn: sqlite3.Connection, name: str) -> bool:
    return conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (name,)
    ).fetchone() is not None


# --- patient list -------------------------------------------------------------
def patient_list(
    conn: sqlite3.Connection, patient_ids: list[str], now: int | None = None
) -> list[dict[str, Any]]:
    """One row per patient: last sync, wear time in the last 7 days, and flags."""
    now = int(time.time()) if now is None else now
    if not patient_ids:
        return []
    week_ago = now - 7 * 86400
    ph = ",".join("?" * len(patient_ids))
    last_sync = dict(conn.execute(
        f"SELECT a.patient_id, MAX(COALESCE(s.ended_utc, s.started_utc)) FROM syncs s "
        f"JOIN device_assignments a ON a.device_id = s.device_id "
        f"AND s.started_utc >= IFNULL(a.from_utc, s.started_utc) "
        f"AND s.started_utc < IFNULL(a.to_utc, s.started_utc + 1) "
        f"WHERE a.patient_id IN ({ph}) GROUP BY a.patient_id",
        patient_ids,
    ).fetchall())
    last_data = {
        pid: int(v) for pid, v in conn.execute(
            f"SELECT a.patient_id, MAX((SELECT MAX(utc) FROM epochs e WHERE "
            f"e.device_id = a.device_id AND e.utc >= IFNULL(a.from_utc, -(1 << 62)) "
            f"AND e.utc < IFNULL(a.to_utc, 1 << 62))) FROM device_assignments a "
            f"WHERE a.patient_id IN ({ph}) GROUP BY a.patient_id", patient_ids)
        if v is not None
    }
    # Wear time: the analysis' per-day wear minutes where it has run (its non-wear detection
    # is better than the device flag, and it is one indexed read); else worn device epochs.
    first_day = (dt.datetime.fromtimestamp(now, dt.UTC).date() - dt.timedelta(days=6))
    wear_min = dict(conn.execute(
        f"SELECT patient_id, SUM(wear_min) FROM days WHERE patient_id IN ({ph}) AND day >= ? "
        f"AND wear_min IS NOT NULL GROUP BY patient_id", (*patient_ids, first_day.isoformat()),
    ).fetchall())
    worn: dict[str, float] = {}
    for pid in patient_ids:
        if pid in wear_min:
            continue
        n = conn.execute(
            "SELECT COUNT(*) FROM timed_epochs WHERE patient_id=? AND utc >= ? AND utc < ? "
            "AND (flags & ?) = 0", (pid, week_ago, now, FLAG_NONWEAR),
        ).fetchone()[0]
        worn[pid] = worn.get(pid, 0) + int(n) * EPOCH_S / 60
    high = dict(conn.execute(
        f"SELECT patient_id, COUNT(*) FROM timed_events "
        f"WHERE patient_id IN ({ph}) AND etype=? AND value>=? AND utc>=? "
        f"GROUP BY patient_id",
        (*patient_ids, EV_SYMPTOM, HIGH_SEVERITY, week_ago),
    ).fetchall())
    out = []
    for pid in patient_ids:
        worse = sleep_worse(conn, pid)
        last = last_data.get(pid)
        flags = []
        if last is None or now - last > GAP_HOURS * 3600:
            flags.append("data gap")
        if worse:
            flags.append("sleep worse than baseline")
        if high.get(pid, 0) >= MANY_HIGH_SEVERITY:
            flags.append("many high-severity symptoms")
        out.append({
            "patient_id": pid,
            "last_sync_utc": last_sync.get(pid),
            "last_data_utc": last,
            "wear_hours_7d": round((wear_min.get(pid) or worn.get(pid, 0)) / 60, 1),
            "wear_source": "analysis" if pid in wear_min else "device flags",
            "high_severity_7d": int(high.get(pid, 0)),
            "sleep_worse": worse,
            "flags": flags,
        })
    return out


def sleep_worse(conn: sqlite3.Connection, patient_id: str) -> bool | None:
    """Recent 7 valid nights vs the 28 before: TST down >= 30 min or SE down >= 5 points.

    None when analysis has not produced enough nights to compare.
    """
    rows = conn.execute(
        "SELECT tst_min, se_pct FROM nights WHERE patient_id=? AND valid=1 "
        "ORDER BY night DESC LIMIT ?", (patient_id, RECENT_NIGHTS + BASELINE_NIGHTS),
    ).fetchall()
    recent, base = rows[:RECENT_NIGHTS], rows[RECENT_NIGHTS:]
    if len(recent) < 3 or len(base) < 7:
        return None

    def mean(xs: list[Any], i: int) -> float | None:
        vals = [r[i] for r in xs if r[i] is not None]
        return sum(vals) / len(vals) if vals else None

    r_tst, b_tst, r_se, b_se = mean(recent, 0), mean(base, 0), mean(recent, 1), mean(base, 1)
    tst_drop = r_tst is not None and b_tst is not None and b_tst - r_tst >= WORSE_TST_MIN
    se_drop = r_se is not None and b_se is not None and b_se - r_se >= WORSE_SE_PCT
    return bool(tst_drop or se_drop)


# --- epoch grid (actogram, completeness, rhythm) --------------------------------
def epoch_grid(
    conn: sqlite3.Connection, patient_id: str, dates: list[dt.date]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(enmo [0.1 mg] with NaN where missing, worn mask, present mask), shape (days, 2880)."""
    tz = patient_tz(conn, patient_id)
    n = len(dates)
    enmo = np.full((n, PER_DAY), np.nan)
    present = np.zeros((n, PER_DAY), dtype=bool)
    worn = np.zeros((n, PER_DAY), dtype=bool)
    starts = np.array([local_midnight_utc(d, tz) for d in dates]
                      + [local_midnight_utc(dates[-1] + dt.timedelta(days=1), tz)])
    devs = device_ids(conn, patient_id)
    if not devs:
        return enmo, worn, present
    # One packed integer per row (seconds since start, ENMO, non-wear bit): building a
    # Python tuple per row was most of the time for 90 days x 2,880 epochs.
    t0 = int(starts[0])
    rows = conn.execute(
        "SELECT ((utc - ?) << 17) | (enmo_dmg << 1) | ((flags & ?) != 0) FROM timed_epochs "
        "WHERE patient_id=? AND utc >= ? AND utc < ?",
        (t0, FLAG_NONWEAR, patient_id, t0, int(starts[-1])),
    ).fetchall()
    if not rows:
        return enmo, worn, present
    packed = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    utc = (packed >> 17) + t0
    day = np.searchsorted(starts, utc, side="right") - 1
    slot = (utc - starts[day]) // EPOCH_S
    ok = (day >= 0) & (day < n) & (slot < PER_DAY)
    day, slot, packed = day[ok], slot[ok], packed[ok]
    enmo[day, slot] = (packed >> 1) & 0xFFFF
    present[day, slot] = True
    worn[day, slot] = (packed & 1) == 0
    return enmo, worn, present


def actogram(conn: sqlite3.Connection, patient_id: str, dates: list[dt.date]) -> dict[str, Any]:
    """Activity per epoch as bytes: 0..254 on a log scale of ENMO, 255 = no data or not worn.

    Base64 keeps 90 days x 2,880 epochs to ~350 kB instead of megabytes of JSON numbers.
    """
    enmo, worn, _ = epoch_grid(conn, patient_id, dates)
    scaled = np.log1p(np.nan_to_num(enmo, nan=0.0)) / math.log1p(2000.0) * 254
    b = np.clip(np.rint(scaled), 0, 254).astype(np.uint8)
    b[~worn] = 255
    symptoms = symptom_events(conn, patient_id, dates)
    return {
        "patient_id": patient_id,
        "dates": [d.isoformat() for d in dates],
        "epoch_s": EPOCH_S,
        "per_day": PER_DAY,
        "encoding": "uint8 log1p(ENMO 0.1 mg)/log1p(2000)*254, 255 = missing or not worn",
        "values_b64": base64.b64encode(b.tobytes()).decode("ascii"),
        "epochs_with_data": int(worn.sum()),
        "symptoms": symptoms,
        "day_starts_utc": [local_midnight_utc(d, patient_tz(conn, patient_id)) for d in dates],
    }


def symptom_events(
    conn: sqlite3.Connection, patient_id: str, dates: list[dt.date]
) -> list[dict[str, int]]:
    tz = patient_tz(conn, patient_id)
    start = local_midnight_utc(dates[0], tz)
    end = local_midnight_utc(dates[-1] + dt.timedelta(days=1), tz)
    rows = conn.execute(
        "SELECT utc, value FROM timed_events WHERE patient_id=? AND etype=? "
        "AND utc >= ? AND utc < ? ORDER BY utc", (patient_id, EV_SYMPTOM, start, end),
    )
    return [{"utc": r[0], "severity": r[1]} for r in rows]


# --- summary ----------------------------------------------------------------------
def summary(conn: sqlite3.Connection, patient_id: str, dates: list[dt.date]) -> dict[str, Any]:
    """Everything the summary page shows except the actogram bytes."""
    tz = patient_tz(conn, patient_id)
    first, last = dates[0].isoformat(), dates[-1].isoformat()
    nights = [dict(zip(NIGHT_COLS, r, strict=True)) for r in conn.execute(
        f"SELECT {', '.join(NIGHT_COLS)} FROM nights WHERE patient_id=? AND night BETWEEN ? AND ? "
        "ORDER BY night", (patient_id, first, last))]
    days = [dict(zip(DAY_COLS, r, strict=True)) for r in conn.execute(
        f"SELECT {', '.join(DAY_COLS)} FROM days WHERE patient_id=? AND day BETWEEN ? AND ? "
        "ORDER BY day", (patient_id, first, last))]
    for n in nights:  # x position: the midnight inside the night, for charts aligned in time
        morning = dt.date.fromisoformat(n["night"]) + dt.timedelta(days=1)
        n["x_utc"] = local_midnight_utc(morning, tz)
    for row in days:  # x position: noon of the day
        row["x_utc"] = local_midnight_utc(dt.date.fromisoformat(row["day"]), tz) + 43200
    enmo, worn, present = epoch_grid(conn, patient_id, dates)
    completeness = [
        {"date": d.isoformat(), "present_pct": round(100 * float(p.mean()), 1),
         "worn_pct": round(100 * float(w.mean()), 1)}
        for d, p, w in zip(dates, present, worn, strict=True)
    ]
    rh = rhythm(enmo, worn)
    rh["n_valid_days"] = sum(1 for d in days if d["valid"])
    return {
        "patient_id": patient_id,
        "tz": str(tz),
        "range_days": len(dates),
        "first_date": first,
        "last_date": last,
        "analysis_available": bool(nights or days),
        "nights": nights,
        "days": days,
        "means": _means(nights, days),
        "symptoms": symptom_events(conn, patient_id, dates),
        "completeness": completeness,
        "completeness_pct": round(100 * float(worn.mean()), 1),
        "rhythm": rh,
        # evaluated first: it records its links, which the history below then includes
        "findings": education_findings(conn, patient_id, nights, days, rh, dates[-1]),
        "topics": linked_topics(conn, patient_id),
        "sleep_worse_than_baseline": sleep_worse(conn, patient_id),
    }


def _means(nights: list[dict[str, Any]], days: list[dict[str, Any]]) -> dict[str, float | None]:
    def m(rows: list[dict[str, Any]], key: str) -> float | None:
        vals = [r[key] for r in rows if r.get("valid") and r[key] is not None]
        return round(sum(vals) / len(vals), 1) if vals else None

    return {
        "tst_min": m(nights, "tst_min"), "se_pct": m(nights, "se_pct"),
        "waso_min": m(nights, "waso_min"), "sol_min": m(nights, "sol_min"),
        "steps": m(days, "steps"), "mvpa_min": m(days, "mvpa_min"),
        "sedentary_min": m(days, "sedentary_min"),
    }


def rhythm(enmo: np.ndarray, worn: np.ndarray) -> dict[str, Any]:
    """IS/IV/L5/M10/RA from the analysis package, on worn epochs only."""
    try:
        from wearlog.analysis.errors import AnalysisError
        from wearlog.analysis.rhythm import rhythm_metrics
    except ImportError:
        return {"available": False, "reason": "analysis not available"}
    x = np.where(worn, enmo, np.nan).ravel()
    if not np.isfinite(x).any():
        return {"available": False, "reason": "no worn data in this range"}
    first = int(np.argmax(np.isfinite(x)))
    try:
        m = rhythm_metrics(x[first:], first * EPOCH_S, EPOCH_S)
    except AnalysisError as e:
        return {"available": False, "reason": str(e)}
    return {"available": True, **{k: _finite(v) for k, v in m.items()}}


@functools.lru_cache(maxsize=1)
def _education() -> tuple[Any, Any] | None:
    """(topics, rules) parsed once per process; None when the content cannot load."""
    try:
        from wearlog.education import load_rules, load_topics

        topics = load_topics()
        return topics, load_rules(topics=topics)
    except Exception:  # module or content missing: the page says so
        return None


def education_findings(
    conn: sqlite3.Connection, patient_id: str, nights: list[dict[str, Any]],
    days: list[dict[str, Any]], rh: dict[str, Any], last: dt.date,
) -> dict[str, Any]:
    """Evaluate the education rules on this range and record the links they make.

    Links are recorded (idempotently) so the topic list keeps what a clinician was shown.
    """
    content = _education()
    if content is None:
        return {"available": False, "reason": "educational content not available", "items": []}
    if not nights and not days:
        return {"available": False, "reason": "analysis not available", "items": []}
    from wearlog.education import EducationError, evaluate, linked_topics, record_links
    from wearlog.education.metrics import DAY_KEYS, NIGHT_KEYS, RHYTHM_KEYS

    topics, rules = content
    n_rows = [{k: n.get(k) for k in NIGHT_KEYS} for n in nights]
    d_rows = [{k: d.get(k) for k in DAY_KEYS} for d in days]
    rhythm_in = ({k: rh.get(k) for k in RHYTHM_KEYS} if rh.get("available")
                 else None)
    try:
        findings = evaluate(n_rows, d_rows, rhythm_in, audience="clinician",
                            as_of=last, rules=rules, topics=topics)
        linked = linked_topics(findings, topics)
    except EducationError as e:
        return {"available": False, "reason": str(e), "items": []}
    try:
        record_links(conn, patient_id, findings)
        recorded = True
    except EducationError:  # e.g. the database stayed locked: show the topics anyway
        recorded = False
    return {
        "available": True,
        "recorded": recorded,
        "items": [
            {"topic_id": lt.topic.id, "title": lt.topic.title, "summary": lt.topic.summary,
             "findings": [f.text for f in lt.findings]}
            for lt in linked
        ],
    }


@functools.lru_cache(maxsize=1)
def _topic_titles() -> dict[str, str]:
    try:
        from wearlog.education import load_topics

        return {k: t.title for k, t in load_topics().items()}
    except Exception:  # content missing or malformed: show ids, not nothing
        return {}


def linked_topics(conn: sqlite3.Connection, patient_id: str) -> dict[str, Any]:
    """Rows written by wearlog.education.record_links, read without creating anything."""
    if not _table_exists(conn, "linked_topics"):
        return {"available": False, "items": []}
    titles = _topic_titles()
    rows = conn.execute(
        "SELECT topic_id, rule_id, finding_text, window_end, linked_at FROM linked_topics "
        "WHERE patient_id=? ORDER BY window_end DESC, topic_id", (patient_id,),
    )
    items = [
        {"topic_id": r[0], "title": titles.get(r[0], r[0]), "rule_id": r[1],
         "finding": r[2], "window_end": r[3], "linked_at": r[4]}
        for r in rows
    ]
    return {"available": True, "items": items}


def disclaimer() -> str:
    try:
        from wearlog.education import DISCLAIMER

        return DISCLAIMER
    except ImportError:
        return ("This is educational information, not medical advice: Wearlog does not "
                "diagnose or treat, so please discuss anything here with your clinician.")


def epoch_rows(conn: sqlite3.Connection, patient_id: str, dates: list[dt.date]) -> list[list[int]]:
    """The bare epoch rows of a range (the bench's baseline: same rows, no processing)."""
    tz = patient_tz(conn, patient_id)
    start = local_midnight_utc(dates[0], tz)
    end = local_midnight_utc(dates[-1] + dt.timedelta(days=1), tz)
    return [list(r) for r in conn.execute(
        "SELECT utc, enmo_dmg, flags, steps FROM timed_epochs WHERE patient_id=? "
        "AND utc >= ? AND utc < ?", (patient_id, start, end))]
