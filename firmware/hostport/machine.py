"""Stand-in for MicroPython's `machine` on CPython: enough for board profiles and drivers.

I2C talks to register-map devices attached with `attach_i2c_device(addr, dev)`
(a dev has readfrom_mem(reg, n) -> bytes and writeto_mem(reg, data)); pins
and ADC channels hold values a test sets. Nothing here touches hardware.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import mptime

_I2C_DEVICES: dict[int, Any] = {}
_PIN_LEVELS: dict[Any, int] = {}
_ADC_UV: dict[Any, int] = {}
PWRON_RESET = 1
HARD_RESET = 2
WDT_RESET = 3
DEEPSLEEP_RESET = 4
SOFT_RESET = 5
_reset_cause = PWRON_RESET


def attach_i2c_device(addr: int, dev: Any) -> None:
    _I2C_DEVICES[addr] = dev


def detach_all() -> None:
    _I2C_DEVICES.clear()
    _PIN_LEVELS.clear()
    _ADC_UV.clear()


def set_pin(pin_id: Any, level: int) -> None:
    _PIN_LEVELS[pin_id] = level


def set_adc_uv(pin_id: Any, uv: int) -> None:
    _ADC_UV[pin_id] = uv


class Pin:
    IN = 0
    OUT = 1
    OPEN_DRAIN = 2
    PULL_UP = 1
    PULL_DOWN = 2
    IRQ_FALLING = 4
    IRQ_RISING = 8

    def __init__(self, pin_id: Any, mode: int = -1, pull: int = -1,
                 value: int | None = None) -> None:
        self.id = pin_id
        self.mode = mode
        self.handler: Callable | None = None
        if value is not None:
            _PIN_LEVELS[pin_id] = value
        elif pin_id not in _PIN_LEVELS:
            _PIN_LEVELS[pin_id] = 1 if pull == Pin.PULL_UP else 0

    def value(self, v: int | None = None) -> int | None:
        if v is None:
            return _PIN_LEVELS.get(self.id, 0)
        _PIN_LEVELS[self.id] = 1 if v else 0
        return None

    def on(self) -> None:
        self.value(1)

    def off(self) -> None:
        self.value(0)

    def irq(self, handler: Callable | None = None, trigger: int = 0, wake: Any = None) -> None:
        self.handler = handler


class I2C:
    def __init__(self, bus: int = 0, scl: Any = None, sda: Any = None, freq: int = 400000) -> None:
        self.bus = bus

    def _dev(self, addr: int) -> Any:
        dev = _I2C_DEVICES.get(addr)
        if dev is None:
            raise OSError(19, "ENODEV")  # what MicroPython raises for a missing device
        return dev

    def scan(self) -> list[int]:
        return sorted(_I2C_DEVICES)

    def readfrom_mem(self, addr: int, reg: int, n: int) -> bytes:
        return bytes(self._dev(addr).readfrom_mem(reg, n))

    def readfrom_mem_into(self, addr: int, reg: int, buf: Any) -> None:
        data = self._dev(addr).readfrom_mem(reg, len(buf))
        buf[: len(data)] = data

    def writeto_mem(self, addr: int, reg: int, data: Any) -> None:
        self._dev(addr).writeto_mem(reg, bytes(data))


SoftI2C = I2C


class ADC:
    ATTN_11DB = 3

    def __init__(self, pin: Any, atten: int | None = None) -> None:
        self.id = pin.id if isinstance(pin, Pin) else pin

    def read_uv(self) -> int:
        return _ADC_UV.get(self.id, 0)

    def read_u16(self) -> int:
        return min(65535, _ADC_UV.get(self.id, 0) * 65535 // 3_300_000)


class RTC:
    _utc = 0

    def datetime(self, dt: Any = None) -> Any:
        return (2000, 1, 1, 0, 0, 0, 0, 0)


def lightsleep(ms: int = 0) -> None:
    mptime.sleep_ms(ms)


def deepsleep(ms: int = 0) -> None:
    mptime.sleep_ms(ms)


def unique_id() -> bytes:
    return b"\x57\x4c\x00\x00\x12\x34"


def reset_cause() -> int:
    return _reset_cause


def freq(hz: int | None = None) -> int:
    return 80_000_000


class PWM:
    def __init__(self, pin: Any, freq: int = 1000, duty_u16: int = 0) -> None:
        self.pin = pin
        self.freq_hz = freq
        self.duty = duty_u16

    def duty_u16(self, v: int | None = None) -> int | None:
        if v is None:
            return self.duty
        self.duty = v
        return None
