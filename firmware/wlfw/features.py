# Per-epoch activity and sleep features from an accelerometer stream.
#
# One implementation for the wearable and the companion (raw files): samples
# arrive as interleaved x, y, z in milli-g (array('h')); the per-sample loop is
# integer-only so MicroPython allocates nothing in it. Per 5-s window (not per
# sample) the mean z-angle is taken with math.atan2.
#
#   enmo  mean of max(0, |a| - 1 g)                       0.1 mg
#   mad   mean |(|a|) - mean(|a|)| within 5-s windows     0.1 mg
#   zangle mean of the 5-s mean z-angles                  degrees
#   dangle sum of |change| of consecutive 5-s z-angles    0.1 deg (sat. 255)
#   steps wrist step detector with cadence limits and a minimum run
#   flags FLAG_NONWEAR after a long low-variance run (sensors that resolve
#         their own noise only), FLAG_SENSOR_FAULT when
#         the signal is stuck (see below), FLAG_PARTIAL when short
#
# Stuck or still? A still but live sensor repeats itself too: an 8-bit logger
# (31 mg per step) held all three axes bit-identical for up to 25 min of real
# sleep (ICHI14). So "stuck" needs all three raw axes bit-identical within each
# of _STUCK_WINDOWS windows in a row AND one of: the sensor's step is fine enough for
# its own noise to show (lsb_mg <= _STUCK_FINE_LSB_MG: a live one flickers), or the
# repeated reading is not gravity (|a| outside 1 g +- 20 %: a still sensor
# measures 1 g). A coarse sensor stuck on a gravity-like reading cannot be told
# from a still one; non-wear detection deals with that case.
import math
from array import array

try:
    from micropython import const
except ImportError:  # CPython

    def const(x):  # type: ignore[misc]
        return x


from wlfw.errors import ConfigError
from wlproto.const import FLAG_NONWEAR, FLAG_PARTIAL, FLAG_SENSOR_FAULT
from wlproto.fields import Epoch

_G = const(1000)  # 1 g in mg
_DDEG_PER_RAD = 572.9577951308232  # 0.1 degree per radian

# Step detector (validated on the virtual wearer, see docs/firmware.md).
_STEP_THRESHOLD_MG = const(60)  # smoothed |a| above baseline to count a peak
_STEP_MIN_INTERVAL_MS = const(280)  # cadence limit: at most ~214 steps/min
_STEP_MAX_INTERVAL_MS = const(1500)  # a longer gap ends the walking run
_STEP_MIN_RUN = const(6)  # steps are counted only once a run reaches this

# Non-wear: an epoch is "still" below these; FLAG_NONWEAR once still for long.
_NONWEAR_MAD_DMG = const(20)  # 2.0 mg (sensor noise alone is about 1.3 mg)
_NONWEAR_DANGLE_DDEG = const(20)  # 2 degrees: noise near vertical reaches 1
NONWEAR_RUN_EPOCHS = const(20)  # 10 min of still epochs
_STUCK_WINDOWS = const(12)  # 1 min of bit-identical x, y, z (and see above)
# A live sensor's noise (~1.3 mg rms) crosses a step of 8 mg or less several times a
# minute; an 8-bit logger's 31-mg steps it never crosses when still.
_STUCK_FINE_LSB_MG = const(8)
_STUCK_G_TOL_MG = const(200)  # |a| this far from 1 g is no still sensor


