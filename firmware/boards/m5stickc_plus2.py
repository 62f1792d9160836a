# M5StickC Plus2 (ESP32-PICO-V3-02): the reference wearable.
# Built-in MPU6886 on the internal I2C (SDA 21, SCL 22), BM8563 RTC on the same
# bus, button A on GPIO37 (low when pressed), red LED GPIO19, buzzer GPIO2,
# battery on GPIO38 through a 1:2 divider, GPIO4 holds the power on.
import machine
from drivers.bm8563 import BM8563
from drivers.mpu6xxx import MPU6xxx

from boards.common import Board

PORT = "esp32"
BONDING = True  # NimBLE: LE Secure Connections bonding, encrypted characteristics
NAME = "M5StickC Plus2"
# Drain the MPU6886 every 5 s: its 1 KiB FIFO holds 170 accelerometer samples (6.8 s at
# 25 Hz) and app.py reads up to 130 per drain (125 arrive in 5 s), so no sample is lost;
# the button still wakes the board at once (ext0 below). bench/energy.py: about 0.1 mA
# less than waking every second.
WAKE_MS = 5000


def make():
    machine.Pin(4, machine.Pin.OUT, value=1)  # HOLD: without it the board powers off
    i2c = machine.I2C(0, scl=machine.Pin(22), sda=machine.Pin(21), freq=400000)
    button = machine.Pin(37, machine.Pin.IN)
    adc = machine.ADC(machine.Pin(38), atten=machine.ADC.ATTN_11DB)
    buzzer = machine.PWM(machine.Pin(2), freq=4000, duty_u16=0)
    try:
        import esp32

        esp32.wake_on_ext0(button, esp32.WAKEUP_ALL_LOW)  # the button ends a lightsleep
    except (ImportError, ValueError):
        pass
    return Board(i2c, lambda bus: MPU6xxx(bus, 0x68), button, button_active_low=True,
                 led=machine.Pin(19, machine.Pin.OUT), led_active_low=False, buzzer=buzzer,
                 battery_adc=adc, battery_ratio=2, rtc=BM8563(i2c))
