"""Rhythm metrics on series with known answers, and their guards."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wearlog.analysis import RHYTHM_KEYS, NotEnoughDataError, analyse_patient
from wearlog.analysis.rhythm import interdaily_stability, intradaily_variability, lmx
from wearlog.store import Store
from wearlog.testing.epochs import make_wearer

EP = 60
PER_DAY = 1440


def daily_pattern(days: int, low=(1, 6)) -> np.ndarray:
    minute = np.arange(days * PER_DAY) % PER_DAY
    return np.where((minute >= low[0] * 60) & (minute < low[1] * 60), 1.0, 100.0)


def test_perfectly_repeating_days_have_maximal_is() -> None:
    x = daily_pattern(10)
    n = 10 * 24
    # pyActigraphy's convention (ddof=1 on both variances) gives (n-1)*24 / (23*n) here
    assert interdaily_stability(x, 0, EP) == pytest.approx((n - 1) * 24 / (23 * n))


def test_l5_and_m10_find_the_quiet_and_busy_windows() -> None:
    x = daily_pattern(8, low=(1, 6))
    l5, l5_on = lmx(x, 0, EP, 5, lowest=True)
    m10, m10_on = lmx(x, 0, EP, 10, lowest=False)
    assert (l5, l5_on) == (1.0, 60.0)
    assert m10 == 100.0 and not (60 <= m10_on < 360)
    # wrap-around: quiet 22:00-03:00 gives an onset at 22:00
    minute = np.arange(8 * PER_DAY) % PER_DAY
    y = np.where((minute >= 22 * 60) | (minute < 3 * 60), 2.0, 50.0)
    assert lmx(y, 0, EP, 5, lowest=True) == (2.0, 22 * 60.0)


def test_start_offset_shifts_onsets() -> None:
    x = daily_pattern(8, low=(1, 6))
    # the same samples, said to start at 03:00 local: quiet window is now 04:00-09:00
    assert lmx(x, 3 * 3600, EP, 5, lowest=True)[1] == 240.0


def test_noise_has_iv_near_two_and_smooth_has_iv_near_zero() -> None:
    rng = np.random.default_rng(1)
    # independent minutes give independent hourly sums: IV of white noise is ~2
    assert intradaily_variability(rng.random(14 * PER_DAY), EP) == pytest.approx(2.0, abs=0.25)
    t = np.arange(14 * PER_DAY)
    smooth = 100 + 50 * np.sin(2 * np.pi * t / PER_DAY)
    assert intradaily_variability(smooth, EP) < 0.1


@settings(max_examples=30, deadline=None)
@given(st.integers(2, 10), st.integers(0, 2**31 - 1))
def test_is_and_iv_are_bounded_for_any_nonconstant_series(days: int, seed: int) -> None:
    x = np.random.default_rng(seed).gamma(0.5, 50, days * PER_DAY)
    n = days * 24
    assert 0 <= interdaily_stability(x, 0, EP) <= (n - 1) * 24 / (23 * n) + 1e-9
    assert 0 <= intradaily_variability(x, EP) <= 4


def test_guards_say_what_is_missing() -> None:
    with pytest.raises(NotEnoughDataError, match="2 days"):
        interdaily_stability(np.ones(PER_DAY), 0, EP)
    with pytest.raises(NotEnoughDataError, match="time of day"):
        lmx(np.ones(PER_DAY // 2), 0, EP, 5, lowest=True)


def test_rhythm_needs_seven_valid_days(tmp_path: Path) -> None:
    s = Store(tmp_path / "r.db")
    s.add_patient("P")
    s.add_device(1, "P")
    s.ingest(1, make_wearer(5, seed=2).records)
    out = analyse_patient(s, "P")
    assert set(out.rhythm) == set(RHYTHM_KEYS)
    assert out.rhythm["n_valid_days"] == 5
    assert out.rhythm["IS"] is None and out.rhythm["L5"] is None
    s.close()


def test_patient_without_data_gets_an_empty_summary(tmp_path: Path) -> None:
    s = Store(tmp_path / "e.db")
    s.add_patient("P-empty")
    out = analyse_patient(s, "P-empty")
    assert out.nights == [] and out.days == [] and out.rhythm["n_valid_days"] == 0
    s.close()


def test_rhythm_on_a_regular_wearer(tmp_path: Path) -> None:
    s = Store(tmp_path / "w.db")
    s.add_patient("P", "America/Chicago")
    s.add_device(1, "P")
    s.ingest(1, make_wearer(10, tz="America/Chicago", seed=4).records)
    r = analyse_patient(s, "P").rhythm
    assert r["n_valid_days"] == 10
    assert 0.2 < r["IS"] <= 1.05 and 0 < r["IV"] < 2.5
    assert r["L5"] < r["M10"] and 0.5 < r["RA"] <= 1
    # the quiet 5 h start in the night (the wearer sleeps ~23:00-07:00 local)
    assert r["L5_onset"] >= 22 * 60 or r["L5_onset"] <= 3 * 60
    assert 7 * 60 <= r["M10_onset"] <= 13 * 60
    s.close()


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 120), st.integers(0, 2**31 - 1), st.sampled_from([0, 86400, 3600]))
def test_is_on_whole_days_from_midnight_is_the_bincount_value_bit_for_bit(
        days: int, seed: int, start_s: int) -> None:
    """IS sums the 24-h profile by columns on whole days from midnight: the same bits as
    grouping the hourly sums by clock slot with bincount (the general path)."""
    rng = np.random.default_rng(seed)
    h = rng.random(days * 24) * 10.0 ** rng.integers(-3, 6, days * 24)
    slot = ((start_s + np.arange(len(h)) * 3600) % 86400) // 3600
    _, inv = np.unique(slot, return_inverse=True)
    means = np.bincount(inv, weights=h) / np.bincount(inv)
    expected = float(np.var(means, ddof=1) / np.var(h, ddof=1))
    assert interdaily_stability(np.zeros(0), start_s, 3600, h=h) == expected
