# Golden vectors: the committed bytes <-> values in shared/vectors/golden.json.
# This module runs twice: inside the MicroPython VM (collected by conftest as
# mp_test_*) and on CPython (tests/shared/test_golden.py imports it), so both
# interpreters are held to the same bytes.
import binascii
import json

from wlproto import errors, frames, segments
from wlproto.records import Epoch, Event

VECTORS = "/vectors/golden.json"


def _cases(kind):
    with open(VECTORS) as fh:
        doc = json.load(fh)
    return [c for c in doc["cases"] if c["type"] == kind]


def _b(h):
    return binascii.unhexlify(h)


def _rec(d):
    # field by field through the tables, so the vectors name every field by name
    cls = Epoch if d["kind"] == "epoch" else Event
    named = {}
    for f in cls.TABLE:
        named[f[0]] = d[f[0]]
    return cls(d["seq"], d["time"], flags=d["flags"], **named)


def test_frames_decode():
    cases = _cases("frame")
    assert len(cases) >= 9
    for c in cases:
        f = frames.decode_message(_b(c["hex"]))
        assert f.first_seq == c["first_seq"], c["name"]
        assert f.base_time == c["base_time"], c["name"]
        assert f.records == [_rec(d) for d in c["records"]], c["name"]


def test_frames_encode():
    for c in _cases("frame"):
        recs = [_rec(d) for d in c["records"]]
        assert frames.encode_frame(recs, base_time=c["base_time"]) == _b(c["hex"]), c["name"]


def test_end_frame():
    for c in _cases("end"):
        assert frames.encode_end(c["next_seq"], c["device_time"]) == _b(c["hex"])
        f = frames.decode_message(_b(c["hex"]))
        assert (f.first_seq, f.base_time, f.records) == (c["next_seq"], c["device_time"], [])


def test_replies():
    cases = _cases("reply")
    assert cases
    for c in cases:
        assert frames.encode_reply(c["opcode"], c["status"], _b(c["payload"])) == _b(c["hex"])
        r = frames.decode_message(_b(c["hex"]))
        assert r == frames.Reply(c["opcode"], c["status"], _b(c["payload"])), c["name"]


def test_commands():
    cases = _cases("command")
    assert cases
    for c in cases:
        assert frames.encode_command(c["opcode"], _b(c["payload"])) == _b(c["hex"])
        assert frames.decode_command(_b(c["hex"])) == (c["opcode"], _b(c["payload"]))


def test_status():
    for c in _cases("status"):
        st = frames.Status.decode(_b(c["hex"]))
        assert list(st.fields()) == c["fields"]
        assert st.encode() == _b(c["hex"])


def test_segments():
    for c in _cases("segments"):
        segs = segments.segments(_b(c["message"]), c["mtu"], c["counter"])
        assert [binascii.hexlify(s).decode() for s in segs] == c["segments"]
        r = segments.Reassembler()
        out = None
        for s in segs:
            assert len(s) <= c["mtu"] - 3
            out = r.feed(s)
        assert out == _b(c["message"])


def test_invalid_messages_raise_documented_errors():
    cases = _cases("invalid")
    assert len(cases) >= 6
    for c in cases:
        want = getattr(errors, c["error"])
        try:
            frames.decode_message(_b(c["hex"]))
        except errors.ProtocolError as e:
            assert type(e) is want, "%s: got %s, want %s" % (c["name"], type(e).__name__,
                                                            c["error"])
        else:
            raise AssertionError("%s decoded without error" % c["name"])
