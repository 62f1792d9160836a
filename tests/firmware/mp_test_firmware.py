# Runs inside the MicroPython VM: the firmware's pure logic on the real interpreter.
import os
import sys
from array import array

from wlproto.const import (
    EV_BATTERY,
    EV_BED,
    EV_BOOT,
    EV_CLOCK_SET,
    EV_LOG_FULL,
    EV_SYMPTOM,
    FLAG_BUTTON,
    FLAG_CLOCK_UNSET,
    FLAG_NONWEAR,
    FLAG_SENSOR_FAULT,
    RECORD_SIZE,
)
from wlproto.records import Epoch, Event, unpack_record

T0 = 1760000000
_n = 0


def fresh_dir():
    global _n
    _n += 1
    d = "/d%d" % _n
    os.mkdir(d)
    return d


# integer sine, 32 steps a cycle, amplitude 1000
SINE = [0, 195, 383, 556, 707, 831, 924, 981, 1000, 981, 924, 831, 707, 556, 383, 195,
        0, -195, -383, -556, -707, -831, -924, -981, -1000, -981, -924, -831, -707, -556,
        -383, -195]


def fill(buf, n, i0, walking):
    """Synthetic samples: face up and still (1 mg dither), or a 1.56 Hz step bounce."""
    for j in range(n):
        i = i0 + j
        if walking:
            b = SINE[(i * 2) % 32] * 3 // 10  # 300 mg at 25/16 Hz
            buf[3 * j] = 100
            buf[3 * j + 1] = -50
            buf[3 * j + 2] = 1000 + b
        else:
            buf[3 * j] = i & 1
            buf[3 * j + 1] = (i >> 1) & 1
            buf[3 * j + 2] = 1000 + ((i >> 2) & 1)


def test_is_micropython():
    assert sys.implementation.name == "micropython"


def test_features_walking_and_still():
    from wlfw.features import Features

    fe = Features(25)
    buf = array("h", bytes(6 * 750))
    fill(buf, 750, 0, True)
    fe.feed(buf, 750)
    e = fe.end_epoch(750)
    enmo, mad, z, steps = e.enmo_dmg, e.mad_dmg, e.zangle_deg, e.steps
    # 30 s at 25/16 steps/s = 46.9 steps
    assert 42 <= steps <= 50, steps
    assert enmo > 500 and mad > 1000
    assert 80 <= z <= 90
    for k in range(25):
        fill(buf, 750, 750 * (k + 1), False)
        fe.feed(buf, 750)
        e = fe.end_epoch(750)
    assert e.steps == 0 and e.enmo_dmg < 10
    assert e.flags & FLAG_NONWEAR


def test_epochs_from_samples_generator():
    from wlfw.rawfeatures import epochs_from_samples

    buf = array("h", bytes(6 * 1500))
    fill(buf, 1500, 0, True)
    out = list(epochs_from_samples(buf, 25, 30, start=T0))
    assert len(out) == 2 and out[0].time == T0 and out[1].time == T0 + 30
    # raw counts: 4096 per g (MPU6050 at +-8 g) gives the same features
    raw = array("h", bytes(6 * 1500))
    for i in range(len(buf)):
        raw[i] = buf[i] * 4096 // 1000
    out2 = list(epochs_from_samples(raw, 25, 30, counts_per_g=4096, start=T0))
    assert abs(out2[0].enmo_dmg - out[0].enmo_dmg) <= 20  # enmo within 2 mg after rounding


def test_stuck_needs_more_than_equal_magnitudes():
    from wlfw.features import Features
    from wlfw.rawfeatures import resolution_mg

    # still 8-bit reading at 1 g: live; same on a 1-mg sensor, or 0 g anywhere: stuck
    for lsb, xyz, want in ((31, (0, 31, 992), False), (1, (0, 31, 992), True),
                           (31, (0, 0, 0), True)):
        fe = Features(25, lsb_mg=lsb)
        buf = array("h", list(xyz) * 750)
        faults = 0
        for _ in range(4):
            fe.feed(buf, 750)
            if fe.end_epoch(750).flags & FLAG_SENSOR_FAULT:
                faults += 1
        assert (faults > 0) == want, (lsb, xyz, faults)
    assert resolution_mg(array("h", [0, 31, 992, 0, 62, 992])) == 31


def test_button_patterns():
    from wlfw.button import LONG, SYMPTOM, Button

    b = Button()
    for t in (1000, 1400, 1800):
        b.update(True, t)
        b.update(False, t + 120)
    b.poll(3100)
    assert b.pop() == (SYMPTOM, 3, 1000)
    b.update(True, 10000)
    b.poll(12100)
    assert b.pop() == (LONG, 0, 10000)
    assert b.pop() is None


def read_all(log):
    out = []
    buf = bytearray(64 * RECORD_SIZE)
    seq = 0
    while True:
        first, n, base = log.read_into(seq, buf, 64)
        if n == 0:
            return out
        for k in range(n):
            out.append(unpack_record(buf, k * RECORD_SIZE, first + k, base))
        seq = first + n


