# The device application: board -> IMU FIFO -> features -> record log, plus
# the symptom button, the clock and the battery. No pins and no radio here:
# the board profile supplies the parts, the BLE engineer plugs `link` in.
#
# Main loop: tick() drains the IMU FIFO (about once a second), feeds the
# feature engine, closes 30-s epochs on device uptime, handles the button and
# battery, calls link.service(now_ms), and returns how long to sleep.
from array import array

try:
    from micropython import const
except ImportError:  # CPython

    def const(x):  # type: ignore[misc]
        return x


from wlfw import button as btn
from wlfw.clock import DeviceClock, SystemClock
from wlfw.errors import FirmwareError, LogFullError
from wlfw.features import Features
from wlfw.recordlog import RecordLog
from wlproto.const import (
    EV_BATTERY,
    EV_BED,
    EV_BOOT,
    EV_CLOCK_SET,
    EV_SENSOR_FAULT,
    EV_SYMPTOM,
    EV_UP,
    FAULT_MISSING,
    FAULT_OVERRUN,
    FAULT_STUCK,
    FLAG_BUTTON,
    FLAG_CLOCK_UNSET,
    FLAG_PARTIAL,
    FLAG_SENSOR_FAULT,
    TEMP_UNKNOWN,
)
from wlproto.fields import Epoch

_FIFO_MAX = const(130)  # samples per drain: 5 s at 26 Hz (the rest waits in the FIFO)
_PROBE_EVERY_MS = const(60000)  # retry a missing IMU
_BUSY_WAKE_MS = const(50)  # while a button pattern is in progress
_LOW_BATTERY_PCT = const(10)  # below this, flush every _LOW_BATTERY_BATCH records
_LOW_BATTERY_BATCH = const(8)  # 4 min of epochs
_CRITICAL_BATTERY_PCT = const(3)  # below this, flush every epoch

# LiPo open-circuit voltage (mV) -> percent, linear between points.
_BATT_MV = const((3300, 3500, 3600, 3700, 3750, 3800, 3900, 4000, 4100, 4200))
_BATT_PCT = const((0, 5, 10, 25, 40, 50, 65, 80, 90, 100))


def battery_percent(mv):
    if mv <= _BATT_MV[0]:
        return 0
    for i in range(1, len(_BATT_MV)):
        if mv <= _BATT_MV[i]:
            lo = _BATT_MV[i - 1]
            plo = _BATT_PCT[i - 1]
            return plo + (_BATT_PCT[i] - plo) * (mv - lo) // (_BATT_MV[i] - lo)
    return 100


