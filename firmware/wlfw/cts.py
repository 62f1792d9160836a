# Bluetooth SIG Current Time (0x2A2B): UTC seconds <-> the 10-byte value.
import struct

from wlfw.civil import civil_from_days, days_from_civil

CTS_FMT = "<HBBBBBBBB"  # year, month, day, h, m, s, weekday (1=Mon), fractions256, reason


def encode(utc, reason=0):
    days, rem = divmod(utc, 86400)
    y, mo, d = civil_from_days(days)
    wd = (days + 3) % 7 + 1  # 1970-01-01 was a Thursday (4)
    return struct.pack(CTS_FMT, y, mo, d, rem // 3600, rem // 60 % 60, rem % 60, wd, 0, reason)


def decode(value):
    y, mo, d, h, mi, s, _wd, _frac, _reason = struct.unpack(CTS_FMT, value[:10])
    if not (1 <= mo <= 12 and 1 <= d <= 31 and h < 24 and mi < 60 and s < 60 and y >= 1970):
        raise ValueError("not a valid Current Time value")
    return days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s
