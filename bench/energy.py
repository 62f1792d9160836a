"""Battery life per board: datasheet currents times the firmware's measured duty cycle.

The duty cycle is counted, not guessed: the unchanged firmware (wlfw.app.App) runs on the
host port over a virtual wearer, and we count its wakes, FIFO samples and bytes, epochs,
flash chunk writes and bytes, while the firmware's own radio-window schedule
(wlfw.radio_window.RadioWindow, fed the wearer's real button presses) says how long the
radio is up. What a board draws in each state comes from datasheets (cited beside each
current below) or, where no datasheet gives it, from a stated assumption. It is a model:
measure a board with a USB power meter before promising a number to a wearer.

`python -m bench.energy [--hours H]` prints the assumptions beside the results.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import dataclass, field
from typing import Any

from bench.figures import figure

H_MS = 3_600_000
MIN_MS = 60_000
I2C_US_PER_BYTE = 9 / 400_000 * 1e6  # 400 kHz, 8 data bits + ACK
I2C_OVERHEAD_BYTES = 6  # per drain: FIFO count read (address, register, 2 bytes) + burst setup
SYNC_CONNECTED_S = 10.0  # per scheduled window in which a central syncs (assumption)
USABLE = 0.85  # of the rated capacity: cut-off at 3.3 V, ageing, temperature (assumption)


@dataclass(frozen=True)
class Settings:
    """The knobs of the duty cycle (main.py: wake_ms; RadioWindow's three times)."""

    wake_ms: int = 1000
    period_h: float = 3.0
    window_min: float = 3.0
    after_press_min: float = 3.0

    def label(self) -> str:
        return (f"wake {self.wake_ms / 1000:g} s, radio {self.window_min:g} min every "
                f"{self.period_h:g} h (+{self.after_press_min:g} min after a press)")


@dataclass
class Duty:
    """What the firmware did over `seconds` of simulated time."""

    seconds: float
    wakes: int
    samples: int
    epochs: int
    chunk_writes: int
    flash_bytes: int
    presses: int
    radio_ms: dict[tuple[float, float, float], float] = field(default_factory=dict)

    def per_day(self, n: float) -> float:
        return n * 86400 / self.seconds


@dataclass(frozen=True)
class Board:
    """Currents in mA and times in ms; `sources` names where each figure comes from."""

    name: str
    battery_mah: float
    sleep_ma: float  # MCU in light sleep, radio off
    active_ma: float  # MCU running MicroPython, radio off
    radio_idle_ma: float  # extra while a radio window is open (no light sleep possible)
    adv_ma: float  # average extra of 1-s advertising inside a window
    connected_ma: float  # extra while a central is connected and syncing
    imu_ma: float  # accelerometer at 25-26 Hz, as our driver configures it
    board_ma: float  # regulator, dividers, parts we never switch off
    flash_ma: float  # SPI NOR program / erase
    wake_overhead_ms: float  # leave and re-enter light sleep, main-loop bookkeeping
    us_per_sample: float  # feature loop per sample on this MCU
    epoch_ms: float  # end_epoch + record append
    max_wake_ms: int  # longest drain interval that loses no sample (FIFO and app.py's 130)
    sources: tuple[str, ...]


BOARDS = {
    "m5stickc_plus2": Board(
        "M5StickC Plus2", battery_mah=200, sleep_ma=0.8, active_ma=40.0, radio_idle_ma=27.0,
        adv_ma=0.39, connected_ma=15.0, imu_ma=0.45, board_ma=0.3, flash_ma=20.0,
        wake_overhead_ms=3.0, us_per_sample=40.0, epoch_ms=3.0, max_wake_ms=5000,
        sources=(
            "battery 200 mAh: M5Stack M5StickC Plus2 product page (200 mAh @ 3.7 V)",
            "sleep 0.8 mA: ESP32 Series Datasheet, 'Power Consumption by Power Modes', "
            "Light-sleep",
            "active 40 mA: same table, Modem-sleep at 160 MHz (MicroPython's default) "
            "27-44 mA, upper end while running code",
            "radio window 27 mA: ESP32 lightsleep stops BLE (MicroPython issue), so the CPU "
            "idles in modem-sleep at 160 MHz (27 mA, lower end) for the whole window",
            "advertising +0.39 mA: one 3-channel event per 1 s interval, about 3 ms at "
            "130 mA (datasheet: Bluetooth LE Tx 0 dBm 130 mA, Rx 95-100 mA); estimate",
            "connected +15 mA while syncing: connection events at 30 ms with 4-6 packets "
            "(bench/airtime.py) at 95-130 mA; estimate",
            "IMU 0.45 mA: MPU-6886 accelerometer only, gyro standby, low-noise mode as "
            "drivers/mpu6xxx.py sets it (InvenSense DS-000193; the MPU-6050 datasheet "
            "PS-MPU-6000A-00 rev 3.4 section 6.3 gives 500 uA accelerometer-only)",
            "board 0.3 mA: LDO quiescent, battery divider on GPIO38, display controller "
            "left in sleep-in, RTC: NOT from a datasheet, an assumption to measure",
            "flash 20 mA: SPI NOR page program / sector erase, typical of 8 MB parts "
            "(e.g. GigaDevice GD25Q64 datasheet: 0.6 ms page program, 45-50 ms 4 KiB erase)",
            "per-sample 40 us, per-epoch 3 ms, per-wake 3 ms: MicroPython on ESP32 at "
            "160 MHz, estimates (the VM figures in this file's bench are not a board)",
            "wake at most 5 s: the MPU-6886's 1 KiB FIFO holds 170 samples (6.8 s at 25 Hz), "
            "app.py reads 130 per drain; longer loses samples",
        )),
    "xiao_esp32s3": Board(
        "XIAO ESP32S3 + LSM6DS3TR-C", battery_mah=400, sleep_ma=0.24, active_ma=35.0,
        radio_idle_ma=25.0, adv_ma=0.39, connected_ma=15.0, imu_ma=0.05, board_ma=0.1,
        flash_ma=20.0, wake_overhead_ms=3.0, us_per_sample=35.0, epoch_ms=3.0, max_wake_ms=4000,
        sources=(
            "battery 400 mAh: an example LiPo (the XIAO has none built in)",
            "sleep 0.24 mA: ESP32-S3 Series Datasheet, Light-sleep 240 uA",
            "active 35 mA, radio window 25 mA: ESP32-S3 datasheet Modem-sleep at 160 MHz "
            "(range, estimate within it)",
            "IMU 0.05 mA: LSM6DS3TR-C accelerometer at 26 Hz (ST datasheet current table, "
            "low-power/normal mode; approximate)",
            "board 0.1 mA, per-sample/epoch/wake times: assumptions as for the M5StickC Plus2",
            "wake at most 4 s: at 26 Hz app.py's 130 samples per drain last exactly 5 s, so "
            "5 s would let the FIFO backlog grow",
        )),
    "pico_w": Board(
        "Pico W + LSM6DSOX", battery_mah=500, sleep_ma=1.0, active_ma=25.0,
        radio_idle_ma=20.0, adv_ma=0.0, connected_ma=10.0, imu_ma=0.05, board_ma=0.0,
        flash_ma=20.0, wake_overhead_ms=3.0, us_per_sample=50.0, epoch_ms=4.0, max_wake_ms=4000,
        sources=(
            "battery 500 mAh: an example LiPo on VSYS",
            "sleep about 1 mA: RP2040 lightsleep with the CYW43439 powered off, board "
            "regulator included (Raspberry Pi forum/MicroPython figures; not a datasheet line)",
            "active 25 mA: RP2040 at 125 MHz running code (RP2040 datasheet, typical)",
            "radio window 20 mA: the CYW43439 draws 12-33 mA whenever powered (middle of "
            "the range; includes advertising)",
            "IMU 0.05 mA: LSM6DSOX accelerometer at 26 Hz (ST datasheet; approximate)",
            "wake at most 4 s (26 Hz, as the XIAO)",
        )),
}


class _Counter:
    """The link main.py plugs in, reduced to counting: one service() call per wake, and
    every candidate RadioWindow integrated over the same run (radio state holds until the
    next wake, as on the device)."""

    def __init__(self, app: Any, windows: dict[tuple[float, float, float], Any]) -> None:
        self.app = app
        self.windows = windows
        self.on = dict.fromkeys(windows, False)
        self.radio_ms = dict.fromkeys(windows, 0.0)
        self.wakes = 0
        self._last: int | None = None

    def service(self, now_ms: int) -> None:
        up = self.app.dclock.uptime_ms
        if self._last is not None:
            for k, on in self.on.items():
                if on:
                    self.radio_ms[k] += up - self._last
        self._last = up
        self.wakes += 1
        for k, w in self.windows.items():
            self.on[k] = w.wanted(up, False, self.app.button_events)
        return None


def measure(wake_ms: int, radio: list[tuple[float, float, float]], hours: float,
            seed: int = 1) -> Duty:
    """Run the firmware for `hours` of a virtual wearer at wake_ms; radio: (period_h,
    window_min, after_press_min) schedules to integrate."""
    from wearlog.testing.samples import Wearer
    from wearlog.virtual.hostport import build_device, install_paths

    install_paths()
    from wlfw.radio_window import RadioWindow

    wearer = Wearer(days=hours / 24, seed=seed, fragmented_sleep=True)
    with tempfile.TemporaryDirectory() as d:
        app, board, clock = build_device(wearer, d + "/log", wake_ms=wake_ms)
        windows = {k: RadioWindow(period_ms=int(k[0] * H_MS), window_ms=int(k[1] * MIN_MS),
                                  after_press_ms=int(k[2] * MIN_MS)) for k in radio}
        counter = _Counter(app, windows)
        app.link = counter
        app.set_time(wearer.start_utc)
        app.run_for(int(hours * H_MS))
        app.log.flush()
        counter.service(0)  # close the last interval
        seconds = app.dclock.uptime_ms / 1000
        return Duty(seconds=seconds, wakes=counter.wakes - 1,
                    samples=app.epochs * app.rate * app.epoch_len, epochs=app.epochs,
                    chunk_writes=app.log.chunks_written, flash_bytes=app.log.bytes_written,
                    presses=app.button_events, radio_ms=dict(counter.radio_ms))


def estimate(board: Board, duty: Duty, s: Settings, erase_block: int = 4096) -> dict[str, Any]:
    """Average current per part (mA) and days per charge."""
    day_ms = 86_400_000.0
    key = (s.period_h, s.window_min, s.after_press_min)
    radio_frac = duty.radio_ms[key] / (duty.seconds * 1000)
    windows_per_day = 24 / s.period_h
    wakes = duty.per_day(duty.wakes)
    samples = duty.per_day(duty.samples)
    epochs = duty.per_day(duty.epochs)
    i2c_bytes = samples * 6 + wakes * I2C_OVERHEAD_BYTES
    awake_ms = (wakes * board.wake_overhead_ms + samples * board.us_per_sample / 1000
                + i2c_bytes * I2C_US_PER_BYTE / 1000 + epochs * board.epoch_ms)
    chunks = duty.per_day(duty.chunk_writes)
    flash_bytes = duty.per_day(duty.flash_bytes)
    # littlefs: each chunk write is a commit (about 2 page programs, 0.6 ms each); every
    # block filled costs about two erases (data block + metadata compaction), 50 ms each
    flash_ms = chunks * 2 * 0.6 + flash_bytes / erase_block * 2 * 50
    sync_ms = windows_per_day * SYNC_CONNECTED_S * 1000
    parts = {
        "sleep floor": board.sleep_ma * (1 - radio_frac),
        "wakes (FIFO read, features, log)": (board.active_ma - board.sleep_ma) * awake_ms / day_ms,
        "IMU": board.imu_ma,
        "flash writes": (board.flash_ma + board.active_ma) * flash_ms / day_ms,
        "radio windows": (board.radio_idle_ma + board.adv_ma) * radio_frac,
        "syncs (connected)": board.connected_ma * sync_ms / day_ms,
        "board": board.board_ma,
    }
    total = sum(parts.values())
    return {
        "board": board.name, "settings": s.label(), "parts_ma": parts, "total_ma": total,
        "days": board.battery_mah * USABLE / total / 24,
        "duty": {"wakes_per_day": wakes, "samples_per_day": samples,
                 "i2c_bytes_per_day": i2c_bytes, "awake_ms_per_day": awake_ms,
                 "chunk_writes_per_day": chunks, "flash_bytes_per_day": flash_bytes,
                 "radio_pct": 100 * radio_frac, "presses_per_day": duty.per_day(duty.presses)},
    }


WAKES = (1000, 4000, 5000)
RADIOS = ((3.0, 3.0, 3.0), (6.0, 3.0, 3.0), (12.0, 3.0, 3.0), (24.0, 3.0, 3.0),
          (6.0, 1.0, 3.0), (24.0, 1.0, 3.0))


def sweep(hours: float, wakes: tuple[int, ...] = WAKES,
          radios: tuple[tuple[float, float, float], ...] = RADIOS) -> list[dict[str, Any]]:
    """Every board under every combination of settings (one firmware run per wake_ms)."""
    out = []
    for w in wakes:
        duty = measure(w, list(radios), hours)
        for r in radios:
            s = Settings(w, *r)
            for key, b in BOARDS.items():
                if w > b.max_wake_ms:
                    continue  # would lose samples on this board: not a setting to offer
                out.append({"key": key, "wake_ms": w, "radio": r,
                            **estimate(b, duty, s)})
    return out


def _floor_days(b: Board) -> float:
    return b.battery_mah * USABLE / (b.sleep_ma + b.imu_ma + b.board_ma) / 24


def assumptions() -> list[str]:
    lines = [f"usable capacity {USABLE:.0%} of rated; {SYNC_CONNECTED_S:g} s connected per "
             "scheduled window (one sync each); I2C at 400 kHz; littlefs: 2 page programs "
             "per chunk write, 2 erases per 4 KiB block filled"]
    for b in BOARDS.values():
        lines += [f"{b.name}: {src}" for src in b.sources]
    return lines


def run(quick: bool = False) -> dict[str, Any]:
    """Figures for `python -m bench`: each board at the shipped settings and its best."""
    hours = 2.0 if quick else 24.0
    res = sweep(hours, wakes=(1000, 5000) if quick else WAKES)
    rows = []
    for key, b in BOARDS.items():
        mine = [r for r in res if r["key"] == key]
        shipped = _shipped(key)
        base = next(r for r in mine if (r["wake_ms"], r["radio"]) == shipped)
        best = max(mine, key=lambda r: r["days"])
        rows += [
            figure(f"{b.name}: days per charge, shipped settings", base["days"], "days",
                   7, "goal (days)", note=f"{base['settings']}; {base['total_ma']:.2f} mA"),
            figure(f"{b.name}: days per charge, best swept settings", best["days"], "days",
                   base["days"], "shipped settings",
                   note=f"{best['settings']}; {best['total_ma']:.2f} mA"),
            figure(f"{b.name}: days with only the floor (sleep + IMU + board)",
                   _floor_days(b), "days", 7, "goal (days)"),
        ]
    rows += what_if_rows(res)
    rows.append(figure("energy model assumptions", None, "", note="; ".join(assumptions())))
    return {"figures": rows, "raw": {"hours": hours, "sweep": res}}


# Changes that are not settings of this firmware, to show what 7 days would take.
WHAT_IF: dict[str, dict[str, Any]] = {
    "MPU-6886 low-power accelerometer mode (not implemented; 0.07 mA as the MPU-6050's "
    "20 Hz figure)": {"imu_ma": 0.07},
    "and no radio current at all (an upper bound: a sync needs some)": {
        "imu_ma": 0.07, "radio_idle_ma": 0.0, "adv_ma": 0.0},
}


def what_if_rows(res: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Days on the M5StickC Plus2 at its best swept settings with each WHAT_IF change."""
    m5 = BOARDS["m5stickc_plus2"]
    best = max((r for r in res if r["key"] == "m5stickc_plus2"), key=lambda r: r["days"])
    rows = []
    for what, change in WHAT_IF.items():
        parts = dict(best["parts_ma"])
        parts.update(_rescaled(parts, m5, Board(**{**m5.__dict__, **change})))
        total = sum(parts.values())
        rows.append(figure(f"M5StickC Plus2 what-if: {what}",
                           m5.battery_mah * USABLE / total / 24, "days", 7, "goal (days)",
                           note=f"on top of {best['settings']}; {total:.2f} mA"))
    return rows


def _rescaled(parts: dict[str, float], old: Board, new: Board) -> dict[str, float]:
    """The parts a what-if changes, scaled from the measured ones."""
    out = {"IMU": new.imu_ma}
    was = old.radio_idle_ma + old.adv_ma
    out["radio windows"] = parts["radio windows"] * (new.radio_idle_ma + new.adv_ma) / was
    return out


def _shipped(key: str) -> tuple[int, tuple[float, float, float]]:
    """The settings main.py runs with on this board (its profile's WAKE_MS, RadioWindow's
    defaults)."""
    import ast

    from wearlog.virtual.hostport import FIRMWARE_DIR

    tree = ast.parse((FIRMWARE_DIR / "boards" / f"{key}.py").read_text(encoding="utf-8"))
    wake = 1000  # main.py's default when a profile sets no WAKE_MS
    for node in tree.body:
        if (isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)
                and node.targets[0].id == "WAKE_MS"):
            wake = ast.literal_eval(node.value)
    return wake, (3.0, 3.0, 3.0)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.energy", description=__doc__.splitlines()[0])
    p.add_argument("--hours", type=float, default=24.0, help="simulated hours per run")
    a = p.parse_args(argv)
    res = sweep(a.hours, WAKES, RADIOS)
    print("Assumptions:")
    for line in assumptions():
        print("  - " + line)
    for key, b in BOARDS.items():
        print(f"\n{b.name} (floor alone: {_floor_days(b):.1f} days)")
        for r in sorted((r for r in res if r["key"] == key), key=lambda r: -r["days"]):
            parts = ", ".join(f"{k} {v:.3f}" for k, v in r["parts_ma"].items())
            print(f"  {r['days']:5.1f} days  {r['total_ma']:.3f} mA  {r['settings']}\n"
                  f"        mA: {parts}\n"
                  f"        duty: {r['duty']['wakes_per_day']:.0f} wakes/day, "
                  f"{r['duty']['awake_ms_per_day'] / 1000:.0f} s awake/day, "
                  f"{r['duty']['chunk_writes_per_day']:.0f} chunk writes/day, "
                  f"radio {r['duty']['radio_pct']:.2f} %")
    print("\nWhat it would take on the M5StickC Plus2 (changes, not settings):")
    for row in what_if_rows(res):
        print(f"  {row['value']:5.1f} days  {row['name']} ({row['note']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
