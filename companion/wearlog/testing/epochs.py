"""Epoch records of a synthetic wearer with ground truth, for tests and benchmarks of the
analysis (the form a synced device's data takes, without the firmware in between).

Not a physiological model: it produces epoch features with the properties the
algorithms rely on (sleep = long stretches with small arm-angle changes broken by
position shifts; wake in bed = frequent movement with some quiet epochs; daytime =
sitting, walking, bouts of brisk walking; off-wrist = a flat, motionless logger),
and records what it did so tests can score the analysis against it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import numpy as np

from wearlog.testing.days import (
    EPOCH_S,
    LIGHT,
    MODERATE,
    NAP,
    NONWEAR,
    SEDENTARY,
    SLEEP,
    VIGOROUS,
    WAKE,
    EpochColumns,
    epoch_records,
    runs,
)
from wlproto.const import EV_BED, EV_SYMPTOM, EV_UP, FLAG_NONWEAR
from wlproto.records import Epoch, Event

__all__ = ["EPOCH_S", "NAP", "NONWEAR", "SLEEP", "WAKE", "EpochWearer", "Truth", "make_wearer"]


@dataclass
class Truth:
    start_utc: int
    state: np.ndarray  # WAKE/SLEEP/NONWEAR/NAP per epoch
    intensity: np.ndarray  # SEDENTARY..VIGOROUS (while awake and worn)
    steps: np.ndarray
    nights: dict[str, tuple[int, int]] = field(default_factory=dict)  # evening date -> bed, up
    symptoms: list[tuple[int, int]] = field(default_factory=list)  # (utc, severity)


@dataclass
class EpochWearer:
    records: list[Epoch | Event]
    truth: Truth


def make_wearer(days: int, tz: str = "UTC", start: dt.date = dt.date(2026, 3, 20),
                seed: int = 0, markers: bool = False, nonwear_days: tuple[int, ...] = (),
                nap_days: tuple[int, ...] = (), symptom_days: tuple[int, ...] = (),
                bed_h: float = 23.0, up_h: float = 7.0, jitter_h: float = 0.4) -> EpochWearer:
    """`days` local days from local midnight of `start`; day i has a night on its evening."""
    rng = np.random.default_rng(seed)
    zone = ZoneInfo(tz)
    t0 = int(dt.datetime.combine(start, dt.time(0), tzinfo=zone).timestamp())
    t_end = int(dt.datetime.combine(start + dt.timedelta(days=days), dt.time(0),
                                    tzinfo=zone).timestamp())
    n = (t_end - t0) // EPOCH_S
    state = np.full(n, WAKE, dtype=np.int8)
    intensity = np.zeros(n, dtype=np.int8)

    def idx(day: dt.date, hours: float) -> int:
        # local wall-clock hours -> UTC via a naive local datetime
        naive = dt.datetime.combine(day, dt.time(0)) + dt.timedelta(hours=hours)
        t = naive.replace(tzinfo=zone)
        return int((t.timestamp() - t0) // EPOCH_S)

    truth = Truth(t0, state, intensity, np.zeros(n, dtype=np.int64))
    events: list[tuple[int, int, int]] = []
    # daytime activity: walks (light), brisk walks (moderate), a run now and then
    for d in range(days):
        day = start + dt.timedelta(days=d)
        for _ in range(6):
            a = idx(day, rng.uniform(8.5, 21.0))
            ln = int(rng.integers(4, 30))
            intensity[a:a + ln] = LIGHT
        for _ in range(int(rng.integers(1, 3))):
            a = idx(day, rng.uniform(9.0, 19.0))
            ln = int(rng.integers(24, 50))  # 12-25 min brisk walk
            intensity[a:a + ln] = MODERATE
        if rng.random() < 0.3:
            a = idx(day, rng.uniform(9.0, 19.0))
            intensity[a:a + int(rng.integers(10, 30))] = VIGOROUS
        if d in nap_days:
            a = idx(day, 14.0)
            state[a:a + int(rng.integers(60, 100))] = NAP
        if d in nonwear_days:
            a = idx(day, rng.uniform(10.0, 15.0))
            state[a:a + int(rng.integers(240, 480))] = NONWEAR
        for k in range(2 if d in symptom_days else 0):
            sev = int(rng.integers(2, 6))
            events.append((t0 + idx(day, 10.0 + 4 * k) * EPOCH_S, EV_SYMPTOM, sev))
            truth.symptoms.append((t0 + idx(day, 10.0 + 4 * k) * EPOCH_S, sev))
    # nights: bed -> latency -> sleep with awakenings -> up
    in_bed = np.zeros(n, dtype=bool)
    for d in range(-1, days - 1):
        day = start + dt.timedelta(days=d)
        bed = max(idx(day, bed_h + rng.normal(0, jitter_h)), 0)
        up = idx(day + dt.timedelta(days=1), up_h + rng.normal(0, jitter_h))
        lat = int(rng.integers(16, 50))
        state[bed:up] = SLEEP
        in_bed[bed:up] = True
        intensity[bed:up] = SEDENTARY
        if d >= 0:
            state[bed:bed + lat] = WAKE
        for _ in range(int(rng.integers(1, 4))):
            a = int(rng.integers(bed + lat + 60, up - 60))
            state[a:a + int(rng.integers(12, 40))] = WAKE
        if d < 0:
            continue  # the night before the recording started: not scored
        truth.nights[day.isoformat()] = (t0 + bed * EPOCH_S, t0 + up * EPOCH_S)
        if markers:
            events.append((t0 + bed * EPOCH_S, EV_BED, 0))
            events.append((t0 + up * EPOCH_S, EV_UP, 0))
    state[(state == NONWEAR) & in_bed] = SLEEP

    # features
    enmo = np.zeros(n)
    mad = np.zeros(n)
    dangle = np.zeros(n)
    z = np.zeros(n)
    steps = np.zeros(n, dtype=np.int64)
    flags = np.zeros(n, dtype=np.int64)
    awake = state == WAKE
    quiet_wake = awake & in_bed
    day_awake = awake & ~in_bed
    lv = intensity
    enmo_lo = np.array([3.0, 50.0, 130.0, 500.0])
    enmo_hi = np.array([40.0, 95.0, 400.0, 900.0])
    u = rng.random(n)
    enmo[day_awake] = (enmo_lo[lv] + u * (enmo_hi[lv] - enmo_lo[lv]))[day_awake]
    mad[day_awake] = enmo[day_awake] * 0.8 + 2
    dangle[day_awake] = rng.uniform(6, 120, n)[day_awake]
    steps[day_awake] = np.where(lv >= 1, rng.integers(25, 70, n), rng.integers(0, 4, n))[day_awake]
    # awake in bed: restless, every other epoch or so
    moving = rng.random(n) < 0.6
    enmo[quiet_wake] = np.where(moving, rng.uniform(8, 40, n), rng.uniform(1, 6, n))[quiet_wake]
    mad[quiet_wake] = enmo[quiet_wake] + 1
    dangle[quiet_wake] = np.where(moving, rng.uniform(6, 60, n), rng.uniform(0.5, 4, n))[quiet_wake]
    # asleep or napping: small changes, occasional position shift
    asleep = (state == SLEEP) | (state == NAP)
    enmo[asleep] = rng.uniform(0.5, 4, n)[asleep]
    mad[asleep] = rng.uniform(1.5, 5, n)[asleep]
    dangle[asleep] = rng.uniform(0.0, 1.5, n)[asleep]
    shift = asleep & (rng.random(n) < 1 / 60)
    dangle[shift] = rng.uniform(8, 30, n)[shift]
    # off the wrist: flat and motionless; the device flags it after a while
    off = state == NONWEAR
    enmo[off] = rng.uniform(0, 1, n)[off]
    mad[off] = rng.uniform(1.0, 1.6, n)[off]  # sensor noise alone, ~1.3 mg
    dangle[off] = rng.uniform(0, 0.2, n)[off]
    # arm angle: a random walk that jumps on movement, flat when off the wrist
    zz = 0.0
    flat = float(rng.uniform(80, 88))
    for i in range(n):
        if off[i]:
            z[i] = flat
            continue
        if dangle[i] > 5:
            zz = float(np.clip(zz + rng.normal(0, 25), -85, 85))
        elif asleep[i] or dangle[i] > 0.5:
            zz = float(np.clip(zz + rng.normal(0, 0.4), -85, 85))
        z[i] = zz
    # after 30 min flat the device sets FLAG_NONWEAR (its own cheaper rule)
    for a, b in runs(off):
        flags[a + 60:b] |= FLAG_NONWEAR
    truth.steps = steps
    cols = EpochColumns(flags, np.minimum(enmo * 10, 65535).astype(np.int64),
                        np.minimum(mad * 10, 65535).astype(np.int64), np.round(z).astype(np.int64),
                        np.minimum(np.round(dangle * 10), 255).astype(np.int64),
                        np.minimum(steps, 255), 40)
    return EpochWearer(epoch_records(t0, cols, events), truth)
