# What every board profile shares, with no pin named here: the button IRQ
# ring, LED/buzzer feedback, battery through an ADC divider, sleeping.
# A profile subclasses Board and sets pins, IMU and wiring in make().
import time

import machine
from micropython import const

_RING = const(16)
_MASK = const(15)


class Board:
    """The parts the firmware's App asks for (see wlfw/app.py)."""

    PORT = None
    RATE_HZ = 25

    def __init__(self, i2c, imu_factory, button, button_active_low=True, led=None,
                 led_active_low=False, buzzer=None, battery_adc=None, battery_ratio=2,
                 rtc=None):
        self.i2c = i2c
        self._imu_factory = imu_factory
        self.button = button
        self._active_low = button_active_low
        self.led = led
        self._led_low = led_active_low
        self.buzzer = buzzer
        self.adc = battery_adc
        self.battery_ratio = battery_ratio
        self.rtc = rtc
        self.radio_on = False  # set by the BLE link: no lightsleep while advertising
        # button edges from the IRQ: preallocated, no allocation in the handler
        self._ticks = [0] * _RING
        self._levels = bytearray(_RING)
        self._head = 0
        self._tail = 0
        button.irq(handler=self._irq, trigger=machine.Pin.IRQ_FALLING | machine.Pin.IRQ_RISING)
        self._led(False)

    def _pressed(self):
        v = self.button.value()
        return (not v) if self._active_low else bool(v)

    def _irq(self, pin):
        i = self._head
        self._ticks[i] = time.ticks_ms()  # type: ignore[call-overload]
        self._levels[i] = 1 if self._pressed() else 0
        self._head = (i + 1) & _MASK
        if self._head == self._tail:  # full: drop the oldest edge
            self._tail = (self._tail + 1) & _MASK

    def read_button(self, button, now_ms):
        while self._tail != self._head:
            i = self._tail
            button.update(self._levels[i], self._ticks[i])
            self._tail = (i + 1) & _MASK
        button.update(self._pressed(), now_ms)

    def open_imu(self):
        return self._imu_factory(self.i2c)

    def device_id(self):
        u = machine.unique_id()
        return (u[-2] << 8) | u[-1]

    def reset_cause(self):
        return machine.reset_cause()

    def battery_mv(self):
        if self.adc is None:
            return 0
        return self.adc.read_uv() * self.battery_ratio // 1000

    def _led(self, on):
        if self.led is not None:
            self.led.value(0 if on == self._led_low else 1)

    def feedback(self, pattern):
        # n > 0: n short blinks (severity); -1: long (in bed); -2: two long (got up)
        n = pattern if pattern > 0 else -pattern
        on = 80 if pattern > 0 else 400
        for _ in range(n):
            self._led(True)
            if self.buzzer is not None:
                self.buzzer.duty_u16(32768)
            time.sleep_ms(on)
            self._led(False)
            if self.buzzer is not None:
                self.buzzer.duty_u16(0)
            time.sleep_ms(120)

    def sleep_ms(self, ms):
        if ms <= 0:
            return
        if self.radio_on:
            time.sleep_ms(ms)  # lightsleep would stop the radio on ESP32
        else:
            machine.lightsleep(ms)
