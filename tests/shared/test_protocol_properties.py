"""Property-based tests: round trips hold, and damaged bytes never decode silently."""

from __future__ import annotations

import struct

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from wlproto import const as C
from wlproto import frames, segments
from wlproto.crc import crc32, crc32_soft
from wlproto.errors import (
    CrcError,
    EncodeError,
    MalformedError,
    OversizeError,
    ProtocolError,
    SegmentError,
    TruncatedError,
    VersionError,
)
from wlproto.records import Epoch, Event

T_MAX = 0xFFFFFFFF - C.U16_MAX


def epochs(seq: int, t: int) -> st.SearchStrategy[Epoch]:
    return st.builds(
        Epoch, st.just(seq), st.just(t),
        st.integers(0, C.FLAG_ALL), st.integers(0, 65535), st.integers(0, 65535),
        st.integers(-90, 90), st.integers(0, 255), st.integers(0, 255), st.integers(-128, 127),
    )


def events(seq: int, t: int) -> st.SearchStrategy[Event]:
    def value_for(etype: int) -> st.SearchStrategy[int]:
        return st.integers(1, 5) if etype == C.EV_SYMPTOM else st.integers(0, 255)

    return st.sampled_from(C.EVENT_TYPES).flatmap(
        lambda et: st.builds(
            Event, st.just(seq), st.just(t), st.just(et), value_for(et),
            st.integers(0, 0xFFFFFFFF), st.integers(0, 65535), st.integers(0, C.FLAG_ALL),
        )
    )


@st.composite
def record_lists(draw: st.DrawFn, max_n: int = C.MAX_RECORDS_PER_FRAME) -> list:
    n = draw(st.integers(1, max_n))
    seq0 = draw(st.integers(0, 0xFFFFFFFF - n))
    base = draw(st.integers(0, T_MAX))
    out = []
    for i in range(n):
        t = base + draw(st.integers(0, C.U16_MAX))
        out.append(draw(st.one_of(epochs(seq0 + i, t), events(seq0 + i, t))))
    return out


@given(record_lists())
def test_frame_round_trip(recs: list) -> None:
    data = frames.encode_frame(recs)
    f = frames.decode_message(data)
    assert f.records == recs
    assert len(data) == C.FRAME_HEADER_SIZE + C.RECORD_SIZE * len(recs) + C.CRC_SIZE


@given(record_lists(), st.data())
def test_every_truncation_raises_truncated(recs: list, data: st.DataObject) -> None:
    msg = frames.encode_frame(recs)
    cut = data.draw(st.integers(0, len(msg) - 1))
    with pytest.raises(TruncatedError):
        frames.decode_message(msg[:cut])


@given(record_lists(max_n=8), st.binary(min_size=1, max_size=40))
def test_trailing_bytes_raise_oversize(recs: list, extra: bytes) -> None:
    with pytest.raises(OversizeError):
        frames.decode_message(frames.encode_frame(recs) + extra)


@given(record_lists(), st.data())
def test_any_bit_flip_is_detected(recs: list, data: st.DataObject) -> None:
    msg = bytearray(frames.encode_frame(recs))
    pos = data.draw(st.integers(0, len(msg) - 1))
    msg[pos] ^= 1 << data.draw(st.integers(0, 7))
    with pytest.raises(ProtocolError):
        frames.decode_message(bytes(msg))


@given(record_lists(), st.data())
def test_corrupt_burst_is_detected(recs: list, data: st.DataObject) -> None:
    # CRC-32 catches every burst of up to 32 bits; a flipped count/type byte
    # is caught by the length checks instead. Either way: no silent misparse.
    msg = bytearray(frames.encode_frame(recs))
    start = data.draw(st.integers(0, len(msg) - 4))
    noise = data.draw(st.binary(min_size=4, max_size=4))
    assume(bytes(msg[start:start + 4]) != noise)
    msg[start:start + 4] = noise
    with pytest.raises(ProtocolError):
        frames.decode_message(bytes(msg))


@given(record_lists(max_n=4), st.integers(0, 255))
def test_other_version_with_valid_crc_raises_version(recs: list, version: int) -> None:
    assume(version != C.PROTOCOL_VERSION)
    body = bytearray(frames.encode_frame(recs)[:-4])
    body[0] = version
    msg = bytes(body) + struct.pack("<I", crc32(bytes(body)))
    with pytest.raises(VersionError) as e:
        frames.decode_message(msg)
    assert f"v{version}" in str(e.value)


