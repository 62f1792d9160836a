"""The field tables are the one definition of each record's fields: everything else follows."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wlproto import records as R
from wlproto.const import RECORD_SIZE, TEMP_UNKNOWN
from wlproto.errors import EncodeError, MalformedError


def test_formats_are_the_header_then_one_code_per_row() -> None:
    assert R.EPOCH_FMT == "<BHHHbBBb"  # v1's format, unchanged by the table
    assert R.EVENT_FMT == "<BHBBIH"
    for fmt in (R.EPOCH_FMT, R.EVENT_FMT):
        assert struct.calcsize(fmt) <= RECORD_SIZE


def test_named_positional_and_default_access() -> None:
    a = R.Epoch(1, 100, 0, 12, 8, -35, 3, 0, 66)
    b = R.Epoch(1, 100, enmo_dmg=12, mad_dmg=8, zangle_deg=-35, dangle_ddeg=3, temp_hc=66)
    assert a == b and a.enmo_dmg == 12 and a.temp_hc == 66
    assert R.Epoch(1, 100).temp_hc == TEMP_UNKNOWN  # the row's default
    assert a.fields() == (1, 100, 0, 12, 8, -35, 3, 0, 66)
    assert a.values() == (12, 8, -35, 3, 0, 66)
    ev = R.Event(5, 200, 1, 4, 0, 0, 2)  # flags last, as before
    assert ev.flags == 2 and ev.value == 4 and ev == R.Event(5, 200, etype=1, value=4, flags=2)
    with pytest.raises(TypeError, match="unknown field"):
        R.Epoch(1, 100, enmo=3)
    with pytest.raises(TypeError, match="missing field etype"):
        R.Event(1, 100)
    with pytest.raises(AttributeError, match="no field"):
        _ = a.enmo


def test_range_checks_come_from_the_rows() -> None:
    for name, _code, _unit, lo, hi, _default, _since in R.EPOCH_TABLE:
        for bad in (lo - 1, hi + 1):
            rec = R.Epoch(1, 100, **{name: bad})
            with pytest.raises(EncodeError, match=name):
                R.encode_record(rec, 100)
    # a z-angle of 91 fits the i8 but not the row: refused on decode too
    buf = bytearray(R.encode_record(R.Epoch(1, 100, zangle_deg=90), 100))
    buf[7] = 91
    with pytest.raises(MalformedError, match="zangle_deg 91 outside -90..90"):
        R.unpack_record(buf, 0, 1, 100)


@given(st.tuples(*(st.integers(row[3], row[4]) for row in R.EPOCH_TABLE)))
def test_every_in_range_epoch_round_trips(values: tuple[int, ...]) -> None:
    rec = R.Epoch(7, 1000, 0, *values)
    assert R.unpack_record(R.encode_record(rec, 1000), 0, 7, 1000) == rec


def test_a_new_row_needs_no_other_record_code() -> None:
    """What adding a field means for the record code: a row, nothing else."""

    table = (*R.EPOCH_TABLE, ("light_lux", "H", "lux", 0, 1000, 0, 2))

    class Epoch2(R.Record):
        kind = R.Epoch.kind
        TABLE = table
        FIELDS = ("seq", "time", "flags") + tuple(f[0] for f in table)

        def __init__(self, seq: int, time: int, flags: int = 0, *values: int,
                     **named: int) -> None:
            self.seq, self.time, self.flags = seq, time, flags
            R._fill(self, table, values, named)

    e = Epoch2(1, 100, light_lux=300)
    assert e.fields()[-1] == 300 and R.record_fmt(table) == "<BHHHbBBbH"
    with pytest.raises(EncodeError, match="light_lux"):
        R.check_fields(Epoch2(1, 100, light_lux=2000))


def test_store_and_upload_columns_follow_the_tables() -> None:
    from wearlog.store.columns import EPOCH_COLS, EVENT_COLS
    from wearlog.web.schemas import EpochIn, EventIn

    names = [f[0] for f in R.EPOCH_TABLE]
    assert list(EPOCH_COLS[1:4 + len(names)]) == ["seq", "time", "flags", *names]
    assert list(EVENT_COLS[4:4 + len(R.EVENT_TABLE)]) == [f[0] for f in R.EVENT_TABLE]
    assert list(EpochIn.model_fields) == ["seq", "time", "flags", *names]
    assert list(EventIn.model_fields) == ["seq", "time", "flags", *(f[0] for f in R.EVENT_TABLE)]
    schema = EpochIn.model_json_schema()["properties"]
    for name, _code, _unit, lo, hi, _default, _since in R.EPOCH_TABLE:
        assert (schema[name]["minimum"], schema[name]["maximum"]) == (lo, hi)