def test_v1_log_upgrades_to_v2_in_place():
    from wlfw.recordlog import RecordLog, chunk_bytes

    d = fresh_dir()
    old = RecordLog(d, coded=False)  # v1 chunks, as v1 firmware wrote them
    want = []
    for i in range(70):
        t = T0 + 30 * i
        if i % 9 == 4:
            old.append_event(t, 0, EV_BATTERY, 80, 0, 3900)
            want.append(Event(i, t, EV_BATTERY, 80, 0, 3900))
        else:
            old.append_epoch(t, 0, i % 7, 20 + i % 3, -40, i % 2, 0, 60)
            want.append(Epoch(i, t, 0, i % 7, 20 + i % 3, -40, i % 2, 0, 60))
    old.flush()
    raw = old.bytes_written
    new = RecordLog(d, coded=True)
    assert new.next_seq == 70 and read_all(new) == want
    for i in range(70, 140):
        t = T0 + 30 * i
        new.append_epoch(t, 0, i % 7, 20 + i % 3, -40, i % 2, 0, 60)
        want.append(Epoch(i, t, 0, i % 7, 20 + i % 3, -40, i % 2, 0, 60))
    new.flush()
    assert new.bytes_written * 2 < raw  # the same kind of records, coded
    again = RecordLog(d)
    assert again.recovered_bytes == 0 and read_all(again) == want
    assert chunk_bytes(32) == 366


def test_recordlog_round_trip_and_recovery():
    from wlfw.recordlog import RecordLog

    d = fresh_dir()
    log = RecordLog(d)
    for i in range(100):
        log.append_epoch(T0 + 30 * i, 0, i, i, 0, 0, i, 40)
    log.append_event(T0 + 3000, 0, EV_SYMPTOM, 4)
    log.flush()
    log.ack(50)
    # a torn chunk at the end of the newest segment (what a power cut leaves)
    seg = sorted(n for n in os.listdir(d) if n.endswith(".wls"))[-1]
    f = open(d + "/" + seg, "ab")
    f.write(b"\xc5\x05\x65\x00\x00\x00garbage")
    f.close()
    log2 = RecordLog(d)
    assert log2.next_seq == 101 and log2.acked_seq == 50
    assert log2.recovered_bytes == 13
    recs = read_all(log2)
    assert len(recs) == 101
    assert recs[5] == Epoch(5, T0 + 150, 0, 5, 5, 0, 0, 5, 40)
    assert recs[100] == Event(100, T0 + 3000, EV_SYMPTOM, 4)


