# LSM6DS3 / LSM6DS3TR-C / LSM6DSO / LSM6DSOX (ST) accelerometer over machine.I2C,
# through the FIFO. The accelerometer runs at 26 Hz (the ODR nearest 25 Hz);
# the MCU drains the FIFO about once a second.
#   LSM6DSO(X): tagged FIFO, 7 bytes a word (tag, x, y, z little-endian)
#   LSM6DS3(TR-C): 16-bit words in x, y, z order (accelerometer only)
from micropython import const

from drivers.i2cdev import I2CDevice
from wlfw.errors import SensorError

_WHO_AM_I = const(0x0F)
_CTRL1_XL = const(0x10)  # ODR bits 7:4 (0010 = 26 Hz), FS bits 3:2
_CTRL3_C = const(0x12)  # bit 6 BDU, bit 2 IF_INC, bit 0 SW_RESET
_OUT_TEMP = const(0x20)
_FIFO_STATUS1 = const(0x3A)
# LSM6DSO(X)
_FIFO_CTRL3 = const(0x09)  # BDR_XL bits 3:0 (0010 = 26 Hz)
_FIFO_CTRL4 = const(0x0A)  # FIFO_MODE bits 2:0 (110 continuous, 000 bypass)
_FIFO_TAG = const(0x78)
# LSM6DS3(TR-C)
_FIFO_CTRL3_DS3 = const(0x08)  # DEC_FIFO_XL bits 2:0 (001 = no decimation)
_FIFO_CTRL5_DS3 = const(0x0A)  # ODR_FIFO bits 6:3, FIFO_MODE bits 2:0
_FIFO_PATTERN_DS3 = const(0x3C)
_FIFO_OUT_DS3 = const(0x3E)
_READ_WORDS = const(16)

# WHO_AM_I -> (name, tagged FIFO, temp LSB per 0.5 degC)
CHIPS = {
    0x69: ("LSM6DS3", False, 8),
    0x6A: ("LSM6DS3TR-C", False, 128),
    0x6C: ("LSM6DSO/DSOX", True, 128),
}
_FS = {2: (0, 61), 4: (2, 122), 8: (3, 244), 16: (1, 488)}  # bits, micro-g per LSB


class LSM6DS(I2CDevice):
    """Accelerometer samples in milli-g from the FIFO; temperature in 0.5 degC."""

    RATE_HZ = 26

    def __init__(self, i2c, addr=0x6A):
        I2CDevice.__init__(self, i2c, addr)
        self.overrun = False
        chip = self._probe(_WHO_AM_I, CHIPS, "LSM6DS3/DSO/DSOX")
        self.name, self.tagged, self._tlsb = chip
        self._raw = bytearray(7 * _READ_WORDS)
        self.ug_per_lsb = 244

    def start(self, rate_hz=26, range_g=8):
        fs = _FS.get(range_g)
        if fs is None:
            raise SensorError("range %r g not supported: use 2, 4, 8 or 16" % (range_g,))
        if rate_hz not in (25, 26):
            raise SensorError("rate %r Hz: this driver runs the LSM6DS at 26 Hz" % (rate_hz,))
        self._write8(_CTRL3_C, 0x01)  # software reset
        self._write8(_CTRL3_C, 0x44)  # BDU, auto-increment
        self._write8(_CTRL1_XL, 0x20 | (fs[0] << 2))
        self.ug_per_lsb = fs[1]
        if self.tagged:
            self._write8(_FIFO_CTRL3, 0x02)
        else:
            self._write8(_FIFO_CTRL3_DS3, 0x01)
        self._reset_fifo()

    def _reset_fifo(self):
        if self.tagged:
            self._write8(_FIFO_CTRL4, 0x00)
            self._write8(_FIFO_CTRL4, 0x06)
        else:
            self._write8(_FIFO_CTRL5_DS3, 0x00)
            self._write8(_FIFO_CTRL5_DS3, (0x02 << 3) | 0x06)

    def read_fifo_into(self, buf):
        """Drain up to len(buf) // 3 samples as x, y, z milli-g; returns the count."""
        self.i2c.readfrom_mem_into(self.addr, _FIFO_STATUS1, self._b2)
        st1 = self._b2[0]
        st2 = self._b2[1]
        if st2 & 0x40:  # overrun: samples lost
            self.overrun = True
            self._reset_fifo()
            return 0
        cap = len(buf) // 3
        if self.tagged:
            return self._read_tagged(buf, ((st2 & 0x03) << 8) | st1, cap)
        return self._read_words(buf, ((st2 & 0x0F) << 8) | st1, cap)

    def _scale(self, lo, hi):
        v = lo | (hi << 8)
        if v > 32767:
            v -= 65536
        return v * self.ug_per_lsb // 1000

    def _read_tagged(self, buf, words, cap):
        raw = self._raw
        mv = memoryview(raw)
        n = 0
        left = words
        while left and n < cap:
            k = left if left < _READ_WORDS else _READ_WORDS
            for j in range(k):  # one word a read: the address wraps 0x7E -> 0x78
                self.i2c.readfrom_mem_into(self.addr, _FIFO_TAG, mv[7 * j:7 * j + 7])
            left -= k
            for j in range(k):
                o = 7 * j
                if raw[o] >> 3 != 0x02 or n >= cap:  # not an accelerometer word
                    continue
                d = 3 * n
                buf[d] = self._scale(raw[o + 1], raw[o + 2])
                buf[d + 1] = self._scale(raw[o + 3], raw[o + 4])
                buf[d + 2] = self._scale(raw[o + 5], raw[o + 6])
                n += 1
        return n

    def _read_words(self, buf, words, cap):
        # align to an x word first (FIFO_PATTERN says which axis comes next)
        self.i2c.readfrom_mem_into(self.addr, _FIFO_PATTERN_DS3, self._b2)
        pat = self._b2[0] % 3
        raw = self._raw
        mv = memoryview(raw)
        while pat and words:
            self.i2c.readfrom_mem_into(self.addr, _FIFO_OUT_DS3, mv[:2])
            words -= 1
            pat = (pat + 1) % 3
        n = words // 3
        if n > cap:
            n = cap
        done = 0
        while done < n:
            k = n - done
            if k > _READ_WORDS // 3:
                k = _READ_WORDS // 3
            for j in range(3 * k):
                self.i2c.readfrom_mem_into(self.addr, _FIFO_OUT_DS3, mv[2 * j:2 * j + 2])
            for j in range(3 * k):
                buf[3 * done + j] = self._scale(raw[2 * j], raw[2 * j + 1])
            done += k
        return n

    def temp_hc(self):
        self.i2c.readfrom_mem_into(self.addr, _OUT_TEMP, self._b2)
        v = self._b2[0] | (self._b2[1] << 8)
        if v > 32767:
            v -= 65536
        t = v // self._tlsb + 50
        return -127 if t < -127 else (127 if t > 127 else t)