class App:
    """The wearable: build with a board profile object, then boot() and run."""

    def __init__(self, board, clock=None, log_dir="/log", fs=None, epoch_len=30,
                 wake_ms=1000, battery_every_s=3600, log_options=None):
        self.board = board
        self.clock = clock if clock is not None else SystemClock()
        self.dclock = DeviceClock(self.clock, getattr(board, "rtc", None))
        self.log_dir = log_dir
        self.log = RecordLog(log_dir, fs, epoch_s=epoch_len, **(log_options or {}))
        self.fs = self.log.fs
        self.rate = board.RATE_HZ
        self.epoch_len = epoch_len
        self.wake_ms = wake_ms
        self.battery_every_s = battery_every_s
        self.device_id = board.device_id()
        self.features = Features(self.rate)
        self._rec = Epoch(0, 0)  # filled once per epoch: no allocation
        self.button = btn.Button()
        self.link = None  # BLE service object: link.service(now_ms) every iteration
        self.button_events = 0
        self.in_bed = False
        self.imu = None
        self.sensor_fault = False
        self.boot_count = 0
        self._buf = array("h", bytes(6 * _FIFO_MAX))
        self._per_epoch = self.rate * epoch_len
        self._ep_start = 0
        self._ep_end = epoch_len * 1000
        self._ep_presses = 0
        self._last_drain = 0
        self._last_probe = 0
        self._overrun = False
        self._ep_fault = False  # the sensor failed at some point in this epoch
        self._stuck_logged = False
        self._batt_pct = -1
        self._batt_next = 0
        self.epochs = 0
        self.log_full = False
        self.lost_records = 0  # records that found no room at all (see LogFullError)

    # --- state other parts read ------------------------------------------------
    @property
    def clock_set(self):
        return self.dclock.is_set

    def device_time(self):
        return self.dclock.now()

    def battery_pct(self):
        mv = self.board.battery_mv()
        return battery_percent(mv) if mv else 0

    def _flags(self):
        return 0 if self.dclock.is_set else FLAG_CLOCK_UNSET

    def set_time(self, utc):
        """Companion sets UTC: logs EV_CLOCK_SET; returns (previous_time, was_unset)."""
        prev, was_unset = self.dclock.set(utc)
        self.log.append_event(utc, 0, EV_CLOCK_SET, 1 if was_unset else 0, prev)
        self.log.flush()
        return prev, was_unset

    # --- boot ------------------------------------------------------------------
    def boot(self):
        self.boot_count = self._bump_boot_count()
        up = self.dclock.tick()
        self.log.append_event(self.dclock.time_at(up), self._flags(), EV_BOOT,
                              self.board.reset_cause() & 0xFF, self.boot_count)
        self._open_imu(up)
        self._ep_start = up
        self._ep_end = up + self.epoch_len * 1000
        self._last_drain = up
        self._battery(up, True)
        self.log.flush()

    def _bump_boot_count(self):
        path = self.log_dir + "/boots"
        n = 0
        try:
            f = self.fs.open(path, "rb")
            try:
                b = f.read(4)
            finally:
                f.close()
            if len(b) == 4:
                n = b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24)
        except OSError:
            pass
        n += 1
        f = self.fs.open(path + ".tmp", "wb")
        try:
            f.write(bytes((n & 0xFF, (n >> 8) & 0xFF, (n >> 16) & 0xFF, (n >> 24) & 0xFF)))
        finally:
            f.close()
        self.fs.rename(path + ".tmp", path)
        return n

    def _open_imu(self, up):
        self._last_probe = up
        try:
            imu = self.board.open_imu()
            imu.start(self.rate)
        except (OSError, FirmwareError):
            if not self.sensor_fault:
                self.log.append_event(self.dclock.time_at(up), self._flags(), EV_SENSOR_FAULT,
                                      FAULT_MISSING)
            self.sensor_fault = True
            self.imu = None
            return
        self.imu = imu
        self.sensor_fault = False

    # --- main loop -------------------------------------------------------------
    def tick(self):
        """One main-loop iteration; returns the milliseconds to sleep."""
        up = self.dclock.tick()
        now_ms = self.clock.ticks_ms()
        b = self.button
        self.board.read_button(b, now_ms)
        b.poll(now_ms)
        try:
            self._button_events(up, now_ms)
            self._drain(up)
            self._battery(up, False)
            self.log_full = False
        except LogFullError:
            # nothing could be dropped to make room: keep sensing, keep trying
            self.log_full = True
            self.lost_records += 1
        wait = _BUSY_WAKE_MS if b.busy else self.wake_ms
        if self.link is not None:
            # A connected central gets fast service: the link says how soon to wake.
            w = self.link.service(now_ms)
            if w is not None and w < wait:
                wait = w
        return wait

    def run_for(self, ms):
        """Run the main loop for ms of device time (sleeping between wakes)."""
        end = self.dclock.tick() + ms
        while True:
            wait = self.tick()
            left = end - self.dclock.uptime_ms
            if left <= 0:
                return
            self.board.sleep_ms(wait if wait < left else left)

    def _button_events(self, up, now_ms):
        b = self.button
        while True:
            e = b.pop()
            if e is None:
                return
            kind, value, t = e
            self.button_events += 1  # also opens a radio window (wlfw.radio_window)
            at = self.dclock.time_at(up - self.clock.ticks_diff(now_ms, t))
            if kind == btn.SYMPTOM:
                self.log.append_event(at, self._flags(), EV_SYMPTOM, value)
                self.board.feedback(value)
            else:
                self.in_bed = not self.in_bed
                self.log.append_event(at, self._flags(), EV_BED if self.in_bed else EV_UP)
                self.board.feedback(-1 if self.in_bed else -2)
            self.log.flush()  # what the wearer told us is worth a flash write

    def _drain(self, up):
        n = 0
        imu = self.imu
        if imu is None:
            self._ep_fault = True
            if up - self._last_probe >= _PROBE_EVERY_MS:
                self._open_imu(up)
        else:
            try:
                n = imu.read_fifo_into(self._buf)
            except OSError:
                n = 0
                self.imu = None
                self.sensor_fault = True
                self._last_probe = up
                self.log.append_event(self.dclock.time_at(up), self._flags(), EV_SENSOR_FAULT,
                                      FAULT_MISSING)
            if imu.overrun:
                imu.overrun = False
                if not self._overrun:
                    self._overrun = True
                    self.log.append_event(self.dclock.time_at(up), self._flags(),
                                          EV_SENSOR_FAULT, FAULT_OVERRUN)
        t0 = self._last_drain
        start = 0
        while self._ep_end <= up:
            k = n if up <= t0 else n * (self._ep_end - t0) // (up - t0)
            if k > start:
                self.features.feed(self._buf, k - start, start)
                start = k
            self._close_epoch()
        if n > start:
            self.features.feed(self._buf, n - start, start)
        self._last_drain = up

    def _close_epoch(self):
        fe = self.features
        rec = fe.end_epoch(self._per_epoch, self._rec)
        rec.temp_hc = TEMP_UNKNOWN
        flags = rec.flags
        if self._ep_fault or self.sensor_fault or self.imu is None:
            flags |= FLAG_SENSOR_FAULT | FLAG_PARTIAL
        self._ep_fault = self.sensor_fault
        if self._overrun:
            flags |= FLAG_PARTIAL
            self._overrun = False
        if self.button.presses != self._ep_presses:
            flags |= FLAG_BUTTON
            self._ep_presses = self.button.presses
        if fe.stuck and not self._stuck_logged:
            self._stuck_logged = True
            self.log.append_event(self.dclock.time_at(self._ep_end), self._flags(),
                                  EV_SENSOR_FAULT, FAULT_STUCK)
        elif not fe.stuck:
            self._stuck_logged = False
        if self.imu is not None:
            try:
                rec.temp_hc = self.imu.temp_hc()
            except OSError:
                rec.temp_hc = TEMP_UNKNOWN
        rec.time = self.dclock.time_at(self._ep_start)
        rec.flags = flags | self._flags()
        self.log.append_record(rec)
        self.epochs += 1
        # the battery may die soon: keep less in RAM (each early chunk costs 14 bytes)
        if 0 <= self._batt_pct < _CRITICAL_BATTERY_PCT or (
                0 <= self._batt_pct < _LOW_BATTERY_PCT and self.log.buffered >= _LOW_BATTERY_BATCH):
            self.log.flush()
        self._ep_start = self._ep_end
        self._ep_end += self.epoch_len * 1000

    def _battery(self, up, force):
        if not force and up < self._batt_next:
            return
        self._batt_next = up + self.battery_every_s * 1000
        mv = self.board.battery_mv()
        if not mv:
            return
        pct = battery_percent(mv)
        self._batt_pct = pct
        self.log.append_event(self.dclock.time_at(up), self._flags(), EV_BATTERY, pct, 0,
                              mv if mv < 65535 else 65535)

    def shutdown(self):
        """Flush what is in RAM (low battery, or before a firmware update)."""
        self.log.flush()