class SmallFs:
    """A filesystem of `cap` bytes over the VM's (whose statvfs is fixed)."""

    def __init__(self, d, cap):
        from wlfw.fsio import OsFs

        self.real = OsFs()
        self.d = d
        self.cap = cap

    def used(self):
        tot = 0
        for name in os.listdir(self.d):
            f = open(self.d + "/" + name, "rb")
            tot += f.seek(0, 2)
            f.close()
        return tot

    def statvfs(self, path):
        free = (self.cap - self.used()) // 512
        return (512, 512, self.cap // 512, free, free, 0, 0, 0, 0, 255)

    def open(self, path, mode):
        return self.real.open(path, mode)

    def listdir(self, path):
        return self.real.listdir(path)

    def remove(self, path):
        self.real.remove(path)

    def rename(self, a, b):
        self.real.rename(a, b)


def test_recordlog_full_filesystem_logs_event():
    from wlfw.recordlog import RecordLog

    d = fresh_dir()
    log = RecordLog(d, fs=SmallFs(d, 6000), segment_bytes=1024, reserve_bytes=1024, coded=True)
    for i in range(20000):  # until the filesystem has filled (v2 chunks are small)
        log.append_epoch(T0 + 30 * i, 0, (i * 7919) % 5000, i % 300, 0, 0, 0, 40)
        if log.dropped > 0 and i % 32 == 0:
            break
    log.flush()
    assert log.dropped > 0 and log.dropped == log.oldest_seq
    recs = read_all(log)
    kinds = [r.etype for r in recs if isinstance(r, Event)]
    assert EV_LOG_FULL in kinds
    assert [r.seq for r in recs] == list(range(log.oldest_seq, log.next_seq))


class TestClock:
    def __init__(self):
        self.now = 0

    def ticks_ms(self):
        return self.now & 0x3FFFFFFF

    def ticks_diff(self, a, b):
        return ((a - b + 0x20000000) & 0x3FFFFFFF) - 0x20000000

    def ticks_add(self, a, b):
        return (a + b) & 0x3FFFFFFF

    def sleep_ms(self, ms):
        self.now += ms


class FakeImu:
    def __init__(self, board):
        self.board = board
        self.cursor = 0
        self.overrun = False

    def start(self, rate_hz, range_g=8):
        self.cursor = self.board.clock.now * 25 // 1000

    def read_fifo_into(self, buf):
        avail = self.board.clock.now * 25 // 1000
        n = avail - self.cursor
        cap = len(buf) // 3
        if n > cap:
            n = cap
        fill(buf, n, self.cursor, self.board.walking)
        self.cursor += n
        return n

    def temp_hc(self):
        return 62


class FakeBoard:
    RATE_HZ = 25

    def __init__(self, clock):
        self.clock = clock
        self.walking = True
        self.level = False
        self.fb = []

    def device_id(self):
        return 0x1234

    def reset_cause(self):
        return 1

    def open_imu(self):
        return FakeImu(self)

    def read_button(self, button, now_ms):
        button.update(self.level, now_ms)

    def battery_mv(self):
        return 3950

    def feedback(self, n):
        self.fb.append(n)

    def sleep_ms(self, ms):
        self.clock.sleep_ms(ms)


def test_app_runs_on_micropython():
    from wlfw.app import App

    clock = TestClock()
    board = FakeBoard(clock)
    app = App(board, clock=clock, log_dir=fresh_dir())
    app.boot()
    app.run_for(60000)
    assert app.set_time(T0) == (60, True)
    app.run_for(60000)
    # three short presses, then a long press
    for _ in range(3):
        board.level = True
        app.tick()
        clock.sleep_ms(150)
        board.level = False
        app.tick()
        clock.sleep_ms(200)
    app.run_for(3000)
    board.level = True
    app.run_for(2500)
    board.level = False
    app.run_for(60000 - 5050)
    recs = read_all(app.log)
    kinds = [(r.etype, r.value) for r in recs if isinstance(r, Event)]
    assert kinds[0][0] == EV_BOOT and kinds[1][0] == EV_BATTERY
    assert (EV_CLOCK_SET, 1) in kinds and (EV_SYMPTOM, 3) in kinds and (EV_BED, 0) in kinds
    eps = [r for r in recs if isinstance(r, Epoch)]
    assert len(eps) == 6
    assert eps[0].flags & FLAG_CLOCK_UNSET and eps[0].time == 0
    assert eps[2].time == T0 and not eps[2].flags & FLAG_CLOCK_UNSET
    assert eps[4].flags & FLAG_BUTTON
    assert 40 <= eps[3].steps <= 50
    assert board.fb == [3, -1]


class MpuBus:
    # MPU6050 register model: WHO_AM_I 0x68, FIFO count 0x72, FIFO port 0x74
    def __init__(self):
        self.regs = bytearray(128)
        self.regs[0x75] = 0x68
        self.fifo = bytearray()

    def readfrom_mem_into(self, addr, reg, buf):
        n = len(buf)
        if reg == 0x74:
            buf[:n] = self.fifo[:n]
            self.fifo = self.fifo[n:]
        elif reg == 0x72:
            c = len(self.fifo)
            buf[0] = c >> 8
            buf[1] = c & 0xFF
        else:
            buf[:n] = self.regs[reg:reg + n]

    def writeto_mem(self, addr, reg, buf):
        self.regs[reg] = buf[0]


def test_mpu_driver_on_micropython():
    from drivers.mpu6xxx import MPU6xxx

    bus = MpuBus()
    imu = MPU6xxx(bus)
    imu.start(25, 8)
    assert bus.regs[0x19] == 39 and bus.regs[0x1C] == 0x10
    for v in (4096, -2048, 2048):
        bus.fifo.append((v >> 8) & 0xFF)
        bus.fifo.append(v & 0xFF)
    buf = array("h", bytes(6 * 4))
    assert imu.read_fifo_into(buf) == 1
    assert list(buf[:3]) == [1000, -500, 500]


def test_error_classes_share_one_root():
    from wlfw.errors import ConfigError, FirmwareError, LogFullError
    from wlfw.features import Features

    try:
        Features(rate_hz=1)
    except FirmwareError as e:
        assert isinstance(e, ConfigError)
        assert "sample rate 1 Hz" in str(e)
    else:
        raise AssertionError("no error")
    try:
        raise LogFullError("full")
    except FirmwareError:
        pass


class LsmBus:
    # LSM6DSOX register model: WHO_AM_I 0x6C, FIFO status 0x3A/0x3B, tagged words at 0x78
    def __init__(self):
        self.regs = bytearray(128)
        self.regs[0x0F] = 0x6C
        self.words = []

    def readfrom_mem_into(self, addr, reg, buf):
        if reg == 0x3A:
            buf[0] = len(self.words)
            buf[1] = 0
        elif reg == 0x78:
            w = self.words.pop(0)
            for i in range(len(buf)):
                buf[i] = w[i]
        else:
            for i in range(len(buf)):
                buf[i] = self.regs[reg + i]

    def writeto_mem(self, addr, reg, buf):
        self.regs[reg] = buf[0]


def test_lsm6dsox_driver_on_micropython():
    from drivers.lsm6ds import LSM6DS

    bus = LsmBus()
    imu = LSM6DS(bus, 0x6A)
    imu.start(26, 8)
    assert bus.regs[0x10] == 0x2C
    bus.words.append(bytes((0x10, 0x02, 0x10, 0, 0, 0xFE, 0xEF)))  # accel: 4098, 0, -4098
    bus.words.append(bytes((0x08, 1, 0, 2, 0, 3, 0)))  # gyro: skipped
    buf = array("h", bytes(6 * 4))
    assert imu.read_fifo_into(buf) == 1
    assert list(buf[:3]) == [999, 0, -1000]
