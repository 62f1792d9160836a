"""Non-parametric rest-activity rhythm metrics: IS, IV, L5, M10, RA.

Definitions follow Witting et al. 1990 and Van Someren et al. 1997/1999, with the
conventions of pyActigraphy (checked against it in tests/companion/test_analysis_reference.py):
- IS and IV on hourly sums taken from the first sample on (pandas origin='start'),
  variances with ddof=1, the 24-h profile grouped by clock time of each hour bin;
- L5/M10 on the average daily profile at the recording's own epoch, wrapped around
  midnight; onset = clock time of the first epoch of the window (minutes after 00:00).
Missing epochs are NaN and are skipped in means; they count as 0 in hourly sums.
"""

from __future__ import annotations

import numpy as np

from wearlog.analysis.errors import NotEnoughDataError
from wearlog.analysis.runs import window_sums

DAY_S = 86400


def hourly_sums(x: np.ndarray, epoch_s: int, freq_s: int = 3600) -> np.ndarray:
    per = freq_s // epoch_s
    if len(x) and len(x) % per == 0 and np.isfinite(x).all():
        # whole hours, nothing missing (the stored profiles' series): the same array as
        # the padded copy below, summed the same way
        return x.reshape(-1, per).sum(axis=1)
    n_bins = -(-len(x) // per)
    padded = np.zeros(n_bins * per)
    padded[: len(x)] = np.nan_to_num(x, nan=0.0)
    return padded.reshape(n_bins, per).sum(axis=1)


def interdaily_stability(x: np.ndarray, start_s: int, epoch_s: int, freq_s: int = 3600,
                         h: np.ndarray | None = None) -> float:
    """IS: variance of the 24-h profile over total variance (0 = none, 1 = perfect);
    h: hourly_sums(x, epoch_s, freq_s) when the caller has it already."""
    h = hourly_sums(x, epoch_s, freq_s) if h is None else h
    if len(h) < 2 * DAY_S // freq_s:
        raise NotEnoughDataError("IS needs at least 2 days of data")
    if np.var(h) == 0:
        raise NotEnoughDataError("IS needs activity that varies")
    per_day = DAY_S // freq_s
    if start_s % DAY_S == 0 and DAY_S % freq_s == 0 and len(h) % per_day == 0:
        # whole days from midnight (the stored profiles' series): slot j holds the bins
        # j, j + per_day, ...: one column each, summed down it in the same order as
        # bincount and divided by the same count, so the same means
        means = h.reshape(-1, per_day).sum(axis=0) / (len(h) // per_day)
    else:
        slot = ((start_s + np.arange(len(h)) * freq_s) % DAY_S) // freq_s
        _, inv = np.unique(slot, return_inverse=True)
        means = np.bincount(inv, weights=h) / np.bincount(inv)
    return float(np.var(means, ddof=1) / np.var(h, ddof=1))


def intradaily_variability(x: np.ndarray, epoch_s: int, freq_s: int = 3600,
                           h: np.ndarray | None = None) -> float:
    """IV: hour-to-hour variability over total variance (~0 smooth, ~2 noise);
    h: hourly_sums(x, epoch_s, freq_s) when the caller has it already."""
    h = hourly_sums(x, epoch_s, freq_s) if h is None else h
    if len(h) < 3:
        raise NotEnoughDataError("IV needs at least 3 hours of data")
    if np.var(h) == 0:
        raise NotEnoughDataError("IV needs activity that varies")
    return float(np.mean(np.diff(h) ** 2) / np.var(h, ddof=1))


def daily_profile(x: np.ndarray, start_s: int, epoch_s: int) -> np.ndarray:
    """Mean value per time-of-day slot (slot 0 = midnight), NaN-skipping."""
    per_day = DAY_S // epoch_s
    if start_s % DAY_S == 0 and len(x) and len(x) % per_day == 0 and not np.isnan(x).any():
        # whole days from midnight, nothing missing (the stored profiles' series): each
        # slot's values are one column; summed down it in the same order as bincount
        return x.reshape(-1, per_day).sum(axis=0) / (len(x) // per_day)
    slot = ((start_s + np.arange(len(x)) * epoch_s) % DAY_S) // epoch_s
    ok = ~np.isnan(x)
    sums = np.bincount(slot[ok], weights=x[ok], minlength=per_day)
    cnt = np.bincount(slot[ok], minlength=per_day)
    with np.errstate(invalid="ignore", divide="ignore"):
        return sums / cnt


def lmx(x: np.ndarray, start_s: int, epoch_s: int, hours: int, lowest: bool,
        prof: np.ndarray | None = None) -> tuple[float, float]:
    """(mean activity, onset minutes after midnight) of the least/most active window;
    prof: daily_profile(x, start_s, epoch_s) when the caller has it already."""
    prof = daily_profile(x, start_s, epoch_s) if prof is None else prof
    if np.isnan(prof).any():
        raise NotEnoughDataError("L5/M10 need every time of day covered at least once")
    n = hours * 3600 // epoch_s
    sums = window_sums(np.concatenate([prof, prof]), n)[: len(prof)]
    i = int(np.argmin(sums) if lowest else np.argmax(sums))
    return float(sums[i] / n), i * epoch_s / 60


def rhythm_metrics(x: np.ndarray, start_s: int, epoch_s: int) -> dict[str, float]:
    """IS, IV, L5, M10, RA and the onsets, for a regular series starting at start_s.

    start_s: seconds after a local midnight of the first sample (only its time of day matters).
    """
    prof = daily_profile(x, start_s, epoch_s)  # one profile for both windows
    l5, l5_on = lmx(x, start_s, epoch_s, 5, lowest=True, prof=prof)
    m10, m10_on = lmx(x, start_s, epoch_s, 10, lowest=False, prof=prof)
    h = hourly_sums(x, epoch_s)  # one set of hourly sums for both IS and IV
    return {
        "IS": interdaily_stability(x, start_s, epoch_s, h=h),
        "IV": intradaily_variability(x, epoch_s, h=h),
        "L5": l5,
        "M10": m10,
        "RA": (m10 - l5) / (m10 + l5) if (m10 + l5) > 0 else float("nan"),
        "L5_onset": l5_on,
        "M10_onset": m10_on,
    }
