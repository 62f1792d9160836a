"""Non-wear detection on epochs.

Rule (after van Hees et al. 2011/2013, adapted to our epoch features; window 90 min after
Choi et al. 2011, see AnalysisConfig.nonwear_window_min): a 90-min window,
moved in 15-min steps, is non-wear when within it the mean arm angle stays within 2 deg
and the movement (MAD) stays at sensor-noise level (mean <= 2 mg, the firmware's own
still limit). A sleeping wearer still turns and breathes; a logger on the table does
not. The device's FLAG_NONWEAR is only a hint: windows it flags on >= half their epochs
count when the angle range is within 10 deg, and a run of flagged epochs counts on its own
when its angle range is within 2 deg (off-wrist spells shorter than the window). Found
stretches then grow epoch by epoch while the logger stays as flat as at their edge (the
device flags only after 10 still minutes). Epochs with no record at all are non-wear
too (nothing was measured). Imported activity counts without angle or ENMO: Choi et al.
2011 (>= 90 min of zero counts, up to 2 min of non-zero counts allowed inside when 30 zero
minutes lie on both sides).
"""

from __future__ import annotations

import numpy as np

from wearlog.analysis.config import AnalysisConfig
from wearlog.analysis.runs import runs
from wearlog.analysis.timeline import Timeline
from wlproto.const import FLAG_NONWEAR


def detect_nonwear(tl: Timeline, cfg: AnalysisConfig) -> np.ndarray:
    """True where the logger was (probably) not worn."""
    nonwear = ~tl.present | _choi_counts(tl, cfg)
    win = int(cfg.nonwear_window_min * 60 // tl.epoch_s)
    step = max(int(cfg.nonwear_step_min * 60 // tl.epoch_s), 1)
    if tl.n < win:
        return nonwear
    from numpy.lib.stride_tricks import sliding_window_view as swv

    pres = swv(tl.present, win)[::step]
    zhi = swv(np.where(tl.present, tl.z, -np.inf), win)[::step].max(axis=1)
    zlo = swv(np.where(tl.present, tl.z, np.inf), win)[::step].min(axis=1)
    zrange = zhi - zlo
    npres = pres.sum(axis=1)
    mad_sum = swv(np.where(tl.present, tl.mad, 0.0), win)[::step].sum(axis=1)
    # the rule needs the arm angle: windows holding epochs without one are left alone
    angled = swv(tl.present & tl.angle_known, win)[::step].sum(axis=1)
    hinted = swv((tl.flags & FLAG_NONWEAR) != 0, win)[::step].sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mad_mean = np.where(npres > 0, mad_sum / np.maximum(npres, 1), 0.0)
    usable = (npres > 0) & (angled == npres)
    still = usable & (zrange <= cfg.nonwear_z_range_deg) & (mad_mean <= cfg.nonwear_mad_mg)
    hint = usable & (hinted * 2 >= npres) & (zrange <= cfg.nonwear_hint_z_range_deg)
    found = np.zeros(tl.n, dtype=bool)
    for w in np.flatnonzero(still | hint):
        s = w * step
        found[s: s + win] = True
    # shorter off-wrist spells (a shower): a run the device flagged whose arm angle
    # stayed within 2 deg throughout is taken as it is
    flagged = tl.present & tl.angle_known & ((tl.flags & FLAG_NONWEAR) != 0)
    for a, b in runs(flagged):
        if tl.z[a:b].max() - tl.z[a:b].min() <= cfg.nonwear_z_range_deg:
            found[a:b] = True
    return nonwear | _grow_edges(tl, found, cfg)


def _grow_edges(tl: Timeline, found: np.ndarray, cfg: AnalysisConfig) -> np.ndarray:
    """Windows move in 15-min steps: extend each found stretch epoch by epoch while the
    logger stays as flat and still as at the stretch's edge."""
    out = found.copy()
    flat_mad = cfg.nonwear_mad_mg
    for a, b in runs(found):
        for edge, step, stop in ((a, -1, -1), (b - 1, 1, tl.n)):
            z0 = tl.z[edge]
            i = edge + step
            while (i != stop and tl.present[i] and abs(tl.z[i] - z0) <= cfg.nonwear_z_range_deg
                   and tl.mad[i] <= flat_mad and tl.dangle[i] <= 0.5):
                out[i] = True
                i += step
    return out


def _choi_counts(tl: Timeline, cfg: AnalysisConfig) -> np.ndarray:
    """Choi et al. 2011 (Med Sci Sports Exerc 43:357) on the minutes of imported counts, for
    cells that have counts and neither angle nor ENMO (other sources have their own rule)."""
    out = np.zeros(tl.n, dtype=bool)
    if tl.counts is None:
        return out
    per = max(60 // tl.epoch_s, 1)
    shift = (tl.start // tl.epoch_s) % per
    c = np.concatenate([np.full(shift, np.nan), tl.counts])
    c = np.concatenate([c, np.full(-len(c) % per, np.nan)]).reshape(-1, per)
    known = ~np.isnan(c).all(axis=1)
    zero = known & (np.nansum(c, axis=1) == 0)
    merged: list[list[int]] = []  # [start, end, length of the last zero run]
    for a, b in runs(zero):
        if (merged and a - merged[-1][1] <= cfg.choi_spike_min and merged[-1][2]
                >= cfg.choi_flank_min and b - a >= cfg.choi_flank_min):
            merged[-1][1:] = [b, b - a]
        else:
            merged.append([a, b, b - a])
    minutes = np.zeros(len(zero), dtype=bool)
    for a, b, _ in merged:
        if b - a >= cfg.choi_window_min:
            minutes[a:b] = True
    cells = np.repeat(minutes, per)[shift:shift + tl.n]
    return cells & ~np.isnan(tl.counts) & ~tl.angle_known & ~tl.enmo_known
