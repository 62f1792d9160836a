# Raspberry Pi Pico W / Pico 2 W + an LSM6DSOX (0x6A) or MPU6050 (0x68) on I2C0.
# Wiring: SDA GP4, SCL GP5, button GP15 to GND (internal pull-up); LED is the
# on-board "LED" (through the wireless chip). Battery: VSYS/3 on ADC3 (GP29),
# readable only with GP25 high (shared with the wireless chip: radio idle).
import machine
from drivers.lsm6ds import LSM6DS
from drivers.mpu6xxx import MPU6xxx

from boards.common import Board

PORT = "rp2"
BONDING = False  # BTstack port: ble.config(bond=...) raises; HMAC auth only
NAME = "Raspberry Pi Pico W"
IMU_ADDR = 0x6A  # 0x68 for an MPU6050


class PicoBoard(Board):
    def battery_mv(self):
        machine.Pin(25, machine.Pin.OUT, value=1)
        machine.Pin(29, machine.Pin.IN)
        return machine.ADC(3).read_u16() * 3 * 3300 // 65535


def _imu(bus):
    if IMU_ADDR == 0x68:
        return MPU6xxx(bus, 0x68)
    return LSM6DS(bus, IMU_ADDR)


def make():
    i2c = machine.I2C(0, scl=machine.Pin(5), sda=machine.Pin(4), freq=400000)
    button = machine.Pin(15, machine.Pin.IN, machine.Pin.PULL_UP)
    board = PicoBoard(i2c, _imu, button, button_active_low=True,
                      led=machine.Pin("LED", machine.Pin.OUT), led_active_low=False)
    if IMU_ADDR != 0x68:
        board.RATE_HZ = 26
    return board
