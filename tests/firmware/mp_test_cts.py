# Current Time characteristic bytes on MicroPython (civil-calendar integer math).
import struct

from wlfw import cts


def test_known_dates():
    # 2026-01-01T00:00:00Z was a Thursday; 2000-02-29T23:59:59Z a Tuesday
    assert struct.unpack("<HBBBBBBBB", cts.encode(1767225600)) == (2026, 1, 1, 0, 0, 0, 4, 0, 0)
    assert struct.unpack("<HBBBBBBBB", cts.encode(951868799)) == (2000, 2, 29, 23, 59, 59, 2, 0, 0)


def test_round_trip_across_years():
    t = 0
    while t < 4102444800:  # to 2100
        assert cts.decode(cts.encode(t)) == t
        t += 86400 * 97 + 3671


def test_invalid_value_is_refused():
    try:
        cts.decode(struct.pack("<HBBBBBBBB", 2026, 13, 1, 0, 0, 0, 1, 0, 0))
    except ValueError:
        return
    raise AssertionError("month 13 accepted")
