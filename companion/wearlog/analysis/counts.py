"""Count-based sleep/wake scoring for data from other actigraphs (1-min activity counts).

Cole-Kripke 1992 (1-min 'mean' mode) and Sadeh 1994 (1 = sleep, 0 = wake); the sleep-period
detectors Tudor-Locke 2014 and Crespo 2012 (rest/activity).
The first and last few epochs, whose window runs past the recording, are scored like any
other from the neighbours they have (Cole-Kripke: the weighted sum over the available
epochs, scaled up by all weights / available weights; Sadeh: mean, NAT (scaled to 11) and
SD over the available epochs). edges_wake=True scores them wake instead, as pyActigraphy
does.
Checked epoch-by-epoch against pyActigraphy in tests/companion/test_analysis_reference.py.
"""

from __future__ import annotations

import warnings

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from wearlog.analysis.runs import runs

# Cole et al. 1992, Sleep 15(5):461-469, 1-min epochs, weights for A-4..A+2.
CK_WEIGHTS = (106, 54, 58, 76, 230, 74, 67)
CK_SCALE = 0.001
CK_DIVISOR = 30  # counts per minute -> mean per 2-s, as the weights were derived


def cole_kripke(counts: np.ndarray, threshold: float = 1.0, weights: tuple[int, ...] = CK_WEIGHTS,
                scale: float = CK_SCALE, divisor: float = CK_DIVISOR,
                edges_wake: bool = False) -> np.ndarray:
    """D = scale * sum(w_i * A_i / divisor) over A-4..A+2; sleep where D < threshold."""
    a = np.asarray(counts, dtype=float) / divisor
    n = len(a)
    out = np.zeros(n, dtype=np.int8)
    w = np.asarray(weights, dtype=float)
    if not edges_wake:
        # pyActigraphy's full window is A-4..A+4 (two trailing zero weights): the epochs
        # outside it here, all of them when the recording is shorter than 9
        for i in [*range(min(4, n)), *range(max(n - 4, 4), n)]:
            lo, hi = max(i - 4, 0), min(i + 3, n)
            wa = w[lo - (i - 4): hi - (i - 4)]
            d = scale * float(a[lo:hi] @ wa) * w.sum() / wa.sum()
            out[i] = int(not np.isnan(d) and d < threshold)
    # pyActigraphy centres a 9-wide window (two trailing zero weights): A-4..A+4 must exist.
    if n < 9:
        return out
    win = sliding_window_view(a, 9)[:, :7]
    d = scale * (win @ np.asarray(weights, dtype=float))
    valid = ~np.isnan(d)
    core = np.zeros(len(d), dtype=np.int8)
    core[valid] = (d[valid] < threshold).astype(np.int8)
    out[4: n - 4] = core
    return out


def sadeh(counts: np.ndarray, threshold: float = 0.0, nat_low: float = 50, nat_high: float = 100,
          nat_inclusive_low: bool = True, log_next_epoch: bool = False,
          edges_wake: bool = False) -> np.ndarray:
    """Sadeh et al. 1994, Sleep 17(3):201-207: PS = 7.601 - 0.065 MEAN - 1.08 NAT
    - 0.056 SD - 0.703 LG; sleep where PS > threshold.

    MEAN: mean over the 11-epoch centred window; NAT: epochs in that window with
    nat_low <= count < nat_high; SD: sample SD of this and the 5 previous epochs;
    LG: ln(count + 1). pyActigraphy 1.2 counts NAT with 50 < x < 100 and takes LG
    of the next epoch; nat_inclusive_low=False, log_next_epoch=True reproduce it.
    """
    x = np.asarray(counts, dtype=float)
    n = len(x)
    out = np.zeros(n, dtype=np.int8)

    def nat_of(v: np.ndarray) -> np.ndarray:
        lo_ok = (v >= nat_low) if nat_inclusive_low else (v > nat_low)
        return lo_ok & (v < nat_high)

    if not edges_wake:
        for i in [*range(min(5, n)), *range(max(n - 5, 5), n)]:
            win = x[max(i - 5, 0): i + 6]
            prev = x[max(i - 5, 0): i + 1]
            sd = float(np.std(prev, ddof=1)) if len(prev) > 1 else 0.0
            lg = x[i + 1] if log_next_epoch and i + 1 < n else x[i]
            ps = (7.601 - 0.065 * win.mean() - 1.08 * nat_of(win).sum() * 11 / len(win)
                  - 0.056 * sd - 0.703 * np.log1p(lg))
            out[i] = int(not np.isnan(ps) and ps > threshold)
    if n < 11:
        return out
    w11 = sliding_window_view(x, 11)  # centred at i+5
    mean_w = w11.mean(axis=1)
    nat = nat_of(w11).sum(axis=1)
    sd6 = sliding_window_view(x, 6).std(axis=1, ddof=1)  # ends at i+5
    centre = np.arange(5, n - 5)
    sd = sd6[centre - 5]
    lg_src = x[centre + 1] if log_next_epoch else x[centre]
    ps = 7.601 - 0.065 * mean_w - 1.08 * nat - 0.056 * sd - 0.703 * np.log1p(lg_src)
    valid = ~np.isnan(ps)
    core = np.zeros(len(ps), dtype=np.int8)
    core[valid] = (ps[valid] > threshold).astype(np.int8)
    out[5: n - 5] = core
    return out


