"""Sleep period (HDCZA), sleep/wake within it (sustained inactivity), nightly metrics, SRI.

How our 30-s epoch features stand in for the 5-s angles of the published methods
(docs/analysis.md has the full story):
- van Hees 2015 calls a period sleep when the arm angle (z-angle) does not change by
  more than 5 deg for >= 5 min. An epoch here is 'still' when the sum of |changes| of
  its 5-s mean z-angles (dangle) is <= 5 deg AND its mean z-angle differs from the
  previous epoch's by <= 5 deg. A sum <= 5 deg implies no single change > 5 deg, so the
  rule is at least as strict as the original; >= 10 consecutive still epochs are sleep.
- van Hees 2018 HDCZA uses the 5-min rolling median of the absolute 5-s angle change.
  Here: the 5-min (10-epoch) rolling median of dangle, i.e. ~5 changes per epoch, so
  GGIR's 0.13..0.50 deg bounds on the threshold become 0.65..2.5 deg per epoch.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from wearlog.analysis.config import AnalysisConfig
from wearlog.analysis.runs import keep_runs_at_least, rolling_median, runs
from wearlog.analysis.timeline import Timeline, local_bounds, minutes_after_local_midnight
from wlproto.const import EV_BED, EV_UP


def still_epochs(tl: Timeline, cfg: AnalysisConfig) -> np.ndarray:
    dz = np.abs(np.diff(tl.z, prepend=tl.z[:1]))
    prev_present = np.concatenate([[False], tl.present[:-1]])
    dz = np.where(prev_present, dz, 0.0)
    return (tl.present & tl.angle_known & (tl.dangle <= cfg.still_angle_deg)
            & (dz <= cfg.still_angle_deg))


def sustained_inactivity(tl: Timeline, worn: np.ndarray, cfg: AnalysisConfig) -> np.ndarray:
    """van Hees 2015 sustained inactivity bouts: True = sleep-like epoch."""
    min_len = int(cfg.sib_min * 60 // tl.epoch_s)
    return keep_runs_at_least(still_epochs(tl, cfg) & worn, min_len)


def hdcza_signal(tl: Timeline, cfg: AnalysisConfig) -> np.ndarray:
    return rolling_median(tl.dangle, max(int(cfg.hdcza_median_min * 60 // tl.epoch_s), 1))


def hdcza_period(sig: np.ndarray, worn: np.ndarray, cfg: AnalysisConfig,
                 epoch_s: int) -> tuple[int, int] | None:
    """Longest merged low-movement block in one noon-to-noon window (indices local to it)."""
    if not worn.any():
        return None
    thr = np.percentile(sig[worn], cfg.hdcza_percentile) * cfg.hdcza_multiplier
    thr = min(max(thr, cfg.hdcza_min_deg), cfg.hdcza_max_deg)
    cand = runs((sig < thr) & worn)
    min_len = cfg.hdcza_block_min * 60 / epoch_s
    blocks = [(a, b) for a, b in cand if b - a >= min_len]
    if not blocks:
        return None
    short = [(a, b) for a, b in cand if b - a < min_len]
    merged = [blocks[0]]
    for a, b in blocks[1:]:
        gap = a - merged[-1][1]
        if cfg.hdcza_bridge_short_blocks:
            # low-movement stretches < 30 min inside the gap are not counted as gap
            gap -= sum(e - d for d, e in short if d >= merged[-1][1] and e <= a)
        if gap * epoch_s < cfg.hdcza_gap_min * 60:
            merged[-1] = (merged[-1][0], b)
        else:
            merged.append((a, b))
    return max(merged, key=lambda ab: ab[1] - ab[0])


def _markers(tl: Timeline, t0: int, t1: int) -> tuple[int | None, int | None]:
    """First EV_BED in the window and the last EV_UP after it (a night with toilet trips)."""
    beds = [t for t, e, _ in tl.events if e == EV_BED and t0 <= t < t1]
    bed = beds[0] if beds else None
    ups = [t for t, e, _ in tl.events if e == EV_UP and t0 <= t < t1 and (bed is None or t > bed)]
    return bed, (ups[-1] if ups else None)


def analyse_night(tl: Timeline, night: dt.date, tz: ZoneInfo, worn: np.ndarray,
                  sib: np.ndarray, sig: np.ndarray, cfg: AnalysisConfig,
                  patient_id: str) -> dict | None:
    """Metrics of the night starting on the evening of `night` (noon to noon, local)."""
    t0 = local_bounds(night, tz, 12)
    t1 = local_bounds(night + dt.timedelta(days=1), tz, 12)
    i0, i1 = tl.index(t0), tl.index(t1)
    if i1 <= i0 or not (tl.present[i0:i1] & tl.angle_known[i0:i1]).any():
        return None  # no data, or only data without arm angle: no sleep analysis
    worn = worn & tl.angle_known
    bed, up = _markers(tl, t0, t1)
    period = hdcza_period(sig[i0:i1], worn[i0:i1], cfg, tl.epoch_s)
    on = off = None
    if period is not None:
        on, off = i0 + period[0], i0 + period[1]
    if bed is not None:
        on = tl.index(bed)
    if up is not None:
        off = tl.index(up)
    source = "markers" if (bed is not None or up is not None) else "hdcza"
    metrics = ("onset_utc", "offset_utc", "tib_min", "tst_min", "sol_min", "waso_min", "se_pct",
               "awakenings", "midsleep_local")
    row: dict[str, Any] = {k: None for k in metrics}
    row.update(patient_id=patient_id, night=night.isoformat(), source=source, valid=0)
    if on is None or off is None or off <= on:
        return row
    ep_min = tl.epoch_s / 60
    asleep = sib[on:off]
    onset_utc = tl.start + on * tl.epoch_s
    offset_utc = tl.start + off * tl.epoch_s
    tib = (offset_utc - onset_utc) / 60
    sleep_idx = np.flatnonzero(asleep)
    if len(sleep_idx):
        first, last = int(sleep_idx[0]), int(sleep_idx[-1]) + 1
        inner_wake = ~asleep[first:last]
        waso = float(inner_wake.sum() * ep_min)
        min_len = cfg.awakening_min / ep_min
        awakenings = sum(1 for a, b in runs(inner_wake) if b - a >= min_len)
        sol = first * ep_min
    else:
        waso, awakenings, sol = 0.0, 0, tib
    tst = float(asleep.sum() * ep_min)
    worn_frac = float(worn[on:off].mean())
    # a period that runs into a gap in the recording is cut short: not a valid night
    truncated = on == 0 or not tl.present[on - 1] or off >= tl.n or not tl.present[off]
    row.update(
        onset_utc=onset_utc, offset_utc=offset_utc, tib_min=tib, tst_min=tst, sol_min=sol,
        waso_min=waso, se_pct=100.0 * tst / tib, awakenings=awakenings,
        midsleep_local=minutes_after_local_midnight((onset_utc + offset_utc) / 2, night, tz),
        valid=int(tib >= cfg.min_tib_h * 60 and worn_frac >= cfg.night_min_worn_frac
                  and not truncated),
    )
    return row


def sleep_regularity_index(state: np.ndarray, epoch_s: int) -> float | None:
    """Phillips et al. 2017: 200 * P(same state 24 h apart) - 100; state NaN = unknown."""
    lag = 86400 // epoch_s
    if len(state) <= lag:
        return None
    a, b = state[:-lag], state[lag:]
    ok = ~np.isnan(a) & ~np.isnan(b)
    if ok.sum() < lag // 2:
        return None
    return float(200.0 * np.mean(a[ok] == b[ok]) - 100.0)
