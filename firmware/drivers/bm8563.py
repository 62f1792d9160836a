# BM8563 real-time clock (M5StickC Plus2) over machine.I2C: keeps UTC across
# resets and power cuts (it has its own coin cell / the board's backup).
# Registers 0x02..0x08: seconds, minutes, hours, day, weekday, month, year (BCD);
# bit 7 of seconds (VL) says the clock lost power and the time is invalid.
from micropython import const

from wlfw.civil import civil_from_days, days_from_civil

_SECONDS = const(0x02)


def _bcd(v):
    return (v >> 4) * 10 + (v & 0x0F)


def _tobcd(v):
    return ((v // 10) << 4) | (v % 10)


class BM8563:
    def __init__(self, i2c, addr=0x51):
        self.i2c = i2c
        self.addr = addr
        self._b = bytearray(7)

    def read_utc(self):
        """UTC seconds, or 0 when the clock never got a time or lost power."""
        b = self._b
        self.i2c.readfrom_mem_into(self.addr, _SECONDS, b)
        if b[0] & 0x80:
            return 0
        year = 2000 + _bcd(b[6])
        days = days_from_civil(year, _bcd(b[5] & 0x1F), _bcd(b[3] & 0x3F))
        return days * 86400 + _bcd(b[2] & 0x3F) * 3600 + _bcd(b[1] & 0x7F) * 60 + _bcd(b[0] & 0x7F)

    def write_utc(self, t):
        days = t // 86400
        s = t - days * 86400
        y, m, d = civil_from_days(days)
        b = self._b
        b[0] = _tobcd(s % 60)
        b[1] = _tobcd((s // 60) % 60)
        b[2] = _tobcd(s // 3600)
        b[3] = _tobcd(d)
        b[4] = (days + 4) % 7  # 1970-01-01 was a Thursday
        b[5] = _tobcd(m)
        b[6] = _tobcd(y - 2000)
        self.i2c.writeto_mem(self.addr, _SECONDS, b)
