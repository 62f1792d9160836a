"""Feature engine properties on CPython (the same code runs on the device)."""

from __future__ import annotations

import math
from array import array

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wlfw.errors import ConfigError, FirmwareError
from wlfw.features import Features
from wlfw.rawfeatures import epochs_from_samples, resolution_mg
from wlproto.const import FLAG_NONWEAR, FLAG_SENSOR_FAULT
from wlproto.records import check_fields


def still(pitch: float, roll: float, n: int, dither: int = 0) -> array:
    p, r = math.radians(pitch), math.radians(roll)
    g = (1000 * math.sin(p), 1000 * math.cos(p) * math.sin(r), 1000 * math.cos(p) * math.cos(r))
    out = array("h")
    for i in range(n):
        d = (i % 3 - 1) * dither
        out.extend((round(g[0]) + d, round(g[1]) - d, round(g[2]) + d))
    return out


@settings(max_examples=60, deadline=None)
@given(pitch=st.floats(-85, 85), roll=st.floats(-180, 180))
def test_still_device_any_orientation(pitch: float, roll: float) -> None:
    """Gravity alone: no ENMO, no steps, and the z-angle of the orientation."""
    (e,) = epochs_from_samples(still(pitch, roll, 750, 2))
    enmo, z, dang, steps = e.enmo_dmg, e.zangle_deg, e.dangle_ddeg, e.steps
    zexp = math.degrees(math.atan2(math.cos(math.radians(pitch)) * math.cos(math.radians(roll)),
                                   math.hypot(math.sin(math.radians(pitch)),
                                              math.cos(math.radians(pitch))
                                              * math.sin(math.radians(roll)))))
    assert enmo <= 15  # 1.5 mg: rounding of the components
    assert steps == 0 and dang <= 10
    assert abs(z - zexp) <= 1.5


@settings(max_examples=40, deadline=None)
@given(data=st.lists(st.integers(-8000, 7999), min_size=3 * 750, max_size=3 * 750))
def test_any_signal_gives_fields_in_range(data: list[int]) -> None:
    (e,) = epochs_from_samples(array("h", data))
    check_fields(e)  # every field within its row of the field table
    assert 0 <= e.enmo_dmg <= 65535 and 0 <= e.mad_dmg <= 65535
    assert -90 <= e.zangle_deg <= 90 and 0 <= e.dangle_ddeg <= 255 and 0 <= e.steps <= 255
    assert e.flags & ~0x1F == 0


@settings(max_examples=30, deadline=None)
@given(cadence=st.floats(80, 130), amp=st.floats(200, 400), phase=st.floats(0, 6.28))
def test_steady_walking_counts_within_10_percent(cadence: float, amp: float, phase: float) -> None:
    f = cadence / 60
    n = 25 * 120
    buf = array("h")
    for i in range(n):
        t = i / 25
        m = 1000 + amp * math.sin(2 * math.pi * f * t + phase)
        buf.extend((60, -40, round(m)))
    steps = sum(e.steps for e in epochs_from_samples(buf))
    true = f * 120
    assert abs(steps - true) <= 0.10 * true


def test_counts_input_matches_milli_g() -> None:
    mg = still(20, 30, 1500, 3)
    counts = array("h", (v * 4096 // 1000 for v in mg))
    a = list(epochs_from_samples(mg))
    b = list(epochs_from_samples(counts, counts_per_g=4096))
    for x, y in zip(a, b, strict=True):
        assert abs(x.zangle_deg - y.zangle_deg) <= 1 and abs(x.enmo_dmg - y.enmo_dmg) <= 10


def test_partial_epoch_flagged() -> None:
    fe = Features(25)
    buf = still(0, 0, 300)
    fe.feed(buf, 300)
    flags = fe.end_epoch(750).flags
    assert flags & 0x10  # FLAG_PARTIAL


def test_bad_configuration_is_refused() -> None:
    with pytest.raises(ConfigError, match="sample rate"):
        Features(rate_hz=0)
    with pytest.raises(ConfigError, match="counts_per_g"):
        list(epochs_from_samples(array("h", [0, 0, 1000]), counts_per_g=0))
    with pytest.raises(ConfigError, match="triples"):
        list(epochs_from_samples(array("h", [0, 0])))
    with pytest.raises(FirmwareError):  # the firmware's one exception root
        Features(rate_hz=1000)


def _held(xyz: tuple[int, int, int], seconds: int, rate: int = 25) -> array:
    """One reading on all three axes, bit-identical throughout."""
    return array("h", list(xyz) * (seconds * rate))


def _flags(samples: array, lsb_mg: int) -> list[int]:
    return [e.flags for e in epochs_from_samples(samples, 25, 30, lsb_mg=lsb_mg)]


def test_still_quantised_live_sensor_is_not_stuck() -> None:
    """An 8-bit logger (31 mg a step) lying still repeats one reading for minutes on end
    (up to 25 min in real sleep); at 1 g that is no fault and no non-wear hint."""
    flags = _flags(_held((0, 31, 992), 300), lsb_mg=31)
    assert len(flags) == 10
    assert not any(f & (FLAG_SENSOR_FAULT | FLAG_NONWEAR) for f in flags)


def test_identical_reading_on_a_fine_sensor_is_stuck() -> None:
    """A 1-mg sensor's own noise changes some axis within a minute: the same reading on
    all three axes for a minute is a stuck sensor."""
    flags = _flags(_held((0, 31, 992), 300), lsb_mg=1)
    assert not flags[0] & FLAG_SENSOR_FAULT  # needs a minute first
    assert all(f & FLAG_SENSOR_FAULT for f in flags[2:])


@pytest.mark.parametrize("xyz", [(0, 0, 0), (3968, 3968, 3968), (0, 0, 600)])
def test_a_held_reading_that_is_not_gravity_is_stuck_on_any_sensor(
        xyz: tuple[int, int, int]) -> None:
    flags = _flags(_held(xyz, 180), lsb_mg=31)
    assert all(f & FLAG_SENSOR_FAULT for f in flags[2:])


def test_equal_magnitudes_alone_are_not_stuck() -> None:
    """The old rule: identical |a| for a minute. A reading that turns on the sphere keeps
    |a| but is live: alternate two orientations with the same magnitude every second."""
    a = [0, 600, 800] * 25 + [600, 0, 800] * 25  # |a| = 1000 both
    flags = _flags(array("h", a * 180), lsb_mg=1)
    assert not any(f & FLAG_SENSOR_FAULT for f in flags)


def test_still_fine_sensor_with_noise_is_neither_stuck_nor_unflagged() -> None:
    """A fine sensor lying still (noise of 1 mg) is not stuck, and after 10 min gets the
    non-wear hint as before."""
    flags = [e.flags for e in epochs_from_samples(still(10, 20, 25 * 60 * 12, 1), 25, 30)]
    assert not any(f & FLAG_SENSOR_FAULT for f in flags)
    assert flags[-1] & FLAG_NONWEAR


def test_resolution_is_read_off_the_samples() -> None:
    eight_bit = array("h", [round((v - 128) / 32 * 1000) for v in (120, 121, 160, 128, 129,
                                                                   161, 127, 128, 159)])
    assert resolution_mg(eight_bit) == 31
    assert resolution_mg(array("h", [5, 5, 1000] * 10)) == 1  # nothing changes: unknown
    assert resolution_mg(array("h", [0, 0, 4096, 1, 0, 4095]), counts_per_g=4096) == 1
