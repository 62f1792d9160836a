"""The run-length helpers are vectorised (no loop per run): each must equal its plain
definition, one run or window at a time, on any mask."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from wearlog.analysis.activity import bout_epochs
from wearlog.analysis.rhythm import daily_profile
from wearlog.analysis.runs import cover, keep_runs_at_least, rolling_median, runs

MASKS = st.lists(st.booleans(), max_size=200).map(lambda xs: np.array(xs, dtype=bool))


@settings(max_examples=300, deadline=None)
@given(mask=MASKS, min_len=st.integers(0, 30))
def test_keep_runs_at_least_keeps_exactly_the_long_runs(mask, min_len):
    want = np.zeros(len(mask), dtype=bool)
    for a, b in runs(mask):
        if b - a >= min_len:
            want[a:b] = True
    assert np.array_equal(keep_runs_at_least(mask, min_len), want)


@settings(max_examples=300, deadline=None)
@given(n=st.integers(0, 100), spans=st.lists(st.tuples(st.integers(0, 100),
                                                       st.integers(0, 30)), max_size=20))
def test_cover_is_the_union_of_the_intervals(n, spans):
    starts = np.array([min(a, n) for a, _ in spans], dtype=np.int64)
    stops = np.array([min(a + w, n) for a, w in spans], dtype=np.int64)
    want = np.zeros(n, dtype=bool)
    for a, b in zip(starts, stops, strict=True):
        want[a:b] = True
    assert np.array_equal(cover(n, starts, stops), want)


@settings(max_examples=300, deadline=None)
@given(active=MASKS, width=st.integers(0, 25),
       fraction=st.floats(0, 1))
def test_bout_epochs_marks_every_qualifying_window_trimmed(active, width, fraction):
    want = np.zeros(len(active), dtype=bool)
    if 0 < width <= len(active):
        for s in range(len(active) - width + 1):
            n_active = active[s:s + width].sum()
            if n_active >= fraction * width and n_active > 0:  # a bout holds an active epoch
                want[s:s + width] = True
        for a, b in runs(want):
            act = np.flatnonzero(active[a:b])
            want[a:b] = False
            want[a + act[0]:a + act[-1] + 1] = True
    assert np.array_equal(bout_epochs(active, width, fraction), want)


@settings(max_examples=200, deadline=None)
@given(x=st.lists(st.one_of(st.integers(0, 300).map(lambda v: v / 10),
                            st.floats(-1e6, 1e6)), max_size=120),
       width=st.integers(1, 30))
def test_rolling_median_is_the_median_of_each_centred_window(x, width):
    a = np.array(x, dtype=float)
    left = width // 2
    padded = np.pad(a, (left, width - 1 - left), mode="edge") if len(a) else a
    want = np.array([np.median(padded[i:i + width]) for i in range(len(a))])
    assert np.array_equal(rolling_median(a, width), want)


def test_the_ten_input_network_sorts_every_input_of_zeros_and_ones():
    # the 0-1 principle (Knuth, TAOCP 5.3.4): a comparator network that sorts all 2^10
    # inputs of 0s and 1s sorts every input, so its middle outputs are the exact median pair
    from wearlog.analysis.runs import _NET10
    for bits in itertools.product((0, 1), repeat=10):
        c = list(bits)
        for i, j in _NET10:
            c[i], c[j] = min(c[i], c[j]), max(c[i], c[j])
        assert c == sorted(bits)


@settings(max_examples=300, deadline=None)
@given(x=st.lists(st.integers(0, 12).map(lambda v: v / 20), min_size=1, max_size=200))
def test_rolling_median_of_ten_with_many_ties_is_the_sorted_windows_middle(x):
    # the refresh's 5-min median (10 epochs) on quantised values: the network's answer is
    # the one sorting each window gives
    a = np.array(x, dtype=float)
    padded = np.pad(a, (5, 4), mode="edge")
    win = np.sort(np.lib.stride_tricks.sliding_window_view(padded, 10), axis=1)
    assert np.array_equal(rolling_median(a, 10), (win[:, 4] + win[:, 5]) / 2)


@settings(max_examples=150, deadline=None)
@given(days=st.integers(1, 40), seed=st.integers(0, 2**32 - 1),
       scale=st.floats(0.01, 1000), decimals=st.sampled_from([None, 1, 4]))
def test_daily_profile_of_whole_days_is_the_slot_mean_in_series_order(days, seed, scale,
                                                                      decimals):
    """daily_profile sums whole days column-wise: exactly what a per-slot running sum
    over the series (np.bincount, the general path) gives."""
    rng = np.random.default_rng(seed)
    x = rng.exponential(scale, days * 2880) * (rng.random(days * 2880) < 0.7)
    if decimals is not None:
        x = np.round(x, decimals)
    slot = np.arange(len(x)) % 2880
    want = np.bincount(slot, weights=x, minlength=2880) / np.bincount(slot, minlength=2880)
    assert np.array_equal(daily_profile(x, 0, 30), want)
    with_gap = x.copy()
    with_gap[0] = np.nan  # the general path, NaN skipped
    assert np.isfinite(daily_profile(with_gap, 0, 30)).all() or days == 1
