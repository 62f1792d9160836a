# Denser record log (issue 18 item 2): the firmware's own v2 coder (wlfw.chunkcode, the
# changed-field mask) beside the alternatives that were not built (every field as a
# varint of its change; deflate; both), measured in MicroPython (bench/logcoding.py runs
# it on both targets). The alternatives use the coder's own zigzag varint.
# Input /t/chunks.bin: per flash chunk of the log, <B count> + count * 11-byte records.
# Every coding is decoded again and compared with the input: a size only counts if it
# round-trips. Prints one "@@BENCH " + JSON line.
import io
import json
import struct
from time import ticks_diff, ticks_us

import deflate

from wlfw import chunkcode
from wlfw.recordlog import chunk_bytes
from wlproto.const import KIND_EPOCH, KIND_SHIFT, RECORD_SIZE
from wlproto.fields import EPOCH_FMT

REC = RECORD_SIZE
NF = chunkcode.NF
WBITS = 9  # 512-byte window: what a board can spare per chunk
V2_HEADER = 13  # wlfw.recordlog: <BBIIBH magic, count, first_seq, base_time, step, length>
CRC = 4


def _kind(b):
    return b >> KIND_SHIFT


def delta_encode(recs, n):
    """kind_flags raw; epochs: every field as a zigzag varint of its change from the
    previous epoch in the chunk; events: t_off delta, then their bytes raw."""
    out = bytearray(n * (1 + 3 * (NF + 1)) + n * REC)
    i = 0
    prev = [0] * (NF + 1)
    prev_t = 0
    for k in range(n):
        o = k * REC
        kf = recs[o]
        out[i] = kf
        i += 1
        if _kind(kf) == KIND_EPOCH:
            f = struct.unpack_from(EPOCH_FMT, recs, o)[1:]
            for j in range(NF + 1):
                i = chunkcode._put(out, i, f[j] - prev[j])
                prev[j] = f[j]
            prev_t = f[0]
        else:
            t = recs[o + 1] | (recs[o + 2] << 8)
            i = chunkcode._put(out, i, t - prev_t)
            prev_t = t
            out[i:i + REC - 3] = recs[o + 3:o + REC]
            i += REC - 3
    return out[:i]


def delta_decode(buf, n):
    out = bytearray(n * REC)
    prev = [0] * (NF + 1)
    prev_t = 0
    i = 0
    for k in range(n):
        o = k * REC
        kf = buf[i]
        i += 1
        if _kind(kf) == KIND_EPOCH:
            for j in range(NF + 1):
                d, i = chunkcode._get(buf, i)
                prev[j] += d
            struct.pack_into(EPOCH_FMT, out, o, kf, *prev)
            prev_t = prev[0]
        else:
            d, i = chunkcode._get(buf, i)
            prev_t += d
            out[o] = kf
            out[o + 1] = prev_t & 0xFF
            out[o + 2] = prev_t >> 8
            out[o + 3:o + REC] = buf[i:i + REC - 3]
            i += REC - 3
    return out


def deflate_encode(data):
    s = io.BytesIO()
    d = deflate.DeflateIO(s, deflate.RAW, WBITS)
    d.write(data)
    d.close()
    return s.getvalue()


def deflate_decode(data):
    return deflate.DeflateIO(io.BytesIO(data), deflate.RAW, WBITS).read()


def measure(path):
    with open(path, "rb") as f:
        blob = f.read()
    chunks = []
    i = 0
    while i < len(blob):
        n = blob[i]
        chunks.append((n, blob[i + 1:i + 1 + n * REC]))
        i += 1 + n * REC
    res = {"chunks": len(chunks), "records": 0, "raw": 0, "v2_chunk_bytes": 0,
           "v2_raw_chunks": 0}
    prev = [0] * (NF + 1)
    coded = bytearray(255 * REC)
    for name in ("delta", "mask", "deflate", "delta_deflate"):
        res[name] = 0
        res[name + "_enc_us"] = 0
        res[name + "_dec_us"] = 0
    for n, recs in chunks:
        res["records"] += n
        res["raw"] += len(recs)
        t = ticks_us()
        d = delta_encode(recs, n)
        t1 = ticks_us()
        back = delta_decode(d, n)
        t2 = ticks_us()
        assert back == recs, "delta coding did not round-trip"
        res["delta"] += len(d)
        res["delta_enc_us"] += ticks_diff(t1, t)
        res["delta_dec_us"] += ticks_diff(t2, t1)
        # the firmware's coder, as RecordLog.flush() calls it: coded only when smaller
        # than the raw records, else the chunk is written as v1
        t = ticks_us()
        blen = chunkcode.encode(recs, n, 30, coded, 0, len(recs) - 1, prev)
        t1 = ticks_us()
        if blen > 0:
            back = bytearray(len(recs))
            chunkcode.decode(coded, 0, n, 30, back, 0, 0, n, prev)
            t2 = ticks_us()
            assert back == recs, "the firmware's v2 coding did not round-trip"
            res["mask"] += blen
            res["v2_chunk_bytes"] += V2_HEADER + blen + CRC
        else:
            t2 = t1
            res["mask"] += len(recs)
            res["v2_chunk_bytes"] += chunk_bytes(n)
            res["v2_raw_chunks"] += 1
        res["mask_enc_us"] += ticks_diff(t1, t)
        res["mask_dec_us"] += ticks_diff(t2, t1)
        for name, data in (("deflate", recs), ("delta_deflate", d)):
            if name + "_unavailable" in res:
                continue
            t = ticks_us()
            try:
                z = deflate_encode(data)
            except AttributeError:  # a build without MICROPY_PY_DEFLATE_COMPRESS
                res[name + "_unavailable"] = "deflate.DeflateIO cannot write (no compressor)"
                continue
            t1 = ticks_us()
            back = deflate_decode(z)
            t2 = ticks_us()
            assert bytes(back) == bytes(data), name + " did not round-trip"
            res[name] += len(z)
            res[name + "_enc_us"] += ticks_diff(t1, t)
            res[name + "_dec_us"] += ticks_diff(t2, t1)
    return res


def test_log_coding():
    print("@@BENCH " + json.dumps(measure("/t/chunks.bin")))
