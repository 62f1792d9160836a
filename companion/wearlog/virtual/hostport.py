"""Run the unchanged firmware application on CPython, faster than real time.

The firmware's MicroPython-only imports are satisfied by firmware/hostport/
(`machine`, `micropython`, `mptime`), appended to sys.path: they add modules
CPython lacks and shadow nothing. The App gets a SimClock and a SimBoard whose
IMU FIFO is filled from a motion source: a virtual Wearer or a CSV replay.
"""

from __future__ import annotations

import csv
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from wearlog.resources import shipped_firmware
from wearlog.testing.samples import GroundTruth, Wearer

FIRMWARE_DIR = shipped_firmware()  # firmware/, installed with the wheel or in the checkout
HOSTPORT_DIR = FIRMWARE_DIR / "hostport"


class HostPortError(RuntimeError):
    """The host port could not run the firmware as asked."""


class ReplayError(ValueError):
    """A raw accelerometer CSV could not be replayed: the message says which row and why."""


def install_paths() -> None:
    """Make the firmware's board-side modules importable (append: shadow nothing)."""
    if not (HOSTPORT_DIR / "simboard.py").is_file():
        raise HostPortError(
            f"the firmware host port is not at {HOSTPORT_DIR}; reinstall wearlog "
            "(pip install wearlog, or pip install -e . in a checkout)")
    for p in (str(HOSTPORT_DIR), str(FIRMWARE_DIR)):
        if p not in sys.path:
            sys.path.append(p)


class CsvReplay:
    """Recorded raw acceleration (CSV t [s], x, y, z [g]) resampled to the device rate."""

    def __init__(self, path: str | Path, rate_hz: int = 25) -> None:
        rows = []
        with open(path, newline="") as fh:
            for lineno, row in enumerate(csv.reader(fh), 1):
                if not row or row[0].strip().startswith("#"):
                    continue
                try:
                    rows.append([float(v) for v in row[:4]])
                except ValueError:
                    if lineno == 1:
                        continue  # a header line
                    raise ReplayError(
                        f"{path}:{lineno}: expected numbers t,x,y,z, got {row!r}") from None
                if len(row) < 4:
                    raise ReplayError(
                        f"{path}:{lineno}: expected 4 columns t,x,y,z, got {len(row)}")
        if len(rows) < 2:
            raise ReplayError(f"{path}: needs at least two samples")
        a = np.asarray(rows)
        t = a[:, 0] - a[0, 0]
        if np.any(np.diff(t) <= 0):
            bad = int(np.argmax(np.diff(t) <= 0)) + 2
            raise ReplayError(f"{path}: time does not increase at sample {bad}")
        self.rate_hz = rate_hz
        self.duration = float(t[-1])
        grid = np.arange(0, self.duration, 1.0 / rate_hz)
        res = np.stack([np.interp(grid, t, a[:, k]) for k in (1, 2, 3)], -1) * 1000.0
        self.samples = np.clip(np.rint(res), -8000, 7999).astype(np.int16)
        self.total_samples = len(self.samples)
        self.button_edges: list[tuple[bool, int]] = []

    def read(self, start: int, n: int) -> np.ndarray:
        out = np.empty((n, 3), dtype=np.int16)
        out[:] = (0, 0, 1000)  # after the recording: lying still, face up
        k = max(0, min(n, self.total_samples - start))
        out[:k] = self.samples[start:start + k]
        return out


@dataclass
class HostRun:
    """A finished simulated run: the device object, its board and clock, and the truth."""

    app: Any  # wlfw.app.App
    board: Any  # SimBoard
    clock: Any  # SimClock
    truth: GroundTruth | None
    log_dir: Path
    wall_s: float
    simulated_s: float

    def records(self) -> list[Any]:
        """Every record the device still holds, decoded (flushes RAM first)."""
        from wlproto.const import RECORD_SIZE
        from wlproto.records import unpack_record

        log = self.app.log
        out: list[Any] = []
        buf = bytearray(64 * RECORD_SIZE)
        seq = log.oldest_seq
        while True:
            first, n, base = log.read_into(seq, buf, 64)
            if n == 0:
                return out
            out += [unpack_record(buf, k * RECORD_SIZE, first + k, base) for k in range(n)]
            seq = first + n


def build_device(source: Any, log_dir: str | Path | None = None, *, wake_ms: int = 5000,
                 fifo_samples: int = 170, faults: list[tuple[int, int, str]] | None = None,
                 fs: Any = None, log_options: dict | None = None,
                 battery_days: float = 7.0, link: Any = None) -> tuple[Any, Any, Any]:
    """(app, board, clock) for a motion source, booted, clock not yet set.

    link: an object with service(now_ms) (the BLE sync service), called on
    every main-loop iteration as on the device.
    """
    install_paths()
    from mptime import SimClock
    from simboard import SimBoard

    from wlfw.app import App

    if log_dir is None:
        log_dir = tempfile.mkdtemp(prefix="wearlog-device-")
    Path(log_dir).mkdir(parents=True, exist_ok=True)
    clock = SimClock()
    board = SimBoard(clock, source, fifo_samples=fifo_samples, faults=faults,
                     battery_days=battery_days)
    app = App(board, clock=clock, log_dir=str(log_dir), fs=fs, wake_ms=wake_ms,
              log_options=log_options)
    app.link = link
    app.boot()
    return app, board, clock


def run_device(source: Any, seconds: float, log_dir: str | Path | None = None, *,
               start_utc: int | None = 1_772_366_400, set_clock_at_s: float | None = 0.0,
               progress: Callable[[float], None] | None = None, **kw: Any) -> HostRun:
    """Run the firmware over `seconds` of the source; the companion sets the clock at
    set_clock_at_s (None: never, records stay uptime-relative). `progress` hears the
    simulated seconds done after each simulated hour (for a progress bar)."""
    if seconds <= 0:
        raise HostPortError(f"seconds must be positive, got {seconds}")
    t0 = time.perf_counter()
    app, board, clock = build_device(source, log_dir, **kw)
    total_ms = int(seconds * 1000)
    if set_clock_at_s is not None and start_utc is not None:
        at = int(set_clock_at_s * 1000)
        if at > 0:
            app.run_for(at)
        app.set_time(start_utc + clock.now_ms // 1000)
    if progress is None:
        app.run_for(total_ms - clock.now_ms)
    else:
        while clock.now_ms < total_ms:
            app.run_for(min(3_600_000, total_ms - clock.now_ms))
            progress(clock.now_ms / 1000)
    app.log.flush()
    return HostRun(app, board, clock, getattr(source, "truth", None), Path(app.log_dir),
                   time.perf_counter() - t0, clock.now_ms / 1000)


def run_wearer(days: float = 14, seed: int = 0, log_dir: str | Path | None = None, *,
               set_clock_at_s: float | None = 0.0, wake_ms: int = 5000,
               faults: list[tuple[int, int, str]] | None = None,
               progress: Callable[[float], None] | None = None, **wearer_kw: Any) -> HostRun:
    """N simulated days of a virtual wearer on the unchanged firmware."""
    w = Wearer(days=days, seed=seed, **wearer_kw)
    return run_device(w, w.duration, log_dir, start_utc=w.start_utc,
                      set_clock_at_s=set_clock_at_s, wake_ms=wake_ms, faults=faults,
                      progress=progress)
