"""7-day rolling means, change versus the patient's own baseline, symptom context."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np

from wearlog.analysis.config import AnalysisConfig

NIGHT_METRICS = ("tst_min", "se_pct", "waso_min", "sol_min", "midsleep_local")
DAY_METRICS = ("steps", "mvpa_min", "sedentary_min", "light_min", "nap_min")


def _series(rows: list[dict], key: str, date_key: str,
            dates: dict[str, dt.date] | None = None) -> dict[dt.date, float]:
    """dates: the rows' dates parsed (every metric reads the same rows)."""
    if dates is None:
        dates = {r[date_key]: dt.date.fromisoformat(r[date_key]) for r in rows}
    return {dates[r[date_key]]: float(r[key]) for r in rows
            if r.get("valid") and r.get(key) is not None}


def rolling_trends(nights: list[dict], days: list[dict], cfg: AnalysisConfig) -> list[dict]:
    """Per date: `<metric>_7d` (mean of valid values in the 7 days ending that date) and
    `<metric>_vs_baseline` (that minus the mean of the first `baseline_days` days).
    Invalid nights/days are left out, never averaged in."""
    n_dates = {r["night"]: dt.date.fromisoformat(r["night"]) for r in nights}
    d_dates = {r["day"]: dt.date.fromisoformat(r["day"]) for r in days}
    series = {m: _series(nights, m, "night", n_dates) for m in NIGHT_METRICS}
    series.update({m: _series(days, m, "day", d_dates) for m in DAY_METRICS})
    all_dates = sorted({d for s in series.values() for d in s})
    if not all_dates:
        return []
    first = all_dates[0]
    base_end = first + dt.timedelta(days=cfg.baseline_days)
    baseline = {m: (float(np.mean([v for d, v in s.items() if d < base_end]))
                    if any(d < base_end for d in s) else None) for m, s in series.items()}
    n = (all_dates[-1] - first).days + 1
    w = cfg.rolling_days
    cols: dict[str, list[float | None]] = {}
    for m, s in series.items():  # trailing-window sums and counts over a dense date axis
        v = np.zeros(n + w - 1)
        c = np.zeros(n + w - 1)
        at = [w - 1 + (d - first).days for d in s]
        v[at] = list(s.values())
        c[at] = 1
        sums = np.lib.stride_tricks.sliding_window_view(v, w).sum(axis=1).tolist()
        cnt = np.lib.stride_tricks.sliding_window_view(c, w).sum(axis=1).tolist()
        # (Python floats: the same IEEE division as numpy's)
        cols[m] = [a / k if k else None for a, k in zip(sums, cnt, strict=True)]
    out = []
    # (the keys made once, not per date; the same rows in the same key order)
    named = [(f"{m}_7d", f"{m}_vs_baseline", cols[m], baseline[m]) for m in series]
    for i in range(n):
        row: dict[str, Any] = {"date": (first + dt.timedelta(days=i)).isoformat()}
        for k7, kb, col, base in named:
            mean = col[i]
            row[k7] = mean
            row[kb] = None if mean is None or base is None else mean - base
        out.append(row)
    return out


def symptom_context(nights: list[dict], days: list[dict]) -> list[dict]:
    """Each day with symptom events, next to the night before and the day after."""
    by_night = {r["night"]: r for r in nights}
    by_day = {r["day"]: r for r in days}
    out = []
    for r in days:
        if not r["symptom_events"]:
            continue
        d = dt.date.fromisoformat(r["day"])
        before = by_night.get((d - dt.timedelta(days=1)).isoformat())
        after = by_day.get((d + dt.timedelta(days=1)).isoformat())
        out.append({
            "day": r["day"],
            "symptom_events": r["symptom_events"],
            "high_severity_events": r["high_severity_events"],
            "max_severity": r["max_severity"],
            "night_before": before,
            "day_after": after,
        })
    return out
