# After a firmware update that changed the record layout (a field added to
# wlproto.fields, so a new protocol version): rewrite each log segment written in
# an older layout into the current one, so nothing recorded before the update is
# lost. Loaded by wlfw.logboot at boot only when it meets such a segment, and
# dropped after it.
#
# A chunk's magic names its layout (wlfw.recordlog: 0xC3 + 2 * version, +1 when
# coded). Each good chunk is decoded in its own layout, every record gets the
# default of each field its version lacks, and the chunk is written again in the
# current layout (coded when that is smaller, as RecordLog.flush does), with its
# sequence numbers and base time. The new segment goes to a temporary file renamed
# over the old one: a power cut leaves the old segment, rewritten at the next boot.
# Chunks after the first bad one are an unfinished write and are left out, as the
# boot scan would cut them.
import struct

from wlfw import chunkcode
from wlfw.logboot import FIRST_MAGIC
from wlfw.recordlog import CRC_SIZE, HDR_FMT, HDR_SIZE, MAGIC, MAGIC2, TMP_EXT
from wlproto.crc import crc32
from wlproto.fields import (
    EPOCH_FMT,
    EPOCH_TABLE,
    EVENT_FMT,
    EVENT_TABLE,
    KIND_EPOCH,
    KIND_SHIFT,
    RECORD_SIZE,
)
from wlproto.layouts import layout


def upgrade(log, path):
    """Rewrite the segment at path in the current layout; returns chunks rewritten."""
    fs = log.fs
    tmp = path + TMP_EXT
    hdr = bytearray(HDR_SIZE + 3)
    done = 0
    src = fs.open(path, "rb")
    try:
        dst = fs.open(tmp, "wb")
        try:
            while True:
                if src.readinto(memoryview(hdr)[:HDR_SIZE]) != HDR_SIZE:
                    break
                magic, n, first, base = struct.unpack_from(HDR_FMT, hdr, 0)
                rel = magic - (FIRST_MAGIC - 2)
                version = rel >> 1
                coded = rel & 1
                if magic < FIRST_MAGIC or magic > MAGIC2 or n < 1:
                    break
                ep, ev, efmt, vfmt, size = layout(version)
                hsize = HDR_SIZE
                if coded:
                    if src.readinto(memoryview(hdr)[HDR_SIZE:]) != 3:
                        break
                    hsize += 3
                    blen = hdr[HDR_SIZE + 1] | (hdr[HDR_SIZE + 2] << 8)
                else:
                    blen = n * size
                body = src.read(blen + CRC_SIZE)
                if body is None or len(body) != blen + CRC_SIZE:
                    break
                whole = bytes(hdr[:hsize]) + body[:blen]
                if crc32(whole) != struct.unpack_from("<I", body, blen)[0]:
                    break
                slots = bytearray(n * size)
                if coded:
                    chunkcode.decode(body, 0, n, hdr[HDR_SIZE], slots, 0, 0, n,
                                     [0] * (len(ep) + 1),
                                     (len(ep), (len(ep) + 9) // 8, efmt, size,
                                      struct.calcsize(efmt)))
                else:
                    slots[:] = body[:blen]
                dst.write(_chunk(log, n, first, base, _convert(slots, n, ep, ev, efmt, vfmt,
                                                               size)))
                done += 1
        finally:
            dst.close()
    finally:
        src.close()
    fs.rename(tmp, path)
    return done


def _convert(slots, n, ep, ev, efmt, vfmt, size):
    """n records of an older layout (size-byte slots) as current slots, each new field
    at its row's default."""
    e_new = tuple([f[5] for f in EPOCH_TABLE[len(ep):]])
    v_new = tuple([f[5] for f in EVENT_TABLE[len(ev):]])
    out = bytearray(n * RECORD_SIZE)
    for k in range(n):
        o = k * size
        if (slots[o] >> KIND_SHIFT) == KIND_EPOCH:
            struct.pack_into(EPOCH_FMT, out, k * RECORD_SIZE,
                             *(struct.unpack_from(efmt, slots, o) + e_new))
        else:
            struct.pack_into(EVENT_FMT, out, k * RECORD_SIZE,
                             *(struct.unpack_from(vfmt, slots, o) + v_new))
    return out


def _chunk(log, n, first, base, recs):
    """One chunk of the current layout: coded if that saves a byte, else raw."""
    raw = n * RECORD_SIZE
    out = bytearray(HDR_SIZE + 3 + raw + CRC_SIZE)
    blen = chunkcode.encode(recs, n, log.step, out, HDR_SIZE + 3, raw - 1,
                            [0] * (chunkcode.NF + 1)) if log.coded else -1
    if blen > 0:
        struct.pack_into(HDR_FMT, out, 0, MAGIC2, n, first, base)
        out[HDR_SIZE] = log.step
        out[HDR_SIZE + 1] = blen & 0xFF
        out[HDR_SIZE + 2] = blen >> 8
        end = HDR_SIZE + 3 + blen
    else:
        struct.pack_into(HDR_FMT, out, 0, MAGIC, n, first, base)
        end = HDR_SIZE + raw
        out[HDR_SIZE:end] = recs
    struct.pack_into("<I", out, end, crc32(memoryview(out)[:end]))
    return memoryview(out)[:end + CRC_SIZE]
