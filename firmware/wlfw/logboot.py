# The record log's boot-only code: verify every segment, cut unfinished writes,
# read the acknowledgement. wlfw.recordlog loads this module at boot (and after a
# failed write, to repair the segment) and drops it from sys.modules straight after,
# so its code is collected instead of sitting on the heap between boots.
import struct

from wlfw.recordlog import (
    ACK_NAME,
    CRC_SIZE,
    HDR_FMT,
    HDR_SIZE,
    MAGIC,
    MAGIC2,
    SEG_EXT,
    TMP_EXT,
)
from wlproto.crc import crc32

FIRST_MAGIC = 0xC5  # the v1 records' raw chunk; FIRST_MAGIC .. MAGIC - 1: older layouts


def recover(log):
    fs = log.fs
    segs = []
    for name in fs.listdir(log.dir):
        if name.endswith(TMP_EXT):
            fs.remove(log._path(name))  # an interrupted rewrite: the original stands
        elif name.endswith(SEG_EXT) and len(name) == 10 + len(SEG_EXT):
            try:
                segs.append(int(name[:10]))
            except ValueError:
                pass
    segs.sort()
    log.acked_seq = _read_ack(log)
    expect = None
    kept = []
    for first in segs:
        good, nxt, fseq = scan(log, first, expect)
        if good < 0:  # written in an older record layout: a firmware update added a field
            from wlfw import logupgrade

            logupgrade.upgrade(log, log._seg_path(first))
            good, nxt, fseq = scan(log, first, expect)
        if good == 0:
            fs.remove(log._seg_path(first))
            continue
        if fseq != first:  # name and content disagree: trust the content
            fs.rename(log._seg_path(first), log._seg_path(fseq))
        kept.append(fseq)
        expect = nxt
        log._cur_size = good
    log._segs = kept
    nxt = expect if expect is not None else 0
    # never reuse a sequence number the companion may already hold
    if log.acked_seq > nxt:
        nxt = log.acked_seq
    log.next_seq = nxt
    log.oldest_seq = kept[0] if kept else nxt
    if not kept:
        log._cur_size = 0


def _read_ack(log):
    try:
        f = log.fs.open(log._path(ACK_NAME), "rb")
    except OSError:
        return 0
    try:
        b = f.read(8)
    finally:
        f.close()
    if len(b) != 8:
        return 0
    seq, c = struct.unpack("<II", b)
    return seq if crc32(b[:4]) == c else 0


def scan(log, first, expect):
    """Verify one segment: (good bytes, next seq, first seq); truncate the rest."""
    path = log._seg_path(first)
    chunk = log._chunk
    mv = memoryview(chunk)
    good = 0
    fseq = None
    nxt = expect
    total = 0
    f = log.fs.open(path, "rb")
    try:
        while True:
            n = f.readinto(mv[:HDR_SIZE])
            if n is None:
                n = 0
            total += n
            if n < HDR_SIZE:
                break
            magic, count, cfirst, _ = struct.unpack_from(HDR_FMT, chunk, 0)
            if (magic != MAGIC and magic != MAGIC2) or count < 1 or count > log.cap:
                if good == 0 and FIRST_MAGIC <= magic < MAGIC:  # older layout: logupgrade
                    return -1, expect, None
                break
            if fseq is not None and cfirst != nxt:
                break  # not the chunk that follows: not one we wrote after this
            if fseq is None and expect is not None and cfirst < expect:
                break  # overlaps the previous segment
            hsize, blen = log._body(f, magic, count)
            total += log._extra
            if hsize == 0:
                break
            body = blen + CRC_SIZE
            n = f.readinto(mv[hsize:hsize + body])
            if n is None:
                n = 0
            total += n
            if n < body:
                break
            end = hsize + blen
            (c,) = struct.unpack_from("<I", chunk, end)
            if crc32(mv[:end]) != c:
                break
            if fseq is None:
                fseq = cfirst
            good += hsize + body
            nxt = cfirst + count
        # anything after the last good chunk is an unfinished write
        while True:
            n = f.readinto(mv)
            if not n:
                break
            total += n
    finally:
        f.close()
    if 0 < good < total:
        _truncate(log, path, good)
    log.recovered_bytes += total - good
    return good, nxt, fseq


def _truncate(log, path, size):
    """Keep the first size bytes: copy them to a temp file, rename over."""
    tmp = path + TMP_EXT
    mv = memoryview(log._chunk)
    src = log.fs.open(path, "rb")
    try:
        dst = log.fs.open(tmp, "wb")
        try:
            left = size
            while left:
                k = left if left < len(mv) else len(mv)
                src.readinto(mv[:k])
                dst.write(mv[:k])
                left -= k
        finally:
            dst.close()
    finally:
        src.close()
    log.fs.rename(tmp, path)
