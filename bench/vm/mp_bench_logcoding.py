# Denser record log (issue 18 item 2): per-chunk delta/zigzag-varint coding against
# deflate, measured in MicroPython (bench/logcoding.py runs it on both targets).
# Input /t/chunks.bin: per flash chunk of the v1 log, <B count> + count * 11-byte records.
# Every coding is decoded again and compared with the input: a size only counts if it
# round-trips. Prints one "@@BENCH " + JSON line.
import io
import json
import struct
from time import ticks_diff, ticks_us

import deflate

REC = 11
EPOCH_FMT = "<BHHHbBBb"  # wlproto.records: kind_flags, t_off, enmo, mad, z, dang, steps, temp
KIND_EPOCH = 0  # kind in the top bits of kind_flags (wlproto.const KIND_SHIFT)
WBITS = 9  # 512-byte window: what a board can spare per chunk


def _kind(b):
    return b >> 6


def _put(out, v):
    v = (v << 1) ^ (v >> 31)  # zigzag (fields fit in 32 bits)
    v &= 0xFFFFFFFF
    while v >= 0x80:
        out.append((v & 0x7F) | 0x80)
        v >>= 7
    out.append(v)


def _get(buf, i):
    v = 0
    shift = 0
    while True:
        b = buf[i]
        i += 1
        v |= (b & 0x7F) << shift
        if b < 0x80:
            break
        shift += 7
    return (v >> 1) ^ -(v & 1), i


def delta_encode(recs, n):
    """kind_flags raw; epochs: every field as a zigzag varint of its change from the
    previous epoch in the chunk; events: t_off delta, then their 8 bytes raw."""
    out = bytearray()
    prev = (0, 0, 0, 0, 0, 0, 0)
    prev_t = 0
    for k in range(n):
        o = k * REC
        kf = recs[o]
        out.append(kf)
        if _kind(kf) == KIND_EPOCH:
            f = struct.unpack_from(EPOCH_FMT, recs, o)[1:]
            for j in range(7):
                _put(out, f[j] - prev[j])
            prev = f
            prev_t = f[0]
        else:
            t = recs[o + 1] | (recs[o + 2] << 8)
            _put(out, t - prev_t)
            prev_t = t
            out += recs[o + 3:o + REC]
    return out


def delta_decode(buf, n):
    out = bytearray(n * REC)
    prev = [0, 0, 0, 0, 0, 0, 0]
    prev_t = 0
    i = 0
    for k in range(n):
        o = k * REC
        kf = buf[i]
        i += 1
        if _kind(kf) == KIND_EPOCH:
            for j in range(7):
                d, i = _get(buf, i)
                prev[j] += d
            struct.pack_into(EPOCH_FMT, out, o, kf, prev[0], prev[1], prev[2], prev[3], prev[4],
                             prev[5], prev[6])
            prev_t = prev[0]
        else:
            d, i = _get(buf, i)
            prev_t += d
            out[o] = kf
            out[o + 1] = prev_t & 0xFF
            out[o + 2] = prev_t >> 8
            out[o + 3:o + REC] = buf[i:i + 8]
            i += 8
    return out


def mask_encode(recs, n, epoch_s=30):
    """One mask byte per record says what changed from the previous epoch in the chunk:
    bit 0 kind_flags (then the byte follows), bit 1 t_off other than +epoch_s, bits 2-7
    enmo, mad, z, dang, steps, temp (a zigzag varint of the change follows each set bit).
    An event is bit 0 + its kind_flags, a t_off delta and its 8 bytes raw."""
    out = bytearray()
    prev = [0, 0, 0, 0, 0, 0, 0]
    prev[0] = -epoch_s
    prev_kf = -1
    for k in range(n):
        o = k * REC
        kf = recs[o]
        if _kind(kf) != KIND_EPOCH:
            out.append(1)
            out.append(kf)
            t = recs[o + 1] | (recs[o + 2] << 8)
            _put(out, t - prev[0])
            prev[0] = t - epoch_s  # the next epoch's t_off is measured from here
            out += recs[o + 3:o + REC]
            prev_kf = -1
            continue
        f = struct.unpack_from(EPOCH_FMT, recs, o)[1:]
        at = len(out)
        out.append(0)
        m = 0
        if kf != prev_kf:
            m = 1
            out.append(kf)
        if f[0] != prev[0] + epoch_s:
            m |= 2
            _put(out, f[0] - prev[0] - epoch_s)
        for j in range(1, 7):
            if f[j] != prev[j]:
                m |= 1 << (j + 1)
                _put(out, f[j] - prev[j])
        out[at] = m
        prev = list(f)
        prev_kf = kf
    return out


def mask_decode(buf, n, epoch_s=30):
    out = bytearray(n * REC)
    prev = [0, 0, 0, 0, 0, 0, 0]
    prev[0] = -epoch_s
    prev_kf = -1
    i = 0
    for k in range(n):
        o = k * REC
        m = buf[i]
        i += 1
        kf = prev_kf
        if m & 1:
            kf = buf[i]
            i += 1
        if _kind(kf) != KIND_EPOCH:
            d, i = _get(buf, i)
            t = prev[0] + d
            out[o] = kf
            out[o + 1] = t & 0xFF
            out[o + 2] = t >> 8
            out[o + 3:o + REC] = buf[i:i + 8]
            i += 8
            prev[0] = t - epoch_s
            prev_kf = -1
            continue
        t = prev[0] + epoch_s
        if m & 2:
            d, i = _get(buf, i)
            t += d
        prev[0] = t
        for j in range(1, 7):
            if m & (1 << (j + 1)):
                d, i = _get(buf, i)
                prev[j] += d
        struct.pack_into(EPOCH_FMT, out, o, kf, prev[0], prev[1], prev[2], prev[3], prev[4],
                         prev[5], prev[6])
        prev_kf = kf
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
    res = {"chunks": len(chunks), "records": 0, "raw": 0}
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
        t = ticks_us()
        mk = mask_encode(recs, n)
        t1 = ticks_us()
        back = mask_decode(mk, n)
        t2 = ticks_us()
        assert back == recs, "mask coding did not round-trip"
        res["mask"] += len(mk)
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
