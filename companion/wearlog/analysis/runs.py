"""Run-length helpers on boolean epoch arrays."""

from __future__ import annotations

import numpy as np


def runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(start, stop) of every run of True, stop exclusive."""
    m = np.concatenate([[False], np.asarray(mask, dtype=bool), [False]])
    d = np.diff(m.astype(np.int8))
    starts = np.flatnonzero(d == 1)
    stops = np.flatnonzero(d == -1)
    return list(zip(starts.tolist(), stops.tolist(), strict=True))


def keep_runs_at_least(mask: np.ndarray, min_len: int) -> np.ndarray:
    """The runs of True at least min_len long (the others become False)."""
    m = np.concatenate([[False], np.asarray(mask, dtype=bool), [False]])
    d = np.diff(m.astype(np.int8))
    starts, stops = np.flatnonzero(d == 1), np.flatnonzero(d == -1)
    keep = stops - starts >= min_len
    return cover(len(mask), starts[keep], stops[keep])


def cover(n: int, starts: np.ndarray, stops: np.ndarray) -> np.ndarray:
    """A mask of n epochs, True inside every [start, stop) (intervals may overlap)."""
    marks = np.zeros(n + 1, dtype=np.int64)
    np.add.at(marks, starts, 1)
    np.add.at(marks, stops, -1)
    return np.cumsum(marks[:n]) > 0


def window_sums(x: np.ndarray, width: int, dtype: type | None = None) -> np.ndarray:
    """The sum of every `width` consecutive values (element i: x[i:i + width]; width >= 1),
    as a difference of running sums: one pass, exact for integers."""
    cs = np.concatenate([[0], np.cumsum(x, dtype=dtype)])
    return cs[width:] - cs[:-width]


def rolling_median(x: np.ndarray, width: int) -> np.ndarray:
    """Centred rolling median, edges padded with the edge value."""
    if len(x) == 0:
        return x.copy()
    left = width // 2
    padded = np.pad(x, (left, width - 1 - left), mode="edge")
    win = np.lib.stride_tricks.sliding_window_view(padded, width)
    if np.isnan(x).any():
        return np.median(win, axis=1)
    if width == 10:  # the 5-min median of 30-s epochs: the hot path of every refresh
        return _median10(padded, len(x))
    # the middle order statistic(s): what np.median does, without its overhead; short
    # windows sort faster than they partition
    mid = (width - 1) // 2, width // 2
    part = np.sort(win, axis=1) if width <= 16 else np.partition(win, mid, axis=1)
    return part[:, mid[0]] if mid[0] == mid[1] else (part[:, mid[0]] + part[:, mid[1]]) / 2


def _network_ops(net: tuple[tuple[int, int], ...], outputs: set[int]
                 ) -> tuple[tuple[int, int, bool, bool], ...]:
    """The comparators (i, j) of a sorting network that the given outputs depend on, each
    with whether its min (to i) and its max (to j) are read later."""
    need, ops = set(outputs), []
    for i, j in reversed(net):
        lo, hi = i in need, j in need
        if lo or hi:
            ops.append((i, j, lo, hi))
            need |= {i, j}
    return tuple(reversed(ops))


# Waksman's 29-comparator sorting network for 10 inputs (Knuth, TAOCP vol. 3, 5.3.4; all
# 1,024 inputs of 0s and 1s come out sorted: tests/companion/test_analysis_runs.py); its
# outputs 4 and 5 are the two middle order statistics, exact values (min/max only)
_NET10 = ((4, 9), (3, 8), (2, 7), (1, 6), (0, 5), (1, 4), (6, 9), (0, 3), (5, 8), (0, 2),
          (3, 6), (7, 9), (0, 1), (2, 4), (5, 7), (8, 9), (1, 2), (4, 6), (7, 8), (3, 5),
          (2, 5), (6, 8), (1, 3), (4, 7), (2, 3), (6, 7), (3, 4), (5, 6), (4, 5))
_MEDIAN10 = _network_ops(_NET10, {4, 5})


def _median10(padded: np.ndarray, n: int) -> np.ndarray:
    """The centred median of 10 (mean of the 5th and 6th smallest) of every window of a
    padded array without NaN: the same values as sorting each window (np.sort), from ~45
    element-wise min/max over whole columns instead of 86,400 small sorts (~3x less CPU)."""
    c = [padded[i:i + n] for i in range(10)]
    for i, j, lo, hi in _MEDIAN10:
        a, b = c[i], c[j]
        if lo:
            c[i] = np.minimum(a, b)
        if hi:
            c[j] = np.maximum(a, b)
    return (c[4] + c[5]) / 2


def close_gaps(mask: np.ndarray, max_gap: int) -> np.ndarray:
    """Fill runs of False no longer than max_gap that lie between two runs of True."""
    out = np.asarray(mask, dtype=bool).copy()
    r = runs(out)
    for (_, b), (a2, _) in zip(r, r[1:], strict=False):
        if a2 - b <= max_gap:
            out[b:a2] = True
    return out

