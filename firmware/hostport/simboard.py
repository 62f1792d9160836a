"""A simulated board: the parts the firmware's App asks a board profile for.

The IMU is fed by a motion source (virtual wearer or CSV replay) at the
device rate, through a FIFO of the real chip's depth: a late drain overruns
exactly as the sensor would. Samples are copied in bulk per drain (numpy),
so the firmware's own feature loop is the only per-sample Python.
"""

from __future__ import annotations

from array import array
from typing import Any, Protocol

import numpy as np
from mptime import SimClock

from wlfw.errors import SensorError


class MotionSource(Protocol):
    rate_hz: int

    def read(self, start: int, n: int) -> np.ndarray:
        """Samples start..start+n as an (n, 3) int16 array, milli-g."""
        ...


class SimImu:
    """FIFO semantics of the IMU drivers: read_fifo_into, overrun, temp_hc."""

    def __init__(self, board: SimBoard, fifo_samples: int) -> None:
        self.board = board
        self.fifo_samples = fifo_samples
        self.overrun = False
        self.rate = board.RATE_HZ
        self.cursor = 0
        self._views: dict[int, np.ndarray] = {}

    def start(self, rate_hz: int, range_g: int = 8) -> None:
        self.rate = rate_hz
        self.cursor = self.board.clock.now_ms * rate_hz // 1000  # FIFO reset

    def read_fifo_into(self, buf: array) -> int:
        b = self.board
        now = b.clock.now_ms
        if b.fault_at(now) == "missing":
            raise OSError(19, "ENODEV")
        avail = now * self.rate // 1000
        n = avail - self.cursor
        if n > self.fifo_samples:
            self.overrun = True
            self.cursor = avail - self.fifo_samples
            n = self.fifo_samples
        cap = len(buf) // 3
        if n > cap:
            n = cap
        if n <= 0:
            return 0
        view = self._views.get(id(buf))
        if view is None:
            view = np.frombuffer(buf, dtype=np.int16)
            self._views = {id(buf): view}
        data = b.source.read(self.cursor, n)
        if b.fault_at(now) == "stuck":
            data = np.broadcast_to(data[:1], data.shape)
        view[: 3 * n] = data.reshape(-1)
        self.cursor += n
        return n

    def temp_hc(self) -> int:
        temp = getattr(self.board.source, "temp_c", None)
        return int(round(2 * temp(self.board.clock.now_ms / 1000))) if temp else -128


class SimBoard:
    """What firmware/boards/*.py provide, over a SimClock and a motion source."""

    RATE_HZ = 25

    def __init__(self, clock: SimClock, source: MotionSource, fifo_samples: int = 170,
                 battery_days: float = 7.0, ident: int = 0x1234,
                 faults: list[tuple[int, int, str]] | None = None,
                 button_edges: list[tuple[bool, int]] | None = None) -> None:
        self.clock = clock
        self.source = source
        self.RATE_HZ = source.rate_hz
        self.fifo_samples = fifo_samples
        self.battery_days = battery_days
        self.ident = ident
        self.faults = faults or []
        self.edges = button_edges if button_edges is not None else list(
            getattr(source, "button_edges", []))
        self._edge_i = 0
        self.feedback_log: list[tuple[int, int]] = []
        self.rtc = None
        self.sleeps = 0
        self.slept_ms = 0

    def fault_at(self, now_ms: int) -> str | None:
        for a, b, kind in self.faults:
            if a <= now_ms < b:
                return kind
        return None

    def device_id(self) -> int:
        return self.ident

    def reset_cause(self) -> int:
        return 1

    def open_imu(self) -> SimImu:
        if self.fault_at(self.clock.now_ms) == "missing":
            raise SensorError("no IMU answered at 0x68: check the wiring")
        return SimImu(self, self.fifo_samples)

    def read_button(self, button: Any, now_ms: int) -> None:
        """Hand the button every edge up to now, with its own tick (as the IRQ would)."""
        edges = self.edges
        i = self._edge_i
        now = self.clock.now_ms
        while i < len(edges) and edges[i][1] <= now:
            level, t = edges[i]
            button.update(level, t & ((1 << 30) - 1))
            i += 1
        self._edge_i = i

    def battery_mv(self) -> int:
        # linear sawtooth: full at boot, recharged every battery_days
        period = self.battery_days * 86400_000
        frac = (self.clock.now_ms % period) / period
        return int(4180 - frac * (4180 - 3450))

    def feedback(self, pattern: int) -> None:
        self.feedback_log.append((self.clock.now_ms, pattern))

    def sleep_ms(self, ms: int) -> None:
        # a button edge wakes the board early (pin IRQ), as on the real boards
        nxt = self.edges[self._edge_i][1] if self._edge_i < len(self.edges) else None
        now = self.clock.now_ms
        if nxt is not None and now < nxt < now + ms:
            ms = nxt - now
        self.sleeps += 1
        self.slept_ms += ms
        self.clock.sleep_ms(ms)
