# Golden vectors of the flash log format v2 (shared/vectors/log_v2.json, made by
# tools/make_log_vectors.py), in MicroPython on both targets: writing the vectors'
# records gives their bytes exactly, and their bytes read back as the same records a
# v1 log of those records serves. tests/firmware/test_log_vectors.py runs the same on
# CPython.
import json
import os

from wlfw.recordlog import RecordLog
from wlproto.const import RECORD_SIZE
from wlproto.fields import EPOCH_TABLE

VECTORS = "/vectors/log_v2.json"
_n = [0]


def fresh(root="/logvec"):
    _n[0] += 1
    d = root + str(_n[0])
    try:
        os.mkdir(d)
    except OSError:
        pass
    for name in os.listdir(d):
        os.remove(d + "/" + name)
    return d


def write(log, steps):
    for s in steps:
        if s == "flush":
            log.flush()
        elif s[0] == "e":  # fields added after the vectors were made: their defaults
            log.append_epoch(*(list(s[1:]) + [f[5] for f in EPOCH_TABLE[len(s) - 3:]]))
        else:
            log.append_event(*s[1:])
    log.flush()


def served(log):
    """Every record the log serves a sync, as (first seq, base time, slot bytes)."""
    out = []
    buf = bytearray(64 * RECORD_SIZE)
    seq = 0
    while True:
        first, n, base = log.read_into(seq, buf, 64)
        if n == 0:
            return out
        out.append((first, base, bytes(buf[:n * RECORD_SIZE])))
        seq = first + n


def load():
    with open(VECTORS) as f:
        return json.load(f)


def segments(d):
    out = {}
    for name in sorted(os.listdir(d)):
        if name.endswith(".wls"):
            with open(d + "/" + name, "rb") as f:
                out[name] = f.read()
    return out


def test_writing_gives_the_vector_bytes():
    vec = load()
    for case in vec["cases"]:
        d = fresh()
        log = RecordLog(d, coded=True, epoch_s=vec["epoch_s"])
        write(log, case["steps"])
        got = segments(d)
        assert sorted(got) == sorted(case["segments"]), case["name"]
        for name, data in got.items():
            assert data == bytes.fromhex(case["segments"][name]), (case["name"], name)
        assert log.bytes_written == case["bytes_written"], case["name"]


def test_vector_bytes_read_back_as_the_records():
    vec = load()
    for case in vec["cases"]:
        d = fresh()
        for name, hexdata in case["segments"].items():
            with open(d + "/" + name, "wb") as f:
                f.write(bytes.fromhex(hexdata))
        log = RecordLog(d)
        assert log.recovered_bytes == 0, case["name"]
        ref = RecordLog(fresh(), coded=False)  # the same records as v1 chunks
        write(ref, case["steps"])
        assert log.next_seq == ref.next_seq, case["name"]
        assert served(log) == served(ref), case["name"]
