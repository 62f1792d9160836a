# Append-only, power-safe record log in a directory of segment files.
#
# Segment file "<first_seq:010d>.wls" = chunks, each
#   v2: <BBIIBH magic MAGIC2, count, first_seq, base_time, step, body_len>
#       + body_len bytes of coded records (wlfw.chunkcode) + <I crc32 over both>
#   v1: <BBII magic MAGIC, count, first_seq, base_time> + count * RECORD_SIZE-byte
#       records + <I crc32 over header and records>
# The magic names the record layout too: 0xC3 + 2 * protocol version (0xC5 and
# 0xC6 for the v1 records), so chunks written before a firmware update that added
# a field are recognised at boot and rewritten in the new layout (wlfw.logupgrade).
# Records are the wire records (wlproto.fields) with t_off relative to the
# chunk's base_time. New chunks are v2 unless coding would not save a byte
# (then v1); both are read, so a log written by v1 firmware upgrades in place:
# its chunks stay as they are and new ones follow in v2.
# Records are buffered in RAM and written one chunk at a time (a full chunk,
# or earlier on flush()); a chunk is the unit of durability: on boot every
# chunk is verified and the log is truncated after
# the last good one, so a power cut loses at most the chunk being written.
# Near a full filesystem whole segments are dropped, acknowledged ones first;
# dropping unacknowledged records appends EV_LOG_FULL (never silent).
import struct

try:
    from micropython import const
except ImportError:  # CPython

    def const(x):  # type: ignore[misc]
        return x


from wlfw.errors import ConfigError, LogFullError
from wlfw.fsio import OsFs
from wlproto.const import EV_LOG_FULL, FLAG_CLOCK_UNSET, PROTOCOL_VERSION, RECORD_SIZE, U16_MAX
from wlproto.crc import crc32
from wlproto.fields import pack_epoch_into, pack_event_into

MAGIC = 0xC3 + 2 * PROTOCOL_VERSION  # v1 chunk: raw record slots (0xC5 for v1 records)
MAGIC2 = MAGIC + 1  # v2 chunk: coded records
HDR_FMT = const("<BBII")
HDR_SIZE = const(10)
_HDR2_SIZE = const(13)  # HDR_FMT + <BH step, body_len
CRC_SIZE = const(4)
CHUNK_RECORDS = 32
_SEGMENT_BYTES = const(16384)
SEG_EXT = ".wls"
ACK_NAME = const("ack")
TMP_EXT = const(".tmp")
_BASE_SLACK = const(600)  # records up to 10 min older than the first buffered one share its chunk


def chunk_bytes(count):
    """The largest chunk of count records (v1, raw: v2 is written only when smaller)."""
    return HDR_SIZE + count * RECORD_SIZE + CRC_SIZE


def _boot():
    """wlfw.logboot: the scan and repair code, needed at boot and after a failed write."""
    from wlfw import logboot

    return logboot


def _drop_boot():
    """Unload wlfw.logboot so its code is collected (it is not needed between boots)."""
    import sys

    import wlfw

    sys.modules.pop("wlfw.logboot", None)
    if hasattr(wlfw, "logboot"):  # a package keeps its imported submodules
        delattr(wlfw, "logboot")


