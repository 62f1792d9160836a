"""Current Time bytes agree with Python's own calendar (the same module runs in the VM)."""

import datetime as dt
import struct

from hypothesis import given
from hypothesis import strategies as st

from wlfw import cts


@given(st.integers(0, 4102444799))
def test_matches_datetime(t: int) -> None:
    d = dt.datetime.fromtimestamp(t, dt.UTC)
    y, mo, day, h, mi, s, wd, _f, _r = struct.unpack("<HBBBBBBBB", cts.encode(t))
    assert (y, mo, day, h, mi, s, wd) == (d.year, d.month, d.day, d.hour, d.minute, d.second,
                                         d.isoweekday())
    assert cts.decode(cts.encode(t)) == t
