"""Sleep period, sleep/wake within it, nightly metrics, SRI.

Period (noon to noon, local): van Hees 2018 HDCZA on the arm angle, as published (threshold
= 10th percentile x 15 of the 5-min rolling median angle change, no clamp); when it finds
no block, the same block steps on the sustained inactivity bouts (GGIR's HLRB idea). Data
without an arm angle (ENMO-only epochs) get the same HDCZA steps on the 5-min rolling median
of ENMO in place of the angle change (a fallback threshold when that finds no block), and
the period cut to GGIR's L5 +- 6 h guider and trimmed to its first and last 10-min bout,
then sleep within it where ENMO stays for >= 10 min at or under a threshold taken from
the period's own ENMO (2.5 x its 70th percentile; sustained inactivity on ENMO), and the
period from its first to its last sleep bout. Data with
activity counts only: Cole-Kripke 1992 per minute, the period by Tudor-Locke et al. 2014
(first 5 sleep minutes to the first 10 wake minutes, >= 160 min, the longest in the window).
A night that is not valid says why (`reason`). On angle nights the block is trimmed to the
first and last sustained inactivity bout of 10 min overlapping it (`period_bout_min`).
Options (off by default; bench.validate reports each): the period from the first to the
last sustained inactivity bout overlapping the block (GGIR, `period_from_sib`), or
Actiware's immobile-minutes stretches (`immobile_bounds_min`).

How our 30-s epoch features stand in for the 5-s angles of the published methods
(docs/analysis.md has the full story):
- van Hees 2015 calls a period sleep when the arm angle (z-angle) does not change by
  more than 5 deg for >= 5 min, on 5-s epochs by default; GGIR runs the same rule on
  whatever epoch length it is given. Here it runs on our 30-s epochs: an epoch is 'still'
  when its mean z-angle differs from the previous epoch's by <= 5 deg; >= 10 consecutive
  still epochs are sleep. (Until Dec 2026 an epoch also needed its summed 5-s changes,
  dangle, <= 5 deg: on a real 8-bit logger the quantisation noise alone broke that.)
- HDCZA's signal here is the 5-min (10-epoch) rolling median of dangle (the summed 5-s
  angle changes of an epoch); the threshold adapts to it, so its scale does not matter.
"""

from __future__ import annotations

import datetime as dt
import zlib
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from wearlog.analysis.config import AnalysisConfig
from wearlog.analysis.counts import cole_kripke, crespo, sadeh, tudor_locke_periods
from wearlog.analysis.runs import keep_runs_at_least, rolling_median, runs, window_sums
from wearlog.analysis.timeline import Timeline, local_bounds, minutes_after_local_midnight
from wlproto.const import EV_BED, EV_UP


def still_epochs(tl: Timeline, cfg: AnalysisConfig, lo: int = 0,
                 hi: int | None = None) -> np.ndarray:
    """van Hees 2015's still test on our epochs for grid indices lo..hi (default: all)."""
    hi = tl.n if hi is None else hi
    a = max(lo - 1, 0)  # the epoch before lo, for its change
    z, present = tl.z[a:hi], tl.present[a:hi]
    dz = np.abs(np.diff(z, prepend=z[:1]))
    prev_present = np.concatenate([[False], present[:-1]])
    dz = np.where(prev_present, dz, 0.0)
    still = present & tl.angle_known[a:hi] & (dz <= cfg.still_angle_deg)
    return still[lo - a:]