class RecordLog:
    """Records with increasing sequence numbers, kept until the filesystem fills."""

    def __init__(self, directory, fs=None, chunk_records=CHUNK_RECORDS,
                 segment_bytes=_SEGMENT_BYTES, reserve_bytes=None, epoch_s=30, coded=True):
        if not (1 <= chunk_records <= 255):
            raise ConfigError("chunk_records must be 1..255, got %d" % chunk_records)
        if segment_bytes < chunk_bytes(chunk_records):
            raise ConfigError("segment_bytes %d cannot hold one chunk of %d bytes"
                              % (segment_bytes, chunk_bytes(chunk_records)))
        self.dir = directory
        self.fs = fs if fs is not None else OsFs()
        self.cap = chunk_records
        self.segment_bytes = segment_bytes
        # keep this much free: room for the next chunk plus littlefs's own blocks
        self.reserve = reserve_bytes if reserve_bytes is not None else 2 * segment_bytes
        self.step = epoch_s if 0 < epoch_s < 256 else 0  # the epoch time v2 predicts
        # write v2 chunks (coded=False: v1 only, as firmware before v2 wrote them);
        # both are read either way
        self.coded = coded
        self._cc = None  # wlfw.chunkcode, loaded when first needed
        self._prev = None  # the coder's state
        self._extra = 0
        self._chunk = bytearray(chunk_bytes(chunk_records) + _HDR2_SIZE - HDR_SIZE)
        self._buf = bytearray(chunk_records * RECORD_SIZE)
        self._bn = 0  # records buffered in RAM
        self._bbase = 0  # their base time
        self._segs = []  # first seq of each segment, oldest first
        self._cur_size = 0  # bytes in the newest segment
        self.oldest_seq = 0
        self.next_seq = 0
        self.acked_seq = 0
        self.dropped = 0  # unacknowledged records ever dropped for space
        self.chunks_written = 0
        self.bytes_written = 0
        self.recovered_bytes = 0  # bytes cut off at boot (unfinished writes)
        self._last_time = 0
        self._last_flags = 0
        self._recover()

    # --- paths ------------------------------------------------------------
    def _path(self, name):
        return self.dir + "/" + name

    def _seg_path(self, first):
        return self._path("%010d%s" % (first, SEG_EXT))

    # --- boot recovery (wlfw.logboot: loaded at boot, dropped after) ----------
    def _recover(self):
        _boot().recover(self)
        _drop_boot()

    def _coder(self):
        if self._cc is None:
            from wlfw import chunkcode

            self._cc = chunkcode
            self._prev = [0] * (chunkcode.NF + 1)
        return self._cc

    def _body(self, f, magic, count):
        """After a chunk's first HDR_SIZE bytes: (header size, body length), (0, 0)
        if the header is cut or names an impossible body."""
        self._extra = 0  # header bytes read here
        if magic == MAGIC:
            return HDR_SIZE, count * RECORD_SIZE
        mv = memoryview(self._chunk)
        n = f.readinto(mv[HDR_SIZE:_HDR2_SIZE])
        self._extra = n or 0
        if n != _HDR2_SIZE - HDR_SIZE:
            return 0, 0
        blen = self._chunk[HDR_SIZE + 1] | (self._chunk[HDR_SIZE + 2] << 8)
        if blen < 1 or blen >= count * RECORD_SIZE:
            return 0, 0
        return _HDR2_SIZE, blen

    # --- appending -----------------------------------------------------------
    def _slot(self, t, flags):
        """Offset for a record at time t in the RAM buffer (flushing if needed)."""
        self._last_time = t
        self._last_flags = flags & FLAG_CLOCK_UNSET
        if self._bn >= self.cap:
            self.flush()
        elif self._bn and not (0 <= t - self._bbase <= U16_MAX):
            self.flush()
        if self._bn == 0:
            self._bbase = t - _BASE_SLACK if t > _BASE_SLACK else 0
        if self._bn >= self.cap:  # flush could not write
            raise LogFullError("log full: %d records wait in RAM and the filesystem has no "
                               "room; sync with the companion to free space" % self._bn)
        return self._bn * RECORD_SIZE

    def append_epoch(self, time, flags, *values):
        """One epoch: values in the field table's order (wlproto.fields.EPOCH_TABLE)."""
        off = self._slot(time, flags)
        pack_epoch_into(self._buf, off, flags, time - self._bbase, *values)
        return self._commit()

    def append_record(self, rec):
        """An Epoch (as Features.end_epoch returns it, time set); its sequence number."""
        return self.append_epoch(rec.time, rec.flags, *rec.values())

    def append_event(self, time, flags, etype, value=0, arg=0, aux=0):
        off = self._slot(time, flags)
        pack_event_into(self._buf, off, flags, time - self._bbase, etype, value, arg, aux)
        return self._commit()

    def _commit(self):
        seq = self.next_seq
        self._bn += 1
        self.next_seq = seq + 1
        return seq

    @property
    def buffered(self):
        """Records in RAM, not yet on flash (lost by a power cut)."""
        return self._bn

    def flush(self):
        """Write the buffered records as one chunk. Idempotent when empty."""
        n = self._bn
        if n == 0:
            return
        first = self.next_seq - n
        chunk = self._chunk
        raw = n * RECORD_SIZE
        blen = -1
        if self.coded:
            blen = self._coder().encode(self._buf, n, self.step, chunk, _HDR2_SIZE, raw - 1,
                                    self._prev)
        if blen > 0:
            struct.pack_into(HDR_FMT, chunk, 0, MAGIC2, n, first, self._bbase)
            chunk[HDR_SIZE] = self.step
            chunk[HDR_SIZE + 1] = blen & 0xFF
            chunk[HDR_SIZE + 2] = blen >> 8
            end = _HDR2_SIZE + blen
        else:
            struct.pack_into(HDR_FMT, chunk, 0, MAGIC, n, first, self._bbase)
            end = HDR_SIZE + raw
            chunk[HDR_SIZE:end] = memoryview(self._buf)[:raw]
        struct.pack_into("<I", chunk, end, crc32(memoryview(chunk)[:end]))
        size = end + CRC_SIZE
        lost = self._make_room(size)
        if not self._segs or self._cur_size + size > self.segment_bytes:
            self._segs.append(first)
            self._cur_size = 0
            if len(self._segs) == 1:
                self.oldest_seq = first
        path = self._seg_path(self._segs[-1])
        try:
            f = self.fs.open(path, "ab")
            try:
                f.write(memoryview(chunk)[:size])
            finally:
                f.close()
        except OSError:
            # out of space mid-chunk: cut the partial chunk off, keep the records in RAM
            self._repair_current()
            raise LogFullError("could not write %d records: filesystem full" % n) from None
        self._cur_size += size
        self._bn = 0
        self.chunks_written += 1
        self.bytes_written += size
        if lost:
            self.append_event(self._last_time, self._last_flags, EV_LOG_FULL, 0,
                              self.oldest_seq, lost if lost < U16_MAX else U16_MAX)
            self.flush()

    def _repair_current(self):
        if not self._segs:
            return
        first = self._segs[-1]
        try:
            good = _boot().scan(self, first, None)[0]
        except OSError:
            good = 0  # never created
        _drop_boot()
        if good == 0:
            try:
                self.fs.remove(self._seg_path(first))
            except OSError:
                pass
            self._segs.pop()
            self._cur_size = 0
        else:
            self._cur_size = good

    def free_bytes(self):
        st = self.fs.statvfs(self.dir)
        return st[1] * st[4]

    def _make_room(self, size):
        """Drop oldest segments while space is short; returns unacked records dropped."""
        lost = 0
        while len(self._segs) > 1 and self.free_bytes() < self.reserve + size:
            first = self._segs.pop(0)
            nxt = self._segs[0]
            if nxt > self.acked_seq:
                a = first if first > self.acked_seq else self.acked_seq
                lost += nxt - a
            self.fs.remove(self._seg_path(first))
            self.oldest_seq = nxt
        self.dropped += lost
        return lost

    # --- acknowledgement -------------------------------------------------------
    def ack(self, seq):
        """All records < seq are stored by the companion (persisted atomically)."""
        if seq > self.next_seq:
            seq = self.next_seq
        if seq <= self.acked_seq:
            return self.acked_seq
        b = bytearray(8)
        struct.pack_into("<II", b, 0, seq, crc32(struct.pack("<I", seq)))
        tmp = self._path(ACK_NAME + TMP_EXT)
        f = self.fs.open(tmp, "wb")
        try:
            f.write(b)
        finally:
            f.close()
        self.fs.rename(tmp, self._path(ACK_NAME))
        self.acked_seq = seq
        return seq

    # --- reading -----------------------------------------------------------------
    def read_into(self, from_seq, buf, max_count):
        """Copy up to max_count consecutive records from max(from_seq, oldest_seq).

        Returns (first_seq, count, base_time); each copied record's time is
        rebased to base_time. Buffered records are flushed first, so whatever
        is served is on flash and a sequence number is never reused.
        """
        if from_seq < self.oldest_seq:
            from_seq = self.oldest_seq
        if self._bn and from_seq + max_count > self.next_seq - self._bn:
            self.flush()
        if from_seq >= self.next_seq or max_count <= 0 or not self._segs:
            return from_seq, 0, 0
        segs = self._segs
        i = len(segs) - 1
        while i > 0 and segs[i] > from_seq:
            i -= 1
        count = 0
        base = None
        first = from_seq
        chunk = self._chunk
        mv = memoryview(chunk)
        while i < len(segs) and count < max_count:
            f = self.fs.open(self._seg_path(segs[i]), "rb")
            try:
                while count < max_count:
                    if f.readinto(mv[:HDR_SIZE]) != HDR_SIZE:
                        break
                    magic, n, cfirst, cbase = struct.unpack_from(HDR_FMT, chunk, 0)
                    hsize, blen = self._body(f, magic, n)
                    if hsize == 0:
                        break
                    body = blen + CRC_SIZE
                    want = first + count
                    if cfirst + n <= want:
                        f.seek(body, 1)
                        continue
                    if cfirst > want:
                        if count == 0:  # a gap (damaged segment): start after it
                            first = cfirst
                            want = cfirst
                        else:
                            return first, count, base
                    f.readinto(mv[hsize:hsize + body])
                    end = hsize + blen
                    if crc32(mv[:end]) != struct.unpack_from("<I", chunk, end)[0]:
                        return first, count, base if base is not None else 0
                    if base is None:
                        base = cbase
                    j = want - cfirst
                    k = n - j
                    if k > max_count - count:
                        k = max_count - count
                    # one copy (or decode) per chunk, then rebase each record in place
                    dst = count * RECORD_SIZE
                    if magic == MAGIC:
                        src = HDR_SIZE + j * RECORD_SIZE
                        buf[dst:dst + k * RECORD_SIZE] = mv[src:src + k * RECORD_SIZE]
                    else:
                        self._coder().decode(chunk, _HDR2_SIZE, n, chunk[HDR_SIZE], buf, dst, j, k,
                                         self._prev)
                    shift = cbase - base  # small: rebase with small ints only
                    for _ in range(k):
                        t = buf[dst + 1] + (buf[dst + 2] << 8) + shift
                        if not (0 <= t <= U16_MAX):
                            return first, count, base
                        buf[dst + 1] = t & 0xFF
                        buf[dst + 2] = t >> 8
                        count += 1
                        dst += RECORD_SIZE
            finally:
                f.close()
            i += 1
        return first, count, base if base is not None else 0