def isqrt(n):
    """Integer square root, at least 1 (it is used as a divisor)."""
    if n < 2:
        return 1
    x = n
    y = (x + 1) >> 1
    while y < x:
        x = y
        y = (x + n // x) >> 1
    return x


class Features:
    """Streaming feature engine: feed() samples, end_epoch() per epoch."""

    def __init__(self, rate_hz=25, win_s=5, step_threshold_mg=_STEP_THRESHOLD_MG,
                 nonwear_run=NONWEAR_RUN_EPOCHS, lsb_mg=1):
        if not (4 <= rate_hz <= 200):
            raise ConfigError("sample rate %r Hz outside 4..200" % (rate_hz,))
        if not (1 <= win_s <= 60):
            raise ConfigError("angle window %r s outside 1..60" % (win_s,))
        self.rate = rate_hz
        self.win_n = rate_hz * win_s
        self._win = array("h", bytes(2 * self.win_n))  # |a| of the current window
        self._th = step_threshold_mg
        self._smin = (_STEP_MIN_INTERVAL_MS * rate_hz + 999) // 1000
        self._smax = _STEP_MAX_INTERVAL_MS * rate_hz // 1000
        self.nonwear_run = nonwear_run
        self._fine = lsb_mg <= _STUCK_FINE_LSB_MG
        # state carried across epochs
        self._m = _G
        self._lp = _G
        self._bl = _G
        self._armed = True
        self._since = self._smax + 1
        self._run = 0
        self._prev_ang = None  # last window's z-angle, 0.1 deg
        self._still = 0
        self._stuck = 0
        self._stuck_bad = False  # the repeated reading rules out a still live sensor
        self._lx = 0  # last sample of the window just read (stuck check)
        self._ly = 0
        self._lz = 0
        self._k = 0
        self._sx = 0
        self._sy = 0
        self._sz = 0
        self._reset_epoch()

    def _reset_epoch(self):
        self._n = 0
        self._enmo = 0
        self._dev = 0  # sum of |m - window mean| over closed windows
        self._devn = 0
        self._angsum = 0
        self._angn = 0
        self._dang = 0
        self._steps = 0
        self._fault = False

    def feed(self, buf, n, start=0):
        """Consume n samples (x, y, z mg interleaved) from buf, from sample start."""
        m = self._m
        lp = self._lp
        bl = self._bl
        armed = self._armed
        since = self._since
        run = self._run
        steps = self._steps
        enmo = self._enmo
        win = self._win
        wn = self.win_n
        k = self._k
        sx = self._sx
        sy = self._sy
        sz = self._sz
        th = self._th
        smin = 3 * self._smin  # step intervals in buffer positions (3 per sample)
        smax = 3 * self._smax
        i = 3 * start
        end = i + 3 * n
        last = i - 3 * since  # buffer position just after the last step
        while i < end:
            # up to the end of the current 5-s window
            kend = k + (end - i) // 3
            if kend > wn:
                kend = wn
            x = y = z = 0
            for j in range(k, kend):
                x = buf[i]
                y = buf[i + 1]
                z = buf[i + 2]
                i += 3
                s2 = x * x + y * y + z * z
                # |a|: one Newton step from the previous sample's |a| (within
                # 12 % for a 2x change, converging on the next samples); when
                # the guess is more than 2x off (an impact, a zero), solve exactly
                q = s2 // m
                if q > m << 1 or q < m >> 1:
                    m = isqrt(s2)
                else:
                    m = (m + q) >> 1 or 1
                if m > _G:
                    enmo += m - _G
                win[j] = m
                sx += x
                sy += y
                sz += z
                # steps: smoothed |a| against a slow baseline, a peak, re-armed below it
                lp += (m - lp) >> 1
                bl += (m - bl) >> 4
                if armed:
                    if lp - bl > th and i - last >= smin:
                        armed = False
                        if i - last > smax:
                            run = 0
                        last = i
                        run += 1
                        if run > _STEP_MIN_RUN:
                            steps += 1
                        elif run == _STEP_MIN_RUN:
                            steps += _STEP_MIN_RUN
                elif lp < bl:
                    armed = True
            if kend > k:
                self._lx = x
                self._ly = y
                self._lz = z
            k = kend
            if k == wn:
                self._sx = sx
                self._sy = sy
                self._sz = sz
                self._close_window(k)
                k = 0
                sx = 0
                sy = 0
                sz = 0
                if i - last > smax:
                    last = i - smax - 3
        since = (i - last) // 3
        self._m = m
        self._lp = lp
        self._bl = bl
        self._armed = armed
        self._since = since
        self._run = run
        self._steps = steps
        self._enmo = enmo
        self._k = k
        self._sx = sx
        self._sy = sy
        self._sz = sz
        self._n += n

    def _close_window(self, k):
        win = self._win
        dev = 0
        if k == len(win):
            mean = sum(win) // k
            for v in win:
                v -= mean
                dev += v if v > 0 else -v
        else:
            tot = 0
            for j in range(k):
                tot += win[j]
            mean = tot // k
            for j in range(k):
                v = win[j] - mean
                dev += v if v > 0 else -v
        self._dev += dev
        self._devn += k
        lx = self._lx
        ly = self._ly
        lz = self._lz
        # one reading on all three axes all window long (equal sums and magnitudes)
        flat = (dev == 0 and k == self.win_n and self._sx == k * lx and self._sy == k * ly
                and self._sz == k * lz)
        if flat:
            self._stuck += 1
            g = win[0] - _G
            self._stuck_bad = self._fine or g > _STUCK_G_TOL_MG or g < -_STUCK_G_TOL_MG
        else:
            self._stuck = 0
        if self.stuck:
            self._fault = True
        # mean z-angle of the window, 0.1 deg (window means, not per sample)
        mx = self._sx / k
        my = self._sy / k
        ang = int(math.atan2(self._sz / k, math.sqrt(mx * mx + my * my)) * _DDEG_PER_RAD)
        self._angsum += ang
        self._angn += 1
        prev = self._prev_ang
        if prev is not None:
            d = ang - prev
            self._dang += d if d > 0 else -d
        self._prev_ang = ang

    def end_epoch(self, expected=0, rec=None):
        """Close the epoch into an Epoch record and return it (seq and time are the
        caller's). rec: the record to fill (the device reuses one: no allocation);
        None = a new one.

        A trailing window of at least 1 s counts; shorter ones carry over.
        expected: samples the epoch should hold (FLAG_PARTIAL below 90 %).
        """
        if self._k >= self.rate:
            self._close_window(self._k)
            self._k = 0
            self._sx = 0
            self._sy = 0
            self._sz = 0
        n = self._n
        flags = 0
        if n == 0:
            enmo = 0
            mad = 0
        else:
            enmo = self._enmo * 10 // n
            if enmo > 65535:
                enmo = 65535
        if self._devn:
            mad = self._dev * 10 // self._devn
            if mad > 65535:
                mad = 65535
        else:
            mad = 0
        if self._angn:
            z = self._angsum // self._angn
            z = (z + 5) // 10 if z >= 0 else -((-z + 5) // 10)
            if z > 90:
                z = 90
            elif z < -90:
                z = -90
        else:
            z = 0
        dang = self._dang if self._dang < 255 else 255
        steps = self._steps if self._steps < 255 else 255
        if self._fault:
            flags |= FLAG_SENSOR_FAULT
        # the still limits sit just above a fine sensor's own noise; a coarse one (8-bit,
        # 31 mg a step) reads a sleeping wrist as exactly still, so it gives no hint
        if (n and self._fine and mad < _NONWEAR_MAD_DMG and dang < _NONWEAR_DANGLE_DDEG
                and not self._fault):
            self._still += 1
        else:
            self._still = 0
        if self._still >= self.nonwear_run:
            flags |= FLAG_NONWEAR
        if expected and n * 10 < expected * 9:
            flags |= FLAG_PARTIAL
        self._reset_epoch()
        if rec is None:
            rec = Epoch(0, 0)
        rec.flags = flags
        rec.enmo_dmg = enmo
        rec.mad_dmg = mad
        rec.zangle_deg = z
        rec.dangle_ddeg = dang
        rec.steps = steps
        return rec

    @property
    def stuck(self):
        return self._stuck >= _STUCK_WINDOWS and self._stuck_bad