def tudor_locke_periods(sleep: np.ndarray, onset: int = 5, wake: int = 10,
                        min_len: int = 160, merge_gap: int = 0) -> list[tuple[int, int]]:
    """Sleep periods from per-minute sleep/wake (Tudor-Locke et al. 2014, Appl Physiol Nutr
    Metab 39:53, as ActiLife applies it): bedtime is the first of `onset` consecutive sleep
    minutes, wake time the first of `wake` consecutive wake minutes after it; periods
    shorter than `min_len` minutes are dropped. merge_gap > 0: periods less than that
    apart are joined first (HDCZA's gap rule, van Hees 2018), so one night-time awakening
    does not split the night. Lengths are in epochs of `sleep`."""
    s = np.asarray(sleep, dtype=bool)
    n = len(s)
    out: list[tuple[int, int]] = []
    i = 0
    while i + onset <= n:
        if not s[i:i + onset].all():
            i += 1
            continue
        a = i
        j = a + onset
        while j < n and not (j + wake <= n and not s[j:j + wake].any()):
            j += 1
        if merge_gap and out and a - out[-1][1] < merge_gap:
            out[-1] = (out[-1][0], j)
        else:
            out.append((a, j))
        i = j + wake
    return [(a, b) for a, b in out if b - a >= min_len]


def _close_open(active: np.ndarray, length: int) -> np.ndarray:
    """1-D morphological closing then opening with a flat element of `length` epochs: rest
    gaps shorter than it inside activity are filled, then activity runs shorter than it
    are removed."""
    out = np.asarray(active, dtype=bool).copy()
    r = runs(out)
    for (_, b), (a2, _) in zip(r, r[1:], strict=False):
        if a2 - b < length:
            out[b:a2] = True
    for a, b in runs(out):
        if b - a < length:
            out[a:b] = False
    return out


def _zero_runs_longer(x: np.ndarray, limit: int) -> np.ndarray:
    """True on runs of exactly-zero counts longer than `limit` epochs."""
    out = np.zeros(len(x), dtype=bool)
    for a, b in runs(x == 0):
        if b - a > limit:
            out[a:b] = True
    return out


def _centred_nanmedian(x: np.ndarray, width: int) -> np.ndarray:
    """Median over a centred window of `width` epochs, ignoring NaN (NaN where all are)."""
    half = width // 2
    padded = np.concatenate([np.full(half, np.nan), x, np.full(half, np.nan)])
    win = sliding_window_view(padded, 2 * half + 1)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN windows stay NaN
        return np.nanmedian(win, axis=1)


def crespo(counts: np.ndarray, epoch_min: float = 1.0, zeta_min: float = 15,
           zeta_rest_min: float = 30, zeta_active_min: float = 2, t: float = 0.33,
           alpha_h: float = 8.0, beta_h: float = 1.0) -> np.ndarray:
    """Crespo et al. 2012 (Med Biol Eng Comput 50:329): True = rest, per epoch.

    Stage 1: runs of zero counts longer than zeta (not worn or a sensor fault, by the
    paper's model) are replaced by the t-quantile of the counts; the signal, padded at
    both ends with alpha/2 of its maximum, is median-filtered over alpha (the expected
    sleep length) and called rest below its (alpha / 24 h) quantile; then morphological
    closing and opening over beta. Stage 2: zero runs longer than zeta_rest inside the
    rest estimate (zeta_active inside activity) are left out (NaN), the median filter is
    run again over the valid counts (no padding: the edges from the counts they have),
    thresholded at the same quantile and filtered over 2 beta. Defaults are the paper's
    (as pyActigraphy's); NaN counts (gaps) are left out of both filters. The quantile
    and the filters assume whole days: on a single night the rest may be cut short or
    run to the recording's ends.
    Not epoch-identical to pyActigraphy 1.2 (64-93 % agreement on its example AWD files):
    it calls windows without enough valid counts rest (days off the wrist) and treats the
    edges differently; see docs/analysis.md.
    """
    x = np.asarray(counts, dtype=float)
    n = len(x)
    if n == 0:
        return np.zeros(0, dtype=bool)
    ep = max(epoch_min, 1e-9)
    q = min(alpha_h / 24.0, 1.0)
    known = ~np.isnan(x)
    if not known.any():
        return np.zeros(n, dtype=bool)
    top = float(np.nanmax(x))
    # stage 1
    s = np.where(_zero_runs_longer(x, round(zeta_min / ep)), np.nanquantile(x, t), x)
    l_w = int(round(alpha_h * 60 / ep)) // 2 * 2 + 1
    half = l_w // 2
    padded = np.concatenate([np.full(half, top), s, np.full(half, top)])
    xf = _centred_nanmedian(padded, l_w)[half:half + n]
    active = ~(xf <= np.nanquantile(xf, q))
    l_p = int(round(beta_h * 60 / ep)) + 1
    active = _close_open(active, l_p)
    # stage 2
    invalid = np.where(active, _zero_runs_longer(np.where(active, x, np.nan), round(
        zeta_active_min / ep)), _zero_runs_longer(np.where(active, np.nan, x),
                                                  round(zeta_rest_min / ep)))
    # the edges from the valid counts they have (no padding: the first and last hours are
    # scored like any other)
    xa = _centred_nanmedian(np.where(invalid, np.nan, x), l_w)
    active2 = ~(xa <= np.nanquantile(xa, q))
    return ~_close_open(active2, 2 * (l_p - 1) + 1)
