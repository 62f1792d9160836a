# Where the firmware gets time. On a board: time.ticks_ms and friends. On a
# laptop the host port (firmware/hostport/mptime.py, first on sys.path) gives
# the same functions over a simulated clock; the app can also be handed any
# object with these four methods.
#
# DeviceClock keeps UTC seconds once the companion set it, uptime seconds
# before (records then carry FLAG_CLOCK_UNSET so the companion can re-anchor).
import time

try:
    ticks_ms = time.ticks_ms  # type: ignore[attr-defined]
    ticks_diff = time.ticks_diff  # type: ignore[attr-defined]
    ticks_add = time.ticks_add  # type: ignore[attr-defined]
    sleep_ms = time.sleep_ms  # type: ignore[attr-defined]
except AttributeError:  # CPython: the host port's shim
    try:
        from mptime import sleep_ms, ticks_add, ticks_diff, ticks_ms  # type: ignore
    except ImportError:
        raise ImportError("wlfw.clock needs MicroPython's time.ticks_ms; on CPython run the "
                          "firmware through wearlog.virtual.hostport, which puts "
                          "firmware/hostport (mptime) on sys.path") from None


class SystemClock:
    """The module's functions as an object (what the app holds)."""

    def ticks_ms(self):
        return ticks_ms()

    def ticks_diff(self, a, b):
        return ticks_diff(a, b)

    def ticks_add(self, a, b):
        return ticks_add(a, b)

    def sleep_ms(self, ms):
        sleep_ms(ms)


class DeviceClock:
    """Uptime from wrapping ticks, and UTC once set.

    tick() must run at least every few days (ticks wrap after 2**30 ms on
    the boards); the main loop calls it on every wake.
    """

    def __init__(self, clock, rtc=None):
        self.clock = clock
        self.rtc = rtc
        self._last = clock.ticks_ms()
        self.uptime_ms = 0
        self._offset = 0  # utc = uptime_s + offset, when set
        self.is_set = False
        if rtc is not None:
            t = rtc.read_utc()
            if t:
                self._offset = t
                self.is_set = True

    def tick(self):
        now = self.clock.ticks_ms()
        self.uptime_ms += self.clock.ticks_diff(now, self._last)
        self._last = now
        return self.uptime_ms

    def time_at(self, uptime_ms):
        """Device time (UTC if set, else uptime) of an uptime instant, seconds."""
        return uptime_ms // 1000 + self._offset

    def now(self):
        return self.time_at(self.tick())

    def set(self, utc):
        """Set UTC; returns (previous device time, was_unset)."""
        up = self.tick()
        prev = self.time_at(up)
        was_unset = not self.is_set
        self._offset = utc - up // 1000
        self.is_set = True
        if self.rtc is not None:
            self.rtc.write_utc(utc)
        return prev, was_unset
