"""Daily activity from ENMO cut-points (thresholds and sources in config.py)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np

from wearlog.analysis.config import AnalysisConfig
from wearlog.analysis.runs import close_gaps, cover, keep_runs_at_least, runs, window_sums
from wearlog.analysis.timeline import Timeline, local_bounds
from wlproto.const import EV_SYMPTOM


def bout_epochs(active: np.ndarray, width: int, fraction: float) -> np.ndarray:
    """Epochs inside any window of `width` epochs with >= fraction of them active, each
    bout trimmed to begin and end on an active epoch (GGIR's bout convention). A window
    needs one active epoch at least, whatever the fraction (0 included)."""
    out = np.zeros(len(active), dtype=bool)
    if len(active) < width or width <= 0:
        return out
    # active epochs per window (start i: epochs i..i+width-1) as a difference of running
    # sums: exact integers, a few times cheaper than summing every window
    counts = window_sums(active, width, np.int64)
    starts = np.flatnonzero((counts >= fraction * width) & (counts > 0))
    out = cover(len(active), starts, np.minimum(starts + width, len(active)))
    for a, b in runs(out):
        act = np.flatnonzero(active[a:b])
        out[a:b] = False
        out[a + act[0]: a + act[-1] + 1] = True
    return out


def analyse_day(tl: Timeline, day: dt.date, tz: ZoneInfo, worn: np.ndarray, still: np.ndarray,
                in_spt: np.ndarray, cfg: AnalysisConfig, patient_id: str,
                sig: np.ndarray | None = None) -> dict | None:
    """One local calendar day. `still`: van Hees still epochs; `sig`: the HDCZA signal
    (5-min rolling median of angle change), which tells a nap from sitting still."""
    i0 = tl.index(local_bounds(day, tz, 0))
    i1 = tl.index(local_bounds(day + dt.timedelta(days=1), tz, 0))
    if i1 <= i0 or not tl.present[i0:i1].any():
        return None
    ep_min = tl.epoch_s / 60
    w = worn[i0:i1]
    awake = w & ~in_spt[i0:i1] & tl.enmo_known[i0:i1]
    enmo = tl.enmo[i0:i1]
    sed = awake & (enmo < cfg.light_mg)
    light = awake & (enmo >= cfg.light_mg) & (enmo < cfg.moderate_mg)
    mod = awake & (enmo >= cfg.moderate_mg) & (enmo < cfg.vigorous_mg)
    vig = awake & (enmo >= cfg.vigorous_mg)
    mvpa = mod | vig
    bouts = bout_epochs(mvpa, int(cfg.bout_min / ep_min), cfg.bout_fraction) & awake
    active_runs = [b - a for a, b in runs(awake & (enmo >= cfg.light_mg))]
    # a nap may hold brief position shifts: close interruptions up to nap_gap_min first
    # a still arm while walking (swing averages out over 5 s) is not a nap: ENMO must be low
    quiet = still[i0:i1] & awake & (enmo < cfg.light_mg)
    if sig is not None:
        quiet &= sig[i0:i1] < cfg.nap_median_angle_deg
    napish = close_gaps(quiet, int(cfg.nap_gap_min / ep_min)) & awake
    naps = keep_runs_at_least(napish, int(cfg.nap_min / ep_min))
    wear_min = float(w.sum() * ep_min)
    # validity needs measured ENMO (count-only imports have none: shown, never averaged)
    enmo_wear_min = float((w & tl.enmo_known[i0:i1]).sum() * ep_min)
    t0, t1 = tl.start + i0 * tl.epoch_s, tl.start + i1 * tl.epoch_s
    sev = [v for t, e, v in tl.events if e == EV_SYMPTOM and t0 <= t < t1]
    return {
        "patient_id": patient_id,
        "day": day.isoformat(),
        "steps": int(tl.steps[i0:i1][tl.present[i0:i1]].sum()),
        "sedentary_min": float(sed.sum() * ep_min),
        "light_min": float(light.sum() * ep_min),
        "moderate_min": float(mod.sum() * ep_min),
        "vigorous_min": float(vig.sum() * ep_min),
        "mvpa_min": float(mvpa.sum() * ep_min),
        "mvpa_bout_min": float(bouts.sum() * ep_min),
        "longest_active_bout_min": float(max(active_runs, default=0) * ep_min),
        "nap_min": float(naps.sum() * ep_min),
        "wear_min": wear_min,
        "valid": int(enmo_wear_min >= cfg.min_wear_h * 60),
        "symptom_events": len(sev),
        "high_severity_events": sum(1 for v in sev if v >= cfg.high_severity),
        "max_severity": max(sev, default=None),
    }
