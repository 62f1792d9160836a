"""The real IMU and RTC drivers against register-level chip models, and a board
profile built on the host port's `machine`."""

from __future__ import annotations

from array import array
from datetime import UTC, datetime

import pytest

from tests.firmware.fake_chips import Bus, FakeLSM, FakeMPU, FakeRTC
from wearlog.virtual.hostport import install_paths

install_paths()

from drivers.bm8563 import BM8563  # noqa: E402
from drivers.lsm6ds import LSM6DS  # noqa: E402
from drivers.mpu6xxx import MPU6xxx  # noqa: E402

from wlfw.civil import civil_from_days, days_from_civil  # noqa: E402
from wlfw.errors import SensorError  # noqa: E402


@pytest.mark.parametrize("who", [0x68, 0x19])
def test_mpu_configures_25hz_8g_fifo_and_reads_mg(who: int) -> None:
    chip = FakeMPU(who)
    imu = MPU6xxx(Bus(x68=chip), 0x68)
    imu.start(25, 8)
    regs = dict(chip.writes)
    assert regs[0x19] == 39  # 1 kHz / (1 + 39) = 25 Hz
    assert regs[0x1C] == 0x10  # +-8 g
    assert regs[0x23] == 0x08  # accelerometer into the FIFO
    assert chip.regs[0x6A] == 0x40  # FIFO on
    for k in range(40):
        chip.push(4096, -2048, 4096 * (k % 2))
    buf = array("h", bytes(6 * 30))
    assert imu.read_fifo_into(buf) == 30  # capped by the buffer, the rest waits
    assert list(buf[:6]) == [1000, -500, 0, 1000, -500, 1000]
    assert imu.read_fifo_into(buf) == 10
    assert imu.read_fifo_into(buf) == 0


def test_mpu_overflow_is_reported_and_fifo_reset() -> None:
    chip = FakeMPU(0x68)
    imu = MPU6xxx(Bus(x68=chip))
    imu.start()
    for _ in range(200):  # more than 1 KiB
        chip.push(0, 0, 4096)
    buf = array("h", bytes(6 * 200))
    assert imu.read_fifo_into(buf) == 0 and imu.overrun
    assert len(chip.fifo) == 0
    chip.push(0, 0, 4096)
    assert imu.read_fifo_into(buf) == 1 and buf[2] == 1000


def test_mpu_temperature_half_degrees() -> None:
    chip = FakeMPU(0x68)
    imu = MPU6xxx(Bus(x68=chip))
    chip.temp_raw = -1200  # MPU6050: -1200/340 + 36.53 = 33.0 C
    assert imu.temp_hc() == 66


def test_missing_or_wrong_chip_raises_sensor_error() -> None:
    with pytest.raises(SensorError, match="no IMU answered at I2C address 0x68"):
        MPU6xxx(Bus(), 0x68)
    with pytest.raises(SensorError, match="WHO_AM_I 0x00"):
        MPU6xxx(Bus(x68=FakeLSM(0)), 0x68)
    with pytest.raises(SensorError, match="range"):
        MPU6xxx(Bus(x68=FakeMPU())).start(25, 3)


def test_lsm6dsox_tagged_fifo() -> None:
    chip = FakeLSM(0x6C)
    imu = LSM6DS(Bus(x6a=chip), 0x6A)
    imu.start(26, 8)
    assert chip.regs[0x10] == 0x2C  # 26 Hz, +-8 g
    assert chip.regs[0x09] == 0x02 and chip.regs[0x0A] == 0x06
    chip.push(4098, 0, -4098)  # 0.244 mg/LSB
    chip.push(1, 2, 3, tag=0x01)  # a gyro word: skipped
    chip.push(0, 4098, 0)
    buf = array("h", bytes(6 * 10))
    assert imu.read_fifo_into(buf) == 2
    assert list(buf[:6]) == [999, 0, -1000, 0, 999, 0]


def test_lsm6ds3_word_fifo_realigns_to_x() -> None:
    chip = FakeLSM(0x6A)
    imu = LSM6DS(Bus(x6a=chip), 0x6A)
    imu.start(26, 2)
    chip.words = [b"\x00\x00"]  # a stray z word left from before
    chip.pattern = 2
    chip.push(16393, 0, 0)  # 0.061 mg/LSB -> 999 mg
    buf = array("h", bytes(6 * 4))
    assert imu.read_fifo_into(buf) == 1
    assert list(buf[:3]) == [999, 0, 0]


def test_bm8563_round_trip_and_power_loss() -> None:
    chip = FakeRTC()
    rtc = BM8563(Bus(x51=chip))
    assert rtc.read_utc() == 0  # VL set: never set / lost power
    t = int(datetime(2026, 3, 1, 12, 34, 56, tzinfo=UTC).timestamp())
    rtc.write_utc(t)
    assert rtc.read_utc() == t
    for days in (0, 10957, 20513, 36524):
        assert days_from_civil(*civil_from_days(days)) == days


def test_m5stickc_profile_builds_on_the_host_machine() -> None:
    import machine

    machine.detach_all()
    machine.attach_i2c_device(0x68, FakeMPU(0x19))
    machine.attach_i2c_device(0x51, FakeRTC())
    machine.set_adc_uv(38, 1_950_000)
    from boards import m5stickc_plus2

    board = m5stickc_plus2.make()
    assert board.battery_mv() == 3900
    imu = board.open_imu()
    assert imu.name == "MPU6886"
    assert machine.Pin(4).value() == 1  # power held on
    machine.set_pin(37, 0)  # button A pressed (active low)
    assert board._pressed()
    machine.detach_all()
