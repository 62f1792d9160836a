"""Count-based scoring and rhythm for imported actigraphy (activity counts per epoch).

For data from other actigraphs that give activity counts rather than ENMO and angle.
count_sleep scores every minute (Cole-Kripke 1992, Sadeh 1994; 30-s counts are summed
into minutes first) and sums per noon-to-noon local window: total scored sleep in 24 h,
with no sleep-period detection. count_rhythm gives IS, IV, RA, L5 and M10 of the counts.
The refresh step stores both (count_figures; v18 count_* tables): views read those.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from wearlog.analysis.config import AnalysisConfig
from wearlog.analysis.counts import cole_kripke, sadeh
from wearlog.analysis.errors import AnalysisError, NotEnoughDataError
from wearlog.analysis.rhythm import rhythm_metrics
from wearlog.store import Store

METHODS: dict[str, Callable[[np.ndarray], np.ndarray]] = {"cole-kripke": cole_kripke,
                                                          "sadeh": sadeh}


Series = tuple[int, int, np.ndarray]  # UTC of index 0, epoch s, counts (NaN: gaps)


def count_series(store: Store, patient_id: str) -> Series | None:
    """(UTC of index 0, epoch s, counts with NaN for gaps) of a patient's imported counts.

    When counts were imported at several epoch lengths, the most common one is used.
    """
    rows = store.counts_series(patient_id)
    if not rows:
        return None
    epoch_s = Counter(r[2] for r in rows).most_common(1)[0][0]
    rows = [r for r in rows if r[2] == epoch_s]
    t0 = rows[0][0]
    x = np.full((rows[-1][0] - t0) // epoch_s + 1, np.nan)
    for utc, c, _ in rows:
        x[(utc - t0) // epoch_s] = c
    return t0, epoch_s, x


def count_sleep(store: Store, patient_id: str, method: str = "cole-kripke") -> list[dict]:
    """Per night (evening date, local): minutes scored asleep from 1-min activity counts."""
    if method not in METHODS:
        raise AnalysisError(f"unknown method {method!r}: use one of {', '.join(METHODS)}")
    return _sleep(count_series(store, patient_id), ZoneInfo(store.patient(patient_id)["tz"]),
                  method)


def _sleep(series: Series | None, tz: ZoneInfo, method: str) -> list[dict]:
    if series is None:
        return []
    t0, epoch_s, x = series
    if epoch_s == 30:  # two 30-s counts make the minute the algorithms were derived on
        shift = (t0 // 30) % 2  # start minutes on whole UTC minutes
        x = np.concatenate([np.full(shift, np.nan), x])
        t0 -= 30 * shift
        if len(x) % 2:
            x = np.append(x, np.nan)
        pairs = x.reshape(-1, 2)
        x = np.where(np.isnan(pairs).all(axis=1), np.nan, np.nansum(pairs, axis=1))
    elif epoch_s != 60:
        raise AnalysisError(f"count-based sleep scoring needs 30- or 60-s epochs (Cole-Kripke "
                            f"and Sadeh are defined on minutes); these counts are {epoch_s}-s")
    scored = METHODS[method](np.nan_to_num(x))  # gaps count as no activity, as pyActigraphy
    out: dict[str, float] = {}
    for i in np.flatnonzero(scored):
        local = dt.datetime.fromtimestamp(t0 + 60 * int(i), tz)
        night = (local - dt.timedelta(hours=12)).date().isoformat()
        out[night] = out.get(night, 0.0) + 1.0
    return [{"night": k, "method": method, "sleep_min": v} for k, v in sorted(out.items())]


def count_rhythm(store: Store, patient_id: str, partial_days: bool = False,
                 config: AnalysisConfig | None = None) -> dict[str, Any]:
    """IS, IV, RA, L5, M10 (and onsets) of imported activity counts.

    By default only whole local days (midnight to midnight) are used: a partial first and
    last day would weigh some hours of the day more than others. partial_days=True keeps
    the whole recording, as pyActigraphy does (its numbers are then reproduced). Returns
    {"n_days": ..., "reason": ...} without metrics when there is not enough data.
    """
    return _rhythm(count_series(store, patient_id), ZoneInfo(store.patient(patient_id)["tz"]),
                   partial_days, config or AnalysisConfig())


def _rhythm(series: Series | None, tz: ZoneInfo, partial_days: bool, cfg: AnalysisConfig
            ) -> dict[str, Any]:
    if series is None:
        return {"n_days": 0, "reason": "no imported activity counts"}
    t0, epoch_s, x = series
    if not partial_days:
        first = dt.datetime.fromtimestamp(t0, tz)
        d0 = first.date() + dt.timedelta(days=0 if first.time() == dt.time(0) else 1)
        end_local = dt.datetime.fromtimestamp(t0 + len(x) * epoch_s, tz)
        d1 = end_local.date()
        a = int(dt.datetime.combine(d0, dt.time(0), tzinfo=tz).timestamp())
        b = int(dt.datetime.combine(d1, dt.time(0), tzinfo=tz).timestamp())
        if b <= a:
            return {"n_days": 0, "reason": "no whole day of counts"}
        x = x[(a - t0) // epoch_s:(b - t0) // epoch_s]
        t0 = a
    n_days = len(x) * epoch_s / 86400
    if n_days < cfg.min_rhythm_days:
        return {"n_days": n_days, "reason": f"needs {cfg.min_rhythm_days} days of counts"}
    local = dt.datetime.fromtimestamp(t0, tz)
    start_s = local.hour * 3600 + local.minute * 60 + local.second
    try:
        m = rhythm_metrics(x, start_s, epoch_s)
    except NotEnoughDataError as e:
        return {"n_days": n_days, "reason": str(e)}
    return {**m, "n_days": n_days, "partial_days": partial_days}


@dataclass(frozen=True)
class CountFigures:
    """What the refresh step stores of a patient's imported counts (v18 count_* tables):
    per method, None (scored: its nights are in `nights`) or why it could not be scored;
    Cole-Kripke nights (count_sleep's rows); count_rhythm per convention (partial_days)."""

    scoring: dict[str, str | None]
    nights: list[dict]
    rhythms: dict[bool, dict[str, Any]]


STORED_METHOD = "cole-kripke"  # the scoring `wearlog report` shows


def count_figures(store: Store, patient_id: str, config: AnalysisConfig | None = None
                  ) -> CountFigures:
    """count_sleep (Cole-Kripke) and count_rhythm in both conventions, from one read of the
    counts; all empty when the patient has none. Counts that cannot be scored (not 30- or
    60-s epochs) give the reason, not an error."""
    series = count_series(store, patient_id)
    if series is None:
        return CountFigures({}, [], {})
    cfg = config or AnalysisConfig()
    tz = ZoneInfo(store.patient(patient_id)["tz"])
    try:
        nights, reason = _sleep(series, tz, STORED_METHOD), None
    except AnalysisError as e:
        nights, reason = [], str(e)
    rhythms = {}
    for partial in (False, True):
        try:
            rhythms[partial] = _rhythm(series, tz, partial, cfg)
        except AnalysisError as e:  # (rhythm_metrics' NotEnoughDataError is a reason already)
            rhythms[partial] = {"n_days": 0, "reason": str(e)}
    return CountFigures({STORED_METHOD: reason}, nights, rhythms)
