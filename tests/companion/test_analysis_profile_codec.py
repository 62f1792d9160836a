"""Day profiles are stored zlib-compressed with run-length matches only (cheaper to
write, no larger): every profile must come back exactly, and profiles stored before
(default zlib compression) must still decode."""

from __future__ import annotations

import zlib

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from wearlog.analysis.profiles import MISSING, NO_DATA, PER_DAY, decode, encode

DAY = st.tuples(st.integers(0, 2**32 - 1), st.floats(0, 1), st.integers(1, 400))


@settings(max_examples=60, deadline=None)
@given(day=DAY)
def test_a_profile_comes_back_as_written(day):
    seed, missing, scale = day
    rng = np.random.default_rng(seed)
    enmo = np.minimum(rng.exponential(scale, PER_DAY), MISSING - 1).astype(np.uint16)
    enmo[rng.random(PER_DAY) < missing] = MISSING
    state = rng.choice(np.array([0, 1, 253, 254, NO_DATA], dtype=np.uint8), PER_DAY)
    state[: int(PER_DAY * missing)] = NO_DATA
    e, s = decode(encode(enmo, state))
    assert np.array_equal(e, enmo) and np.array_equal(s, state)
    old = (zlib.compress(enmo.tobytes(), 6), zlib.compress(state.tobytes(), 6))
    e, s = decode(old)
    assert np.array_equal(e, enmo) and np.array_equal(s, state)


@settings(max_examples=80, deadline=None)
@given(days=st.integers(0, 4), known=st.floats(0.0, 1.0), seed=st.integers(0, 2**32 - 1))
def test_sri_of_profile_states_equals_the_float_series_one(days: int, known: float,
                                                           seed: int) -> None:
    """The rhythm's SRI, counted on the state bytes, is Phillips et al.'s formula on the
    float series with NaN for unknown states (the plain reading of the paper, as the
    analysis computed it before), bit for bit (None alike)."""
    from wearlog.analysis.profiles import NOT_WORN, sleep_regularity_index

    rng = np.random.default_rng(seed)
    state = np.where(rng.random((days, PER_DAY)) < known,
                     rng.integers(0, 2, (days, PER_DAY)), NOT_WORN).astype(np.uint8)
    x = np.where(state <= 1, state.astype(float), np.nan).ravel()
    lag = 86400 // 30
    want = None
    if len(x) > lag:
        a, b = x[:-lag], x[lag:]
        ok = ~np.isnan(a) & ~np.isnan(b)
        if ok.sum() >= lag // 2:
            want = float(200.0 * np.mean(a[ok] == b[ok]) - 100.0)
    assert sleep_regularity_index(state, 30) == want
