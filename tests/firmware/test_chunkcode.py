"""Log format v2's chunk coding: any records round-trip, and partial decodes agree."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from wlfw import chunkcode
from wlproto.const import EVENT_TYPES, RECORD_SIZE
from wlproto.records import EPOCH_TABLE, Epoch, Event, encode_record, unpack_record

BASE = 1_000_000


def epochs() -> st.SearchStrategy[Epoch]:
    return st.builds(lambda t, fl, vals: Epoch(0, BASE + t, fl, *vals),
                     st.integers(0, 65535), st.integers(0, 0x1F),
                     st.tuples(*(st.integers(r[3], r[4]) for r in EPOCH_TABLE)))


def events() -> st.SearchStrategy[Event]:
    return st.builds(lambda t, et, v, a, x, fl: Event(0, BASE + t, et, v, a, x, fl),
                     st.integers(0, 65535), st.sampled_from([e for e in EVENT_TYPES if e != 1]),
                     st.integers(0, 255), st.integers(0, 2**32 - 1), st.integers(0, 65535),
                     st.integers(0, 0x1F))


def slots(recs: list[Epoch | Event]) -> bytearray:
    return bytearray(b"".join(encode_record(r, BASE) for r in recs))


@settings(max_examples=300, deadline=None)
@given(recs=st.lists(st.one_of(epochs(), epochs(), events()), min_size=1, max_size=40),
       step=st.integers(0, 255), data=st.data())
def test_any_records_round_trip(recs: list[Epoch | Event], step: int, data: st.DataObject) -> None:
    src = slots(recs)
    n = len(recs)
    prev = [0] * (chunkcode.NF + 1)
    dst = bytearray(chunkcode.WORST * n + 8)
    blen = chunkcode.encode(src, n, step, dst, 3, len(dst) - 3, prev)
    assert 0 < blen <= chunkcode.WORST * n
    out = bytearray(n * RECORD_SIZE)
    assert chunkcode.decode(dst, 3, n, step, out, 0, 0, n, prev) == n
    assert out == src
    # a part of the chunk, as the log serves a read from the middle of it
    skip = data.draw(st.integers(0, n - 1))
    take = data.draw(st.integers(1, n - skip))
    part = bytearray(take * RECORD_SIZE)
    assert chunkcode.decode(dst, 3, n, step, part, 0, skip, take, prev) == take
    assert part == src[skip * RECORD_SIZE:(skip + take) * RECORD_SIZE]
    got = [unpack_record(part, k * RECORD_SIZE, k, BASE) for k in range(take)]
    assert [r.fields()[1:] for r in got] == [r.fields()[1:] for r in recs[skip:skip + take]]


def test_a_limit_it_cannot_meet_gives_minus_one() -> None:
    # events are kept whole and cost a mask byte more than raw: a chunk of them is raw
    recs = [Event(0, BASE + 30 * i, 8, 90, 0, 3900) for i in range(8)]
    src = slots(recs)
    prev = [0] * (chunkcode.NF + 1)
    assert chunkcode.encode(src, 8, 30, bytearray(400), 0, 8 * RECORD_SIZE - 1, prev) == -1


def test_a_still_night_codes_to_a_few_bytes_an_epoch() -> None:
    recs = [Epoch(0, BASE + 30 * i, 0, 3, 20, -40, 0, 0, 60) for i in range(32)]
    prev = [0] * (chunkcode.NF + 1)
    dst = bytearray(400)
    blen = chunkcode.encode(slots(recs), 32, 30, dst, 0, 400, prev)
    assert blen <= 32 + 12  # one mask byte per unchanged epoch, the first in full
