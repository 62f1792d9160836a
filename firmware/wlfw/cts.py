# Bluetooth SIG Current Time (0x2A2B): UTC seconds <-> the 10-byte value.
# Integer civil-calendar arithmetic (H. Hinnant's days_from_civil), because
# time.gmtime's epoch differs between MicroPython ports.
import struct

CTS_FMT = "<HBBBBBBBB"  # year, month, day, h, m, s, weekday (1=Mon), fractions256, reason


def civil_from_days(z):
    z += 719468
    era = (z if z >= 0 else z - 146096) // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    y = yoe + era * 400
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + 3 if mp < 10 else mp - 9
    return (y + 1 if m <= 2 else y), m, d


def days_from_civil(y, m, d):
    y = y - 1 if m <= 2 else y
    era = (y if y >= 0 else y - 399) // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


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
