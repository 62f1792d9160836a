"""Raw samples of a virtual wearer: wrist acceleration for multi-day schedules, with ground
truth (the form the firmware reads from its IMU; virtual.hostport runs it on the device).

The schedule (nights with sleep latency, awakenings and posture changes, naps,
sedentary time, walking bouts at a realistic cadence, light activity, time
off the wrist, symptom button presses and bed/up long presses) is drawn once
from a seed; samples are synthesised on demand per hour block with numpy, so
fourteen days (30 M samples at 25 Hz) never sit in memory at once.

Signal model (milli-g, device frame): gravity along the forearm orientation
(pitch, roll), plus per activity: breathing-scale tremor and twitches in
sleep, slow orientation wander and gestures when sedentary, a step-frequency
bounce along gravity with arm swing at half that frequency when walking, and
sensor noise only when the device lies off the wrist. Truth is per 30-s epoch, in the
codes of wearlog.testing.days as well (GroundTruth.state).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

import wearlog.testing.days as codes
from wearlog.testing.days import EPOCH_S, ScenarioError

__all__ = ["EPOCH_S", "GroundTruth", "Press", "ScenarioError", "Segment", "Wearer"]

# what the wearer does in a segment of the schedule
SLEEP = "sleep"
WAKE_IN_BED = "wake_in_bed"
SEDENTARY = "sedentary"
WALK = "walk"
LIGHT = "light"
OFFWRIST = "offwrist"
NAP = "nap"
MOVE = "move"  # a posture change during sleep (a few seconds)
KINDS = (SLEEP, WAKE_IN_BED, SEDENTARY, WALK, LIGHT, OFFWRIST, NAP, MOVE)
ASLEEP_KINDS = (SLEEP, NAP, MOVE)

SENSOR_NOISE_MG = 1.5


@dataclass
class Segment:
    start: float  # seconds since the simulation start
    end: float
    kind: str
    pitch: float = 0.0  # degrees
    roll: float = 0.0
    cadence: float = 0.0  # steps/min when walking
    amp: float = 0.0  # walking bounce, mg
    index: int = 0


@dataclass
class Press:
    """One button press the wearer makes: down and up, seconds since start."""

    down: float
    up: float


@dataclass
class GroundTruth:
    """What really happened, per 30-s epoch and per event."""

    start_utc: int
    epochs: int
    asleep: np.ndarray  # bool per epoch: asleep for most of it
    worn: np.ndarray  # bool per epoch: on the wrist for most of it
    steps: np.ndarray  # float per epoch: steps taken
    walking: np.ndarray  # bool per epoch: walking for most of it
    in_bed: list[tuple[float, float]]  # (lights out, got up) per night, s since start
    symptoms: list[tuple[float, int]]  # (first press, severity)
    bed_marks: list[tuple[float, str]]  # (press, "bed" | "up")
    walks: list[tuple[float, float, float]]  # (start, end, cadence) walking bouts
    offwrist: list[tuple[float, float]]
    presses: list[Press] = field(default_factory=list)
    # per epoch, in the codes every generator shares: WAKE, SLEEP, NAP or NONWEAR
    state: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int8))

    def epoch_time(self, k: int) -> int:
        return self.start_utc + EPOCH_S * k


class Wearer:
    """A scenario: Wearer(days=14, seed=1, fragmented_sleep=True, low_activity_days={3, 4})."""

    def __init__(self, days: float = 1, seed: int = 0, start_utc: int = 1_772_366_400,
                 rate_hz: int = 25, fragmented_sleep: bool = False,
                 low_activity_days: set[int] | frozenset[int] = frozenset(),
                 symptoms_per_day: float = 3.0, offwrist_per_day: float = 0.4,
                 nap_chance: float = 0.3, symptom_events: list[tuple[float, int]] | None = None,
                 bounce: bool = True) -> None:
        if days <= 0:
            raise ScenarioError(f"days must be positive, got {days}")
        if rate_hz not in (12, 13, 25, 26, 50, 52):
            raise ScenarioError(f"rate {rate_hz} Hz: use an IMU rate (12, 13, 25, 26, 50, 52)")
        self.days = days
        self.seed = seed
        self.rate_hz = rate_hz
        self.start_utc = start_utc  # default 2026-03-01 12:00 UTC: starts at noon
        self.fragmented_sleep = fragmented_sleep
        self.low_activity_days = frozenset(low_activity_days)
        self.duration = days * 86400.0
        self.total_samples = int(self.duration * rate_hz)
        self._rng = np.random.default_rng(seed)
        self.segments: list[Segment] = []
        self.presses: list[Press] = []
        self._symptoms: list[tuple[float, int]] = []
        self._bed_marks: list[tuple[float, str]] = []
        self._in_bed: list[tuple[float, float]] = []
        self._build(symptoms_per_day, offwrist_per_day, nap_chance)
        if symptom_events is not None:
            self._symptoms = []
            self.presses = [p for p in self.presses if p.up - p.down >= 2.0]
            for t, sev in symptom_events:
                self._add_symptom(t, sev)
            self.presses.sort(key=lambda p: p.down)
        self._starts = np.array([s.start for s in self.segments])
        self.button_edges = self._edges(bounce)
        self.truth = self._truth()
        self._block_cache: tuple[int, np.ndarray] | None = None

    # --- schedule -------------------------------------------------------------
    def _seg(self, start: float, end: float, kind: str, **kw: float) -> None:
        if end > start:
            self.segments.append(Segment(start, end, kind, index=len(self.segments), **kw))

    def _orient(self, kind: str) -> tuple[float, float]:
        r = self._rng
        if kind == OFFWRIST:
            return float(r.normal(0, 3)), float(r.choice([0.0, 180.0]) + r.normal(0, 3))
        if kind in (SLEEP, NAP):
            return float(r.uniform(-60, 60)), float(r.uniform(-150, 150))
        return float(r.uniform(-35, 10)), float(r.uniform(-40, 40))

    def _build(self, symptoms_per_day: float, offwrist_per_day: float, nap_chance: float) -> None:
        r = self._rng
        t = 0.0
        day = 0
        while t < self.duration:
            noon_next = (day + 1) * 86400.0
            low = day in self.low_activity_days
            bed = day * 86400.0 + 3600 * r.uniform(10.5, 11.75)  # 22:30..23:45
            rise = noon_next - 3600 * r.uniform(4.0, 5.5)  # 06:30..08:00
            # afternoon and evening
            nap = r.random() < (nap_chance * (2 if low else 1))
            if nap:
                n0 = day * 86400.0 + 3600 * r.uniform(2.0, 4.0)
                self._daytime(t, n0, low, offwrist_per_day / 2)
                n1 = n0 + 60 * r.uniform(20, 60)
                self._sleep_block(n0, n1, NAP)
                t = n1
            self._daytime(t, min(bed, self.duration), low, offwrist_per_day / 2)
            if bed >= self.duration:
                break
            self._night(bed, min(rise, self.duration))
            if rise >= self.duration:
                break
            shower = rise + 60 * r.uniform(5, 30)
            self._daytime(rise, shower, low, 0)
            s_end = shower + 60 * r.uniform(10, 20)
            pitch, roll = self._orient(OFFWRIST)
            self._seg(shower, min(s_end, self.duration), OFFWRIST, pitch=pitch, roll=roll)
            t = min(s_end, self.duration)
            self._daytime(t, min(noon_next, self.duration), low, offwrist_per_day / 2)
            t = noon_next
            day += 1
        self._symptom_presses(symptoms_per_day)
        self.presses.sort(key=lambda p: p.down)

    def _daytime(self, t: float, end: float, low: bool, offwrist_rate: float) -> None:
        r = self._rng
        while t < end:
            u = r.random()
            off = offwrist_rate * 0.25
            # Walking is short and rare (a median of about 5,000-7,000 steps on ordinary days with
            # these settings); low-activity days have far fewer. Bands stack after the
            # off-wrist one, so taking the device off does not eat into walking.
            walk = off + (0.07 if low else 0.15)
            light = walk + (0.14 if low else 0.20)
            if u < off:
                kind, dur = OFFWRIST, 60 * r.uniform(45, 150)
            elif u < walk:
                kind, dur = WALK, 60 * (r.uniform(1, 5) if low else r.uniform(2, 15))
            elif u < light:
                kind, dur = LIGHT, 60 * r.uniform(5, 20)
            else:
                kind, dur = SEDENTARY, 60 * r.uniform(10, 60 if low else 40)
            e = min(t + dur, end)
            pitch, roll = self._orient(kind)
            if kind == WALK:
                cadence = r.uniform(88, 105) if low else r.uniform(95, 125)
                self._seg(t, e, kind, pitch=pitch, roll=roll, cadence=cadence,
                          amp=r.uniform(220, 360))
            else:
                self._seg(t, e, kind, pitch=pitch, roll=roll)
            t = e

    def _sleep_block(self, t: float, end: float, kind: str) -> None:
        """Sleep with posture changes every 15-60 min (a few seconds of movement)."""
        r = self._rng
        while t < end:
            e = min(t + 60 * r.uniform(15, 60), end)
            pitch, roll = self._orient(kind)
            self._seg(t, e, kind, pitch=pitch, roll=roll)
            if e < end:
                m = min(e + r.uniform(3, 8), end)
                self._seg(e, m, MOVE)
                e = m
            t = e

    def _night(self, bed: float, rise: float) -> None:
        r = self._rng
        self._in_bed.append((bed, rise))
        self._long_press(bed, "bed")
        onset = bed + 60 * r.uniform(5, 30)
        final_wake = rise - 60 * r.uniform(2, 15)
        pitch, roll = self._orient(WAKE_IN_BED)
        self._seg(bed, onset, WAKE_IN_BED, pitch=pitch, roll=roll)
        if self.fragmented_sleep:
            n, lo, hi = int(r.integers(8, 15)), 3, 20
        else:
            n, lo, hi = int(r.integers(1, 4)), 1, 8
        cuts = np.sort(r.uniform(onset + 1800, final_wake - 1800, n)) if final_wake - onset > 4000 \
            else np.array([])
        t = onset
        for c in cuts:
            if c <= t:
                continue
            self._sleep_block(t, c, SLEEP)
            w = min(c + 60 * r.uniform(lo, hi), final_wake)
            pitch, roll = self._orient(WAKE_IN_BED)
            self._seg(c, w, WAKE_IN_BED, pitch=pitch, roll=roll)
            t = w
        self._sleep_block(t, final_wake, SLEEP)
        pitch, roll = self._orient(WAKE_IN_BED)
        self._seg(final_wake, rise, WAKE_IN_BED, pitch=pitch, roll=roll)
        self._long_press(rise - 40, "up")

    def _long_press(self, t: float, mark: str) -> None:
        hold = float(self._rng.uniform(2.4, 3.5))
        self.presses.append(Press(t, t + hold))
        self._bed_marks.append((t, mark))

    def _add_symptom(self, t: float, severity: int) -> None:
        r = self._rng
        p = t
        for _ in range(severity):
            d = float(r.uniform(0.08, 0.2))
            self.presses.append(Press(p, p + d))
            p += d + float(r.uniform(0.15, 0.25))
        self._symptoms.append((t, severity))

    def _symptom_presses(self, per_day: float) -> None:
        r = self._rng
        ok = [s for s in self.segments if s.kind in (SEDENTARY, LIGHT) and s.end - s.start > 120]
        if not ok or per_day <= 0:
            return
        n = int(r.poisson(per_day * self.days))
        for s in r.choice(len(ok), size=min(n, len(ok)), replace=False):
            seg = ok[int(s)]
            t = float(r.uniform(seg.start + 10, seg.end - 10))
            self._add_symptom(t, int(r.integers(1, 6)))
        self._symptoms.sort()

    def _edges(self, bounce: bool) -> list[tuple[bool, int]]:
        """Pin edges (pressed, ms since start), with contact chatter on each edge."""
        out: list[tuple[bool, int]] = []
        for p in self.presses:
            d = int(p.down * 1000)
            u = int(p.up * 1000)
            if bounce:
                out += [(True, d), (False, d + 1), (True, d + 3), (False, u), (True, u + 1),
                        (False, u + 2)]
            else:
                out += [(True, d), (False, u)]
        out.sort(key=lambda e: e[1])
        return out

    # --- truth ------------------------------------------------------------------
    def _truth(self) -> GroundTruth:
        n = int(self.duration // EPOCH_S)
        asleep = np.zeros(n)
        napping = np.zeros(n)
        worn = np.zeros(n)
        walking = np.zeros(n)
        steps = np.zeros(n)
        walks = []
        off = []
        for s in self.segments:
            a, b = s.start / EPOCH_S, min(s.end / EPOCH_S, n)
            k0, k1 = int(a), min(int(math.ceil(b)), n)
            for k in range(k0, k1):
                ov = min(b, k + 1) - max(a, k)
                if ov <= 0:
                    continue
                if s.kind in ASLEEP_KINDS:
                    asleep[k] += ov
                if s.kind == NAP:
                    napping[k] += ov
                if s.kind != OFFWRIST:
                    worn[k] += ov
                if s.kind == WALK:
                    walking[k] += ov
                    f = s.cadence / 60.0
                    lo = max(k * EPOCH_S, s.start) - s.start
                    hi = min((k + 1) * EPOCH_S, s.end) - s.start
                    steps[k] += math.floor(f * hi) - math.floor(f * lo)
            if s.kind == WALK:
                walks.append((s.start, s.end, s.cadence))
            if s.kind == OFFWRIST:
                off.append((s.start, s.end))
        state = np.where(worn <= 0.5, codes.NONWEAR,
                         np.where(asleep > 0.5, np.where(napping > 0.5, codes.NAP, codes.SLEEP),
                                  codes.WAKE)).astype(np.int8)
        return GroundTruth(self.start_utc, n, asleep > 0.5, worn > 0.5, steps, walking > 0.5,
                           list(self._in_bed), list(self._symptoms), list(self._bed_marks),
                           walks, off, list(self.presses), state)

    # --- samples ------------------------------------------------------------------
    def temp_c(self, t: float) -> float:
        i = int(np.searchsorted(self._starts, t, side="right")) - 1
        kind = self.segments[max(i, 0)].kind
        return 23.0 if kind == OFFWRIST else 31.5

    def read(self, start: int, n: int) -> np.ndarray:
        """Samples start..start+n (index at rate_hz from the start) as (n, 3) int16 mg."""
        hb = 3600 * self.rate_hz
        out = np.empty((n, 3), dtype=np.int16)
        pos = 0
        while pos < n:
            i = start + pos
            b = i // hb
            block = self._block(b)
            off = i - b * hb
            k = min(n - pos, hb - off)
            out[pos:pos + k] = block[off:off + k]
            pos += k
        return out

    def _block(self, b: int) -> np.ndarray:
        if self._block_cache is not None and self._block_cache[0] == b:
            return self._block_cache[1]
        hb = 3600 * self.rate_hz
        i0 = b * hb
        t = (i0 + np.arange(hb)) / self.rate_hz
        acc = np.zeros((hb, 3))
        t0, t1 = t[0], t[-1] + 1.0 / self.rate_hz
        lo = max(int(np.searchsorted(self._starts, t0, side="right")) - 1, 0)
        for s in self.segments[lo:]:
            if s.start >= t1:
                break
            if s.end <= t0:
                continue
            j0 = max(int(math.ceil((s.start - t0) * self.rate_hz - 1e-9)), 0)
            j1 = min(int(math.ceil((s.end - t0) * self.rate_hz - 1e-9)), hb)
            if j1 > j0:
                rng = np.random.default_rng([self.seed, b, s.index])
                acc[j0:j1] = self._synth(s, t[j0:j1], rng)
        beyond = t >= self.duration
        if beyond.any():
            acc[beyond] = (0.0, 0.0, 1000.0)
        acc += self._rng_noise(b, hb) * SENSOR_NOISE_MG
        out = np.clip(np.rint(acc), -8000, 7999).astype(np.int16)
        self._block_cache = (b, out)
        return out

    def _rng_noise(self, b: int, n: int) -> np.ndarray:
        return np.random.default_rng([self.seed, b, 10**9]).standard_normal((n, 3))

    @staticmethod
    def _gravity(pitch: np.ndarray, roll: np.ndarray) -> np.ndarray:
        p = np.radians(pitch)
        r = np.radians(roll)
        return 1000.0 * np.stack([np.sin(p), np.cos(p) * np.sin(r), np.cos(p) * np.cos(r)], -1)

    @staticmethod
    def _smooth(x: np.ndarray, k: int) -> np.ndarray:
        if len(x) < k:
            return x
        ker = np.ones(k) / k
        return np.stack([np.convolve(x[:, a], ker, mode="same") for a in range(x.shape[1])], -1)

    def _wander(self, s: Segment, t: np.ndarray, deg: float, fmax: float) -> np.ndarray:
        """Smooth orientation drift: a few slow sinusoids fixed per segment."""
        r = np.random.default_rng([self.seed, s.index, 7])
        out = np.zeros_like(t)
        for _ in range(3):
            f = r.uniform(fmax / 10, fmax)
            out += deg / 3 * np.sin(2 * np.pi * f * t + r.uniform(0, 2 * np.pi))
        return out

    def _synth(self, s: Segment, t: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        n = len(t)
        if s.kind == OFFWRIST:
            return np.broadcast_to(self._gravity(np.array(s.pitch), np.array(s.roll)), (n, 3))
        if s.kind == MOVE:
            ang = rng.uniform(-90, 90)
            g = self._gravity(np.full(n, ang), np.linspace(0, 90, n))
            return g + 120 * self._smooth(rng.standard_normal((n, 3)), 3)
        if s.kind in (SLEEP, NAP):
            g = self._gravity(np.full(n, s.pitch), np.full(n, s.roll))
            tremor = 8 * self._smooth(rng.standard_normal((n, 3)), 4)  # pulse, breathing
            acc = g + tremor
            # twitches: about one every 4 minutes, a second of movement
            for _ in range(int(rng.poisson(n / self.rate_hz / 240))):
                j = int(rng.integers(0, n))
                k = min(j + self.rate_hz, n)
                acc[j:k] += 40 * rng.standard_normal((k - j, 3))
            return acc
        if s.kind == WALK:
            f = s.cadence / 60.0
            tt = t - s.start
            jitter = np.cumsum(rng.normal(0, 0.01, n))  # cadence wobble, radians
            ph = 2 * np.pi * f * tt + jitter
            pitch = s.pitch + 22 * np.sin(ph / 2)  # arm swing: one cycle per two steps
            g = self._gravity(pitch, np.full(n, s.roll))
            bounce = s.amp * (np.sin(ph) + 0.25 * np.sin(2 * ph + 0.7))
            return g * (1 + bounce / 1000)[:, None] + 15 * rng.standard_normal((n, 3))
        # awake: sedentary, light activity, awake in bed
        deg, fmax, sigma = {SEDENTARY: (15, 0.01, 12), LIGHT: (40, 0.05, 30),
                            WAKE_IN_BED: (25, 0.01, 10)}[s.kind]
        g = self._gravity(s.pitch + self._wander(s, t, deg, fmax),
                          s.roll + self._wander(s, t + 1e4, deg, fmax))
        acc = g + sigma * self._smooth(rng.standard_normal((n, 3)), 5)
        # gestures: a second or two of movement now and then
        rate = {SEDENTARY: 60, LIGHT: 20, WAKE_IN_BED: 90}[s.kind]
        for _ in range(int(rng.poisson(n / self.rate_hz / rate))):
            j = int(rng.integers(0, n))
            k = min(j + int(rng.integers(self.rate_hz, 2 * self.rate_hz)), n)
            acc[j:k] += 60 * self._smooth(rng.standard_normal((k - j, 3)), 3)
        return acc
