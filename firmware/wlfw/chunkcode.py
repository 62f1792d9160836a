# Log format v2: the records of one flash chunk coded as changes (bench/logcoding.py
# measured this coding best on the VM: 67 days/MiB against 31 for raw records).
#
# Input and output are the wire's fixed-size record slots (wlproto.fields), so
# the log keeps serving 11-byte records to the sync engine. Per record:
#   mask (MASK_BYTES, little-endian): bit 0 kind_flags follows (it changed, or the
#   record is an event), bit 1 t_off is not the previous epoch's + step (a zigzag
#   varint of the difference follows), bit 2 + j field j of EPOCH_TABLE changed
#   (a zigzag varint of the change follows).
#   An event: mask 1, kind_flags, a varint of t_off - (previous epoch's t_off),
#   then its RECORD_SIZE - 3 bytes as they are.
# Every chunk starts from zero state, so a chunk decodes on its own.
import struct

from wlproto.const import KIND_EPOCH, KIND_SHIFT, RECORD_SIZE
from wlproto.fields import EPOCH_FMT, EPOCH_SIZE, EPOCH_TABLE

NF = len(EPOCH_TABLE)
MASK_BYTES = (NF + 2 + 7) // 8
_RAW = RECORD_SIZE - 3  # an event's bytes after kind_flags and t_off
# one record's largest coding (mask, kind_flags, t_off, then an epoch's changes or an
# event's bytes): a change of a 32-bit field is a varint of up to 5 bytes, of a
# narrower one (and of t_off) up to 3
WORST = 0
for _f in EPOCH_TABLE:
    WORST += 5 if _f[1] in "iI" else 3
WORST = MASK_BYTES + 4 + (WORST if WORST > _RAW else _RAW)
# the layout decode reads (a boot-time log upgrade passes an older one: wlfw.logupgrade)
CUR = (NF, MASK_BYTES, EPOCH_FMT, RECORD_SIZE, EPOCH_SIZE)


def _put(dst, i, v):
    v = v + v if v >= 0 else -v - v - 1  # zigzag
    while v >= 0x80:
        dst[i] = (v & 0x7F) | 0x80
        i += 1
        v >>= 7
    dst[i] = v
    return i + 1


def _get(src, i):
    v = 0
    shift = 0
    while True:
        b = src[i]
        i += 1
        v |= (b & 0x7F) << shift
        if b < 0x80:
            break
        shift += 7
    return (v >> 1) ^ -(v & 1), i


def encode(src, n, step, dst, off, limit, prev):
    """Code n record slots of src into dst[off:]; the coded length, or -1 when it
    would pass limit bytes (the caller then writes the records raw). prev: a
    preallocated list of 1 + NF ints (the caller's, so nothing is allocated here
    but the unpacked tuples)."""
    for j in range(NF + 1):
        prev[j] = 0
    prev[0] = -step
    prev_kf = -1
    i = off
    end = off + limit
    o = 0
    for _ in range(n):
        if i + WORST > end:
            return -1
        kf = src[o]
        if (kf >> KIND_SHIFT) != KIND_EPOCH:
            dst[i] = 1
            for b in range(1, MASK_BYTES):
                dst[i + b] = 0
            i += MASK_BYTES
            dst[i] = kf
            t = src[o + 1] | (src[o + 2] << 8)
            i = _put(dst, i + 1, t - prev[0])
            prev[0] = t - step
            dst[i:i + _RAW] = src[o + 3:o + RECORD_SIZE]
            i += _RAW
            prev_kf = -1
            o += RECORD_SIZE
            continue
        f = struct.unpack_from(EPOCH_FMT, src, o)
        at = i
        i += MASK_BYTES
        m = 0
        if kf != prev_kf:
            m = 1
            dst[i] = kf
            i += 1
        d = f[1] - prev[0] - step
        if d:
            m |= 2
            i = _put(dst, i, d)
        prev[0] = f[1]
        for j in range(NF):
            d = f[j + 2] - prev[j + 1]
            if d:
                m |= 4 << j
                i = _put(dst, i, d)
                prev[j + 1] = f[j + 2]
        for b in range(MASK_BYTES):
            dst[at + b] = (m >> (8 * b)) & 0xFF
        prev_kf = kf
        o += RECORD_SIZE
    return i - off


def decode(src, i, n, step, dst, dst_off, skip, take, prev, lay=CUR):
    """Decode the n coded records at src[i:]; write records skip .. skip+take-1 as
    record slots at dst[dst_off:]. prev: as for encode (nf + 1 ints for an older
    layout lay = (nf, mask bytes, epoch format, record size, epoch size))."""
    nf, mb, fmt, rs, es = lay
    raw = rs - 3
    for j in range(nf + 1):
        prev[j] = 0
    prev[0] = -step
    kf = -1
    o = dst_off
    stop = skip + take
    if stop > n:
        stop = n
    for k in range(stop):
        m = 0
        for b in range(mb):
            m |= src[i + b] << (8 * b)
        i += mb
        if m & 1:
            kf = src[i]
            i += 1
        if (kf >> KIND_SHIFT) != KIND_EPOCH:
            d, i = _get(src, i)
            t = prev[0] + d
            if k >= skip:
                dst[o] = kf
                dst[o + 1] = t & 0xFF
                dst[o + 2] = t >> 8
                dst[o + 3:o + rs] = src[i:i + raw]
                o += rs
            i += raw
            prev[0] = t - step
            kf = -1
            continue
        t = prev[0] + step
        if m & 2:
            d, i = _get(src, i)
            t += d
        prev[0] = t
        for j in range(nf):
            if m & (4 << j):
                d, i = _get(src, i)
                prev[j + 1] += d
        if k >= skip:
            struct.pack_into(fmt, dst, o, kf, *prev)
            for q in range(o + es, o + rs):  # padding, when events are the longer
                dst[q] = 0
            o += rs
    return (o - dst_off) // rs
