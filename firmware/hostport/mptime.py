"""Simulated `time.ticks_*`: a clock that only moves when the simulation says so.

Ticks wrap at 2**30 ms like MicroPython's on the ESP32 and rp2 ports, so the
firmware's wrap handling is exercised (12.4 simulated days).
"""

from __future__ import annotations

TICKS_PERIOD = 1 << 30
_MASK = TICKS_PERIOD - 1
_HALF = TICKS_PERIOD >> 1


class SimClock:
    """One device's simulated time; sleep_ms advances it instantly."""

    def __init__(self, start_ms: int = 0) -> None:
        self.now_ms = start_ms  # never wraps: the simulation's own timeline

    def ticks_ms(self) -> int:
        return self.now_ms & _MASK

    def ticks_diff(self, a: int, b: int) -> int:
        return ((a - b + _HALF) & _MASK) - _HALF

    def ticks_add(self, a: int, b: int) -> int:
        return (a + b) & _MASK

    def sleep_ms(self, ms: int) -> None:
        if ms > 0:
            self.now_ms += ms

    def advance(self, ms: int) -> None:
        self.now_ms += ms


DEFAULT = SimClock()


def ticks_ms() -> int:
    return DEFAULT.ticks_ms()


def ticks_diff(a: int, b: int) -> int:
    return DEFAULT.ticks_diff(a, b)


def ticks_add(a: int, b: int) -> int:
    return DEFAULT.ticks_add(a, b)


def sleep_ms(ms: int) -> None:
    DEFAULT.sleep_ms(ms)
