# Seeed XIAO ESP32S3 + an LSM6DS3TR-C (0x6A) or MPU6050 (0x68) breakout on I2C.
# Wiring: SDA D4 (GPIO5), SCL D5 (GPIO6), button D1 (GPIO2) to GND (internal
# pull-up), battery + through 100k/100k divider to D0 (GPIO1); user LED GPIO21
# (low = on). No buzzer, no RTC.
import machine
from drivers.lsm6ds import LSM6DS
from drivers.mpu6xxx import MPU6xxx

from boards.common import Board

PORT = "esp32"
BONDING = True  # NimBLE: LE Secure Connections bonding, encrypted characteristics
NAME = "Seeed XIAO ESP32S3"
IMU_ADDR = 0x6A  # 0x68 for an MPU6050


def _imu(bus):
    if IMU_ADDR == 0x68:
        return MPU6xxx(bus, 0x68)
    return LSM6DS(bus, IMU_ADDR)


def make():
    i2c = machine.I2C(0, scl=machine.Pin(6), sda=machine.Pin(5), freq=400000)
    button = machine.Pin(2, machine.Pin.IN, machine.Pin.PULL_UP)
    adc = machine.ADC(machine.Pin(1), atten=machine.ADC.ATTN_11DB)
    try:
        import esp32

        esp32.wake_on_ext0(button, esp32.WAKEUP_ALL_LOW)
    except (ImportError, ValueError):
        pass
    board = Board(i2c, _imu, button, button_active_low=True,
                  led=machine.Pin(21, machine.Pin.OUT), led_active_low=True,
                  battery_adc=adc, battery_ratio=2)
    if IMU_ADDR != 0x68:
        board.RATE_HZ = 26
    return board