@given(st.binary(max_size=C.MAX_MESSAGE_SIZE + 8))
def test_random_bytes_never_misparse(blob: bytes) -> None:
    try:
        m = frames.decode_message(blob)
    except ProtocolError:
        return
    # Random bytes that decode must carry a matching CRC: re-encoding gives them back.
    if isinstance(m, frames.Reply):
        assert frames.encode_reply(m.opcode, m.status, m.payload) == blob
    else:
        assert crc32(blob[:-4]) == struct.unpack("<I", blob[-4:])[0]


@given(st.sampled_from(list(frames.COMMAND_PAYLOAD)), st.data())
def test_command_round_trip_and_length_errors(op: int, data: st.DataObject) -> None:
    n = frames.COMMAND_PAYLOAD[op]
    payload = data.draw(st.binary(min_size=n, max_size=n))
    cmd = frames.encode_command(op, payload)
    assert len(cmd) <= C.MAX_COMMAND_SIZE
    assert frames.decode_command(cmd) == (op, payload)
    if n:
        with pytest.raises(TruncatedError):
            frames.decode_command(cmd[:-1])
    with pytest.raises((OversizeError, MalformedError)):
        frames.decode_command(cmd + b"\x00")


@given(st.binary(max_size=30))
def test_random_commands_raise_protocol_errors(blob: bytes) -> None:
    try:
        op, payload = frames.decode_command(blob)
    except ProtocolError:
        return
    assert frames.encode_command(op, payload) == blob


@given(st.integers(0, 255), st.integers(0, 255), st.binary(max_size=64))
def test_reply_round_trip(op: int, status: int, payload: bytes) -> None:
    r = frames.decode_message(frames.encode_reply(op, status, payload))
    assert r == frames.Reply(op, status, payload)


@given(st.binary(min_size=1, max_size=C.MAX_MESSAGE_SIZE), st.integers(23, 517),
       st.integers(0, 63))
def test_segments_round_trip(msg: bytes, mtu: int, counter: int) -> None:
    segs = segments.segments(msg, mtu, counter)
    assert all(len(s) <= mtu - C.ATT_OVERHEAD for s in segs)
    r = segments.Reassembler()
    outs = [r.feed(s) for s in segs]
    assert outs[-1] == msg and all(o is None for o in outs[:-1])


@given(st.binary(min_size=60, max_size=400), st.data())
def test_lost_or_repeated_segment_is_detected(msg: bytes, data: st.DataObject) -> None:
    segs = segments.segments(msg, 23)
    assume(len(segs) >= 3)
    i = data.draw(st.integers(1, len(segs) - 2))
    damaged = segs[:i] + segs[i + 1:] if data.draw(st.booleans()) else segs[:i + 1] + segs[i:]
    r = segments.Reassembler()
    with pytest.raises(SegmentError):
        for s in damaged:
            r.feed(s)
    # The next message after a break still comes through whole.
    assert [r.feed(s) for s in segs][-1] == msg


@settings(max_examples=50)
@given(st.binary(max_size=300))
def test_soft_crc_matches_binascii(data: bytes) -> None:
    assert crc32_soft(data) == crc32(data)


@given(st.builds(
    frames.Status, st.integers(0, 63), st.integers(0, 0xFFFFFFFF), st.integers(0, 1000),
    st.integers(1000, 2000), st.integers(0, 2000), st.integers(0, 0xFFFFFFFF),
    st.integers(0, 0xFFFFFFFF), st.integers(0, 255), st.integers(1, 3600),
))
def test_status_round_trip(s: frames.Status) -> None:
    assert frames.Status.decode(s.encode()) == s


def test_encode_refuses_values_that_do_not_fit() -> None:
    with pytest.raises(EncodeError):
        frames.encode_frame([Epoch(1, 100, zangle_deg=91)])
    with pytest.raises(EncodeError):
        frames.encode_frame([Event(1, 100, C.EV_SYMPTOM, 6)])
    with pytest.raises(EncodeError, match="65535"):
        frames.encode_frame([Epoch(1, 0), Epoch(2, 70000)])
    with pytest.raises(EncodeError, match="consecutive"):
        frames.encode_frame([Epoch(1, 0), Epoch(3, 30)])


def test_crc_error_names_the_sequence() -> None:
    msg = bytearray(frames.encode_frame([Epoch(77, 1000, enmo_dmg=5)]))
    msg[14] ^= 0xFF
    with pytest.raises(CrcError, match="seq 77"):
        frames.decode_message(bytes(msg))