def sustained_inactivity(tl: Timeline, worn: np.ndarray, cfg: AnalysisConfig) -> np.ndarray:
    """van Hees 2015 sustained inactivity bouts: True = sleep-like epoch."""
    min_len = int(cfg.sib_min * 60 // tl.epoch_s)
    return keep_runs_at_least(still_epochs(tl, cfg) & worn, min_len)


def hdcza_signal(tl: Timeline, cfg: AnalysisConfig) -> np.ndarray:
    return rolling_median(tl.dangle, max(int(cfg.hdcza_median_min * 60 // tl.epoch_s), 1))


def longest_block(cand: np.ndarray, cfg: AnalysisConfig, epoch_s: int) -> tuple[int, int] | None:
    """HDCZA steps 7-10: keep candidate runs >= 30 min, merge those < 60 min apart, longest."""
    cand_runs = runs(cand)
    min_len = cfg.hdcza_block_min * 60 / epoch_s
    blocks = [(a, b) for a, b in cand_runs if b - a >= min_len]
    if not blocks:
        return None
    short = [(a, b) for a, b in cand_runs if b - a < min_len]
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


def hdcza_threshold(sig: np.ndarray, worn: np.ndarray, cfg: AnalysisConfig,
                    step: float = 0.0) -> float:
    """P10 x 15 of the rolling median angle change over the worn epochs (no clamp); when
    P10 is exactly 0 (a quantised sensor), P10 of the non-zero values. step: the smallest
    non-zero value of the signal's input (one step of what the sensor resolves); with
    cfg.hdcza_p10_below_step, a P10 under one step counts as 0 too (an even rolling
    window averages a 0 and a step into half a step) and P10 is of the values >= step."""
    v = sig[worn]
    p = float(np.percentile(v, cfg.hdcza_percentile))
    floor = step if cfg.hdcza_p10_below_step else 0.0
    if p == 0 or p < floor:
        resolved = v[v >= floor] if floor > 0 else v[v > 0]
        if len(resolved):
            # a quantised sensor holds one reading through much of the rest: the median
            # change is exactly 0 there, below what it resolves; take P10 of what it did
            # resolve
            p = float(np.percentile(resolved, cfg.hdcza_percentile))
    return p * cfg.hdcza_multiplier


def resolution_step(x: np.ndarray) -> float:
    """The smallest non-zero value of a per-epoch feature (0 when none): one step of what
    the sensor resolves, for hdcza_threshold's quantised-sensor rule."""
    pos = x[x > 0]
    return float(pos.min()) if len(pos) else 0.0


def hdcza_period(sig: np.ndarray, worn: np.ndarray, cfg: AnalysisConfig, epoch_s: int,
                 thr: float | None = None) -> tuple[int, int] | None:
    """Longest merged low-movement block in one noon-to-noon window (indices local to it);
    thr: the recording's threshold (default: this window's own)."""
    if not worn.any():
        return None
    if thr is None:
        thr = hdcza_threshold(sig, worn, cfg)
    return longest_block((sig <= thr) & worn, cfg, epoch_s)


@dataclass
class _Thresholds:
    """HDCZA thresholds of the days around a night (AnalysisConfig.threshold_window_days):
    a window holding only wake (the afternoon of a recording's last day, a night awake)
    must not find 'rest' by its own measure, and a bounded window keeps a night's result
    a function of nearby records only (the refresh step re-analyses just those nights)."""
    angle: float | None
    enmo_median: np.ndarray
    enmo: float | None


def _threshold_epochs(tl: Timeline, worn: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(worn epochs with an arm angle, worn epochs with ENMO only): what each threshold
    pools."""
    return (worn & tl.present & tl.angle_known,
            worn & tl.present & tl.enmo_known & ~tl.angle_known)


def _thresholds(tl: Timeline, worn: np.ndarray, sig: np.ndarray, cfg: AnalysisConfig,
                rm: np.ndarray | None = None, lo: int = 0, hi: int | None = None,
                pooled: tuple[np.ndarray, np.ndarray] | None = None) -> _Thresholds:
    """Thresholds from the epochs lo..hi (default: the whole timeline); rm: the 5-min
    rolling median of ENMO (computed here when not given); pooled: _threshold_epochs
    when the caller has it already."""
    if rm is None:
        rm = rolling_median(tl.enmo, max(int(cfg.hdcza_median_min * 60 // tl.epoch_s), 1))
    w = slice(lo, tl.n if hi is None else hi)
    all_aw, all_ew = _threshold_epochs(tl, worn) if pooled is None else pooled
    aw, ew = all_aw[w], all_ew[w]
    return _Thresholds(
        hdcza_threshold(sig[w], aw, cfg, resolution_step(tl.dangle[w][aw])) if aw.any() else None,
        rm, hdcza_threshold(rm[w], ew, cfg, resolution_step(tl.enmo[w][ew])) if ew.any() else None)


@dataclass(frozen=True)
class NightInputs:
    """What one night adds to the HDCZA angle thresholds of the nights around it, stored
    with the night (table night_thresholds), so that a refresh pools them from the store
    instead of reading the epochs of the whole threshold window. Over the worn epochs
    with an arm angle of the night's noon-to-noon window: the distinct values of the HDCZA
    signal (exact floats, ascending) and how many epochs hold each (the signal is a
    median of quantised angle changes, so there are few: the pooled percentile follows
    exactly from the summed counts), and the smallest non-zero angle change (0: none).
    `other`: present epochs of the window without an arm angle (ENMO-only or counts
    imports: their threshold inputs are not stored, a refresh near them reads epochs).
    `thr`: the angle threshold the night was last scored with (None: no such epoch in its
    threshold window). `ranks`: per epoch of the window, the index of its signal value in
    `values` (NO_RANK for the epochs not counted), so HDCZA's low-movement epochs under
    another threshold, and the block they give, follow without the epochs."""
    values: np.ndarray
    counts: np.ndarray
    step: float
    other: int
    thr: float | None = None
    ranks: np.ndarray = field(default_factory=lambda: np.zeros(0, np.uint16))

    def encode(self) -> bytes:
        """zlib of: the number of values (u32), values (f8), counts (u4), ranks (u1 with
        255 for NO_RANK when there are fewer than 255 values, else u2), little-endian."""
        k = len(self.values)
        ranks = (np.minimum(self.ranks, 255).astype("u1") if k < 255
                 else self.ranks.astype("<u2"))
        return zlib.compress(np.array([k], "<u4").tobytes() + self.values.astype("<f8").tobytes()
                             + self.counts.astype("<u4").tobytes() + ranks.tobytes(), 1)

    @classmethod
    def decode(cls, blob: bytes, step: float, other: int, thr: float | None
               ) -> NightInputs:
        raw = zlib.decompress(blob)
        k = int(np.frombuffer(raw, "<u4", 1)[0])
        ranks = np.frombuffer(raw, "u1" if k < 255 else "<u2", offset=4 + 12 * k)
        return cls(np.frombuffer(raw, "<f8", k, 4).astype(np.float64),
                   np.frombuffer(raw, "<u4", k, 4 + 8 * k).astype(np.int64), step, other, thr,
                   np.where(ranks == 255, NO_RANK, ranks).astype(np.uint16) if k < 255
                   else ranks.astype(np.uint16))

    def block(self, thr: float, cfg: AnalysisConfig, epoch_s: int) -> tuple[int, int] | None:
        """hdcza_period of the night's window with this threshold (same None rule)."""
        counted = self.ranks != NO_RANK
        if not counted.any():
            return None
        below = int(np.searchsorted(self.values, thr, side="right"))  # values <= thr
        return longest_block(counted & (self.ranks < below), cfg, epoch_s)


NO_RANK = 0xFFFF


def night_inputs(tl: Timeline, night: dt.date, tz: ZoneInfo, worn: np.ndarray,
                 sig: np.ndarray, thr: float | None = None,
                 counted: np.ndarray | None = None) -> NightInputs:
    """The night's NightInputs, from a timeline that holds its noon-to-noon window and the
    context its signal and wear need (the dates night..night+1); counted: the worn
    epochs with an arm angle (_threshold_epochs) when the caller has them."""
    i0 = tl.index(local_bounds(night, tz, 12))
    i1 = tl.index(local_bounds(night + dt.timedelta(days=1), tz, 12))
    aw = (_threshold_epochs(tl, worn)[0] if counted is None else counted)[i0:i1]
    x = sig[i0:i1][aw]
    # np.unique(x, return_inverse=True, return_counts=True), the same arrays at ~2/3 of
    # the CPU (a full analysis does this for every night)
    xs = np.sort(x)
    distinct = np.ones(len(xs), dtype=bool)
    np.not_equal(xs[1:], xs[:-1], out=distinct[1:])
    values = xs[distinct]
    inverse = np.searchsorted(values, x)
    counts = np.bincount(inverse, minlength=len(values))
    ranks = np.full(i1 - i0, NO_RANK, dtype=np.uint16)
    ranks[aw] = inverse
    other = int((tl.present[i0:i1] & ~tl.angle_known[i0:i1]).sum())
    return NightInputs(values, counts.astype(np.int64), resolution_step(tl.dangle[i0:i1][aw]),
                       other, thr, ranks)


def pooled_threshold(inputs: list[NightInputs], cfg: AnalysisConfig) -> float | None:
    """The angle threshold _thresholds gives over the nights' windows together (None: no
    worn epoch with an arm angle in any): the same values in another order, so the same
    percentile."""
    parts = [(x.values, x.counts) for x in inputs if len(x.values)]
    if not parts:
        return None
    v = np.concatenate([np.repeat(a, c) for a, c in parts])
    steps = [x.step for x in inputs if x.step > 0]
    return hdcza_threshold(v, np.ones(len(v), dtype=bool), cfg, min(steps, default=0.0))


def threshold_window(tl: Timeline, night: dt.date, tz: ZoneInfo, cfg: AnalysisConfig
                     ) -> tuple[int, int]:
    """Grid indices of the noon-to-noon windows of the nights night-R..night+R."""
    r = dt.timedelta(days=cfg.threshold_window_days)
    return (tl.index(local_bounds(night - r, tz, 12)),
            tl.index(local_bounds(night + r + dt.timedelta(days=1), tz, 12)))


def enmo_sleep(tl: Timeline, i0: int, i1: int, worn: np.ndarray, cfg: AnalysisConfig,
               rm: np.ndarray, thr: float) -> tuple[tuple[int, int] | None, np.ndarray]:
    """Period and sustained-inactivity sleep from ENMO alone, for one window (local indices):
    rm is the 5-min rolling median of ENMO, thr the recording's HDCZA threshold on it."""
    w = worn[i0:i1]
    min_len = int(cfg.sib_min * 60 // tl.epoch_s)
    asleep = keep_runs_at_least((tl.enmo[i0:i1] <= thr) & w, min_len)
    return longest_block((rm[i0:i1] <= thr) & w, cfg, tl.epoch_s), asleep


def enmo_within_sleep(enmo: np.ndarray, worn: np.ndarray, period: tuple[int, int],
                      cfg: AnalysisConfig, epoch_s: int) -> np.ndarray:
    """Sleep over one window (arrays and period local to it) once its ENMO-only period is
    found: ENMO at or under enmo_within_multiplier x the enmo_within_percentile-th
    percentile of the period's non-zero worn ENMO (all of it when none is above 0), for >=
    enmo_within_min; runs measured over the whole window, as the bouts are. The threshold
    is only as good as the period: one that took in a sedentary day would call the day
    sleep, hence l5_window and the bout trim before it."""
    a, b = period
    v = enmo[a:b][worn[a:b]]
    if not len(v):
        return np.zeros(len(enmo), dtype=bool)
    pos = v[v > 0]
    thr = float(np.percentile(pos if len(pos) else v, cfg.enmo_within_percentile))
    min_len = max(int(cfg.enmo_within_min * 60 // epoch_s), 1)
    return keep_runs_at_least((enmo <= thr * cfg.enmo_within_multiplier) & worn, min_len)


def l5_window(enmo: np.ndarray, worn: np.ndarray, period: tuple[int, int], half_h: float,
              epoch_s: int) -> tuple[int, int]:
    """The period cut to the window of +-half_h around the middle of the least active 5
    consecutive hours (L5, mean worn ENMO) of the noon-to-noon window: GGIR's fallback
    guider (L5 +- 6 h; GGIR docs, chapter 9). HDCZA's 15 x P10, an angle-change rule, can
    sit above sitting still on ENMO, and its block then spans a sedentary day. Unchanged
    when the window holds under 5 h of worn data, or the cut would leave nothing."""
    k = int(5 * 3600 // epoch_s)
    if len(enmo) <= k:
        return period
    known = window_sums(worn, k)
    mean = np.where(known > k // 2,
                    window_sums(np.where(worn, enmo, 0.0), k) / np.maximum(known, 1), np.inf)
    if not np.isfinite(mean).any():
        return period
    mid = int(np.argmin(mean)) + k // 2
    half = int(half_h * 3600 // epoch_s)
    a, b = max(period[0], mid - half), min(period[1], mid + half)
    return (a, b) if b > a else period


def _count_minutes(tl: Timeline) -> tuple[np.ndarray, int, int]:
    """Imported counts summed into whole UTC minutes (NaN: no count in the minute), with
    the cells per minute and the cells of the first minute that precede the timeline."""
    per = max(60 // tl.epoch_s, 1)
    shift = (tl.start // tl.epoch_s) % per
    assert tl.counts is not None
    c = np.concatenate([np.full(shift, np.nan), tl.counts])
    c = np.concatenate([c, np.full(-len(c) % per, np.nan)])
    minutes = c.reshape(-1, per)
    known = ~np.isnan(minutes).all(axis=1)
    return np.where(known, np.nansum(minutes, axis=1), np.nan), per, shift


def count_sleep_cells(tl: Timeline, method: str = "cole-kripke") -> np.ndarray:
    """Cole-Kripke 1992 (Cole's 'mean' scaling or ActiLife's) or Sadeh 1994 on the minutes
    of imported counts (two 30-s cells summed, minutes on whole UTC minutes), each cell
    taking its minute's call; no counts = no sleep."""
    if tl.counts is None:
        return np.zeros(tl.n, dtype=bool)
    m, per, shift = _count_minutes(tl)
    c = np.nan_to_num(m)
    if method == "sadeh":
        ck = sadeh(c)
    elif method == "cole-kripke-actilife":  # ActiLife: counts / 100, capped at 300
        ck = cole_kripke(np.minimum(c, 30000), divisor=100)
    else:
        ck = cole_kripke(c)
    ck = ck.astype(bool) & ~np.isnan(m)
    return np.repeat(ck, per)[shift:shift + tl.n]


def crespo_cells(tl: Timeline, i0: int, i1: int, cfg: AnalysisConfig) -> np.ndarray:
    """Crespo 2012 rest per cell of [i0, i1), run on the minutes of the window widened by
    cfg.crespo_context_h on both sides (bounded: a night depends on nearby data only)."""
    if tl.counts is None:
        return np.zeros(i1 - i0, dtype=bool)
    ctx = int(cfg.crespo_context_h * 3600 // tl.epoch_s)
    a, b = max(i0 - ctx, 0), min(i1 + ctx, tl.n)
    m, per, shift = _count_minutes(tl)
    ma, mb = (a + shift) // per, -(-(b + shift) // per)
    rest = crespo(m[ma:mb], 1.0, cfg.crespo_zeta_min, cfg.crespo_zeta_rest_min,
                  cfg.crespo_zeta_active_min, cfg.crespo_t, cfg.crespo_alpha_h,
                  cfg.crespo_beta_h)
    cells = np.repeat(rest, per)
    off = ma * per - shift
    return cells[i0 - off:i1 - off]


def _sib_bounds(sleep: np.ndarray, guider: tuple[int, int]) -> tuple[int, int]:
    """GGIR's sleep period from a guider (van Hees 2018; GGIR docs, chapter 10): every
    sleep bout that fully or partly overlaps the guider window is sleep; the period runs
    from the start of the first such bout to the end of the last."""
    over = [(a, b) for a, b in runs(sleep) if a < guider[1] and b > guider[0]]
    return (over[0][0], over[-1][1]) if over else guider


def immobile_bounds(still: np.ndarray, period: tuple[int, int], win: int
                    ) -> tuple[int, int]:
    """Actiware's sleep interval within a rest interval ("Immobile Minutes for Sleep
    Onset / End", Actiware user manual, Mini Mitter/Respironics): onset = the first epoch
    of the first section of `win` consecutive epochs with all but one immobile, end = the
    last epoch of the last such section. `still`: immobile per epoch; the period is
    returned unchanged when it holds no such section."""
    a, b = period
    if win <= 0 or b - a < win:
        return period
    ok = np.flatnonzero(window_sums(still[a:b], win, np.int64) >= win - 1)  # window starts
    if not len(ok):
        return period
    return a + int(ok[0]), a + int(ok[-1]) + win


def bout_bounds(bouts: np.ndarray, period: tuple[int, int]) -> tuple[int, int]:
    """The period trimmed to the first and last bout (True runs of `bouts`, measured over
    the whole window, not only their part inside the period) that overlap it; unchanged
    when none does. Never longer than the period (unlike _sib_bounds, which extends it)."""
    a, b = period
    over = [(c, d) for c, d in runs(bouts) if c < b and d > a]
    return (max(a, over[0][0]), min(b, over[-1][1])) if over else period


def _markers(tl: Timeline, t0: int, t1: int) -> tuple[int | None, int | None]:
    """First EV_BED in the window and the last EV_UP after it (a night with toilet trips)."""
    beds = [t for t, e, _ in tl.events if e == EV_BED and t0 <= t < t1]
    bed = beds[0] if beds else None
    ups = [t for t, e, _ in tl.events if e == EV_UP and t0 <= t < t1 and (bed is None or t > bed)]
    return bed, (ups[-1] if ups else None)


@dataclass
class SleepScores:
    """Per night rows and per epoch: inside a sleep period, and asleep (within one);
    thresholds: the HDCZA angle threshold each night was scored with."""
    nights: list[dict[str, Any]] = field(default_factory=list)
    in_period: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    asleep: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    thresholds: dict[dt.date, float | None] = field(default_factory=dict)


def score_sleep(tl: Timeline, tz: ZoneInfo, worn: np.ndarray, cfg: AnalysisConfig,
                patient_id: str, sig: np.ndarray | None = None,
                angle_thresholds: dict[dt.date, float | None] | None = None) -> SleepScores:
    """Every night of the timeline: period, sleep/wake in it, metrics (sig: the HDCZA
    signal when the caller has it already). angle_thresholds: score only these nights,
    with these angle thresholds (pooled from stored NightInputs; only for a timeline
    whose every present epoch has an arm angle, so no ENMO threshold is needed)."""
    sib = sustained_inactivity(tl, worn, cfg)
    sig = hdcza_signal(tl, cfg) if sig is None else sig
    out = SleepScores(in_period=np.zeros(tl.n, dtype=bool), asleep=np.zeros(tl.n, dtype=bool))
    if angle_thresholds is not None:
        if (tl.present & ~tl.angle_known).any():
            raise ValueError("given thresholds are for epochs with an arm angle only")
        for d, angle in sorted(angle_thresholds.items()):
            night = analyse_night(tl, d, tz, worn, sib, sig, cfg, patient_id, out,
                                  _Thresholds(angle, np.zeros(0), None))
            out.thresholds[d] = angle
            if night is not None:
                out.nights.append(night)
        return out
    if (tl.present & ~tl.angle_known).any():
        rm = rolling_median(tl.enmo, max(int(cfg.hdcza_median_min * 60 // tl.epoch_s), 1))
    else:  # every night is scored on the angle: the ENMO median is never read
        rm = np.zeros(0)
    pooled = _threshold_epochs(tl, worn)
    d = dt.datetime.fromtimestamp(tl.start, tz).date() - dt.timedelta(days=1)
    last = dt.datetime.fromtimestamp(tl.end - 1, tz).date()
    while d <= last:
        thr = _thresholds(tl, worn, sig, cfg, rm, *threshold_window(tl, d, tz, cfg),
                          pooled=pooled)
        night = analyse_night(tl, d, tz, worn, sib, sig, cfg, patient_id, out, thr)
        out.thresholds[d] = thr.angle
        if night is not None:
            out.nights.append(night)
        d += dt.timedelta(days=1)
    return out


def analyse_night(tl: Timeline, night: dt.date, tz: ZoneInfo, worn: np.ndarray,
                  sib: np.ndarray, sig: np.ndarray, cfg: AnalysisConfig,
                  patient_id: str, scores: SleepScores | None = None,
                  thr: _Thresholds | None = None) -> dict | None:
    """Metrics of the night starting on the evening of `night` (noon to noon, local).

    Fills scores.in_period / scores.asleep for the night's period when given; thr: the
    thresholds of the days around it (computed here when not given).
    """
    if thr is None:
        thr = _thresholds(tl, worn, sig, cfg, None, *threshold_window(tl, night, tz, cfg))
    t0 = local_bounds(night, tz, 12)
    t1 = local_bounds(night + dt.timedelta(days=1), tz, 12)
    i0, i1 = tl.index(t0), tl.index(t1)
    if i1 <= i0 or not tl.present[i0:i1].any():
        return None
    metrics = ("onset_utc", "offset_utc", "tib_min", "tst_min", "sol_min", "waso_min", "se_pct",
               "awakenings", "midsleep_local")
    row: dict[str, Any] = {k: None for k in metrics}
    row.update(patient_id=patient_id, night=night.isoformat(), valid=0, reason=None)
    pres = tl.present[i0:i1]
    angled = pres & tl.angle_known[i0:i1]
    by_angle = angled.sum() * 2 >= pres.sum()
    period: tuple[int, int] | None = None
    if by_angle:
        night_worn = worn & tl.angle_known
        asleep_all = sib
        w = night_worn[i0:i1]
        period = hdcza_period(sig[i0:i1], w, cfg, tl.epoch_s, thr.angle)
        source = "hdcza"
        if period is None:
            period = longest_block(sib[i0:i1], cfg, tl.epoch_s)
            source = "sib"
    elif (pres & tl.enmo_known[i0:i1]).any():
        night_worn = worn & tl.enmo_known
        rest_thr = thr.enmo if thr.enmo is not None else 0.0  # what finds the period
        period, local_sleep = enmo_sleep(tl, i0, i1, night_worn, cfg, thr.enmo_median,
                                         rest_thr)
        if cfg.enmo_fallback_mg > 0 and (period is None
                                         or not local_sleep[period[0]:period[1]].any()):
            rest_thr = cfg.enmo_fallback_mg
            period, local_sleep = enmo_sleep(tl, i0, i1, night_worn, cfg, thr.enmo_median,
                                             rest_thr)
        if period is not None and cfg.enmo_within_percentile > 0:
            enmo, w = tl.enmo[i0:i1], night_worn[i0:i1]
            if cfg.enmo_l5_window_h > 0:
                period = l5_window(enmo, w, period, cfg.enmo_l5_window_h, tl.epoch_s)
            if cfg.period_bout_min > 0:  # first to last 10-min bout at the period's level
                period = bout_bounds(keep_runs_at_least(
                    (enmo <= rest_thr) & w, int(cfg.period_bout_min * 60 // tl.epoch_s)),
                    period)
            local_sleep = enmo_within_sleep(enmo, w, period, cfg, tl.epoch_s)
            # GGIR's last step: the period runs from the first to the last sleep bout in it
            period = bout_bounds(local_sleep, period)
        asleep_all = np.zeros(tl.n, dtype=bool)
        asleep_all[i0:i1] = local_sleep
        source = "enmo"
    elif tl.counts is not None and (pres & ~np.isnan(tl.counts[i0:i1])).any():
        night_worn = worn & ~np.isnan(tl.counts)
        asleep_all = count_sleep_cells(tl, cfg.counts_sleep_method)
        ep = tl.epoch_s / 60
        if cfg.counts_period_method == "crespo":
            rest = crespo_cells(tl, i0, i1, cfg) & night_worn[i0:i1]
            periods = runs(rest)
        else:
            periods = tudor_locke_periods(asleep_all[i0:i1] & night_worn[i0:i1],
                                          round(cfg.counts_onset_min / ep),
                                          round(cfg.counts_wake_min / ep),
                                          round(cfg.counts_min_period_min / ep),
                                          round(cfg.counts_merge_gap_min / ep))
        period = max(periods, key=lambda ab: ab[1] - ab[0]) if periods else None
        source = "counts"
    else:
        return None
    bed, up = _markers(tl, t0, t1)
    on = off = None
    no_sleep_in_block = False
    if period is not None and not (asleep_all[i0 + period[0]:i0 + period[1]]
                                   & night_worn[i0 + period[0]:i0 + period[1]]).any():
        # the threshold is relative: a window without rest still has a quietest block;
        # one without a single sustained inactivity bout in it is no sleep period
        period, no_sleep_in_block = None, True
    if period is not None and cfg.period_from_sib and source in ("hdcza", "sib", "enmo"):
        period = _sib_bounds(asleep_all[i0:i1] & night_worn[i0:i1], period)
    if period is not None and by_angle and (cfg.period_bout_min > 0
                                            or cfg.immobile_bounds_min > 0):
        # within this night's window only (a bout is measured up to its edges)
        still = still_epochs(tl, cfg, i0, i1) & night_worn[i0:i1]
        if cfg.period_bout_min > 0:  # first to last long sustained inactivity bout
            period = bout_bounds(keep_runs_at_least(
                still, int(cfg.period_bout_min * 60 // tl.epoch_s)), period)
        if cfg.immobile_bounds_min > 0:  # Actiware's immobile minutes
            period = immobile_bounds(still, period,
                                     int(cfg.immobile_bounds_min * 60 // tl.epoch_s))
    if period is not None:
        on, off = i0 + period[0], i0 + period[1]
    if bed is not None:
        on = tl.index(bed)
    if up is not None:
        off = tl.index(up)
    row["source"] = "markers" if (bed is not None or up is not None) else source
    if on is None or off is None or off <= on:
        if not night_worn[i0:i1].any():
            row["reason"] = "no sleep period: not worn between noon and noon"
        elif no_sleep_in_block and bed is None and up is None:
            bout = (cfg.enmo_within_min if source == "enmo" and cfg.enmo_within_percentile > 0
                    else cfg.sib_min)
            row["reason"] = (f"no sleep period: its quietest stretch holds no "
                             f"{bout:g} min without movement")
        elif period is None and bed is None and up is None and source == "counts":
            row["reason"] = ("no sleep period: no Crespo rest between noon and noon"
                             if cfg.counts_period_method == "crespo" else
                             f"no sleep period: no {cfg.counts_min_period_min:g} min of "
                             + ("Sadeh" if cfg.counts_sleep_method == "sadeh" else
                                "Cole-Kripke") + " sleep between noon and noon")
        elif period is None and bed is None and up is None:
            row["reason"] = ("no sleep period: no still stretch of 30 min or more between "
                             "noon and noon")
        elif period is None:
            row["reason"] = "only one of the bed/up markers, and no sleep period to complete it"
        else:
            row["reason"] = "the up marker comes before the bed marker"
        return row
    ep_min = tl.epoch_s / 60
    asleep = asleep_all[on:off] & night_worn[on:off]
    if scores is not None:
        scores.in_period[on:off] = True
        scores.asleep[on:off] = asleep
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
    worn_frac = float(night_worn[on:off].mean())
    # a period that runs into a gap in the recording is cut short: not a valid night
    cut_start = on == 0 or not tl.present[on - 1]
    cut_end = off >= tl.n or not tl.present[off]
    reasons = []
    if tib < cfg.min_tib_h * 60:
        reasons.append(f"sleep period only {tib / 60:.1f} h (needs {cfg.min_tib_h:g} h)")
    if worn_frac < cfg.night_min_worn_frac:
        reasons.append(f"worn {100 * worn_frac:.0f} % of the period (needs "
                       f"{100 * cfg.night_min_worn_frac:.0f} %)")
    if cut_start or cut_end:
        reasons.append("the period runs into the " + (
            "start and end" if cut_start and cut_end else "start" if cut_start else "end")
            + " of the recorded data: part of the night may be missing")
    row.update(
        onset_utc=onset_utc, offset_utc=offset_utc, tib_min=tib, tst_min=tst, sol_min=sol,
        waso_min=waso, se_pct=100.0 * tst / tib, awakenings=awakenings,
        midsleep_local=minutes_after_local_midnight((onset_utc + offset_utc) / 2, night, tz),
        valid=int(not reasons), reason="; ".join(reasons) or None,
    )
    return row

