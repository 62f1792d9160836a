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


def rolling_median(x: np.ndarray, width: int) -> np.ndarray:
    """Centred rolling median, edges padded with the edge value."""
    if len(x) == 0:
        return x.copy()
    left = width // 2
    padded = np.pad(x, (left, width - 1 - left), mode="edge")
    win = np.lib.stride_tricks.sliding_window_view(padded, width)
    if np.isnan(x).any():
        return np.median(win, axis=1)
    # the middle order statistic(s): what np.median does, without its overhead; short
    # windows (the 5-min median is 10 epochs) sort faster than they partition
    mid = (width - 1) // 2, width // 2
    part = np.sort(win, axis=1) if width <= 16 else np.partition(win, mid, axis=1)
    return part[:, mid[0]] if mid[0] == mid[1] else (part[:, mid[0]] + part[:, mid[1]]) / 2


def close_gaps(mask: np.ndarray, max_gap: int) -> np.ndarray:
    """Fill runs of False no longer than max_gap that lie between two runs of True."""
    out = np.asarray(mask, dtype=bool).copy()
    r = runs(out)
    for (_, b), (a2, _) in zip(r, r[1:], strict=False):
        if a2 - b <= max_gap:
            out[b:a2] = True
    return out

