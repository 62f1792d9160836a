# Messages on the wire.
#
#   device -> central  (notifications, cut into segments by wlproto.segments)
#     records frame  <BBBBII version, FT_RECORDS, flags, count, first_seq, base_time>
#                    + count * 11-byte records + <I crc32>
#     end frame      same header, FT_END, count 0: first_seq = next sequence to be written
#     reply          <BBBBB version, FT_REPLY, opcode, status, length> + payload + <I crc32>
#   central -> device  (control point, write with response)
#     command        <BBB version, opcode, 0> + payload (ATT writes are link-checked: no CRC)
#
# Across versions byte 0 stays the version and the last 4 bytes stay the CRC,
# so a peer can always tell "other version" from "corrupted".
import struct

from wlproto.const import (
    CRC_SIZE,
    FRAME_FLAG_DEFLATE,
    FRAME_HEADER_SIZE,
    FT_END,
    FT_RECORDS,
    FT_REPLY,
    MAX_MESSAGE_SIZE,
    MAX_RECORDS_PER_FRAME,
    PROTOCOL_VERSION,
    RECORD_SIZE,
    REPLY_HEADER_SIZE,
    U16_MAX,
)
from wlproto.crc import crc32
from wlproto.errors import (
    CrcError,
    EncodeError,
    MalformedError,
    OversizeError,
    TruncatedError,
    VersionError,
)

# The device's half (what the sync engine loads), re-exported for the companion.
from wlproto.wire import (  # noqa: F401
    COMMAND_PAYLOAD,
    FRAME_HEADER_FMT,
    MAX_REPLY_PAYLOAD,
    REPLY_HEADER_FMT,
    STATUS_FMT,
    STATUS_SIZE,
    decode_command,
    encode_command,
    encode_reply,
    encode_status,
    frame_into,
    parse_read,
    parse_u32,
    read_payload,
    set_time_reply,
    u32_payload,
)


class Frame:
    """A decoded records or end frame."""

    def __init__(self, ftype, first_seq, base_time, records, flags=0):
        self.ftype = ftype
        self.first_seq = first_seq
        self.base_time = base_time
        self.records = records
        self.flags = flags

    @property
    def next_seq(self):
        return self.first_seq + len(self.records)

    def __repr__(self):
        return "Frame(type=%d, first_seq=%d, base_time=%d, n=%d)" % (
            self.ftype, self.first_seq, self.base_time, len(self.records))


class Reply:
    def __init__(self, opcode, status, payload=b""):
        self.opcode = opcode
        self.status = status
        self.payload = payload

    def __eq__(self, other):
        return isinstance(other, Reply) and (self.opcode, self.status, self.payload) == (
            other.opcode, other.status, other.payload)

    def __repr__(self):
        return "Reply(opcode=%d, status=%d, payload=%r)" % (self.opcode, self.status, self.payload)


class Status:
    """Device state read before a sync (status characteristic / OP_STATUS)."""

    def __init__(self, flags, device_id, oldest_seq, next_seq, acked_seq, device_time,
                 free_bytes, battery_pct, epoch_len, record_size=RECORD_SIZE,
                 version=PROTOCOL_VERSION):
        self.version = version
        self.flags = flags
        self.device_id = device_id
        self.oldest_seq = oldest_seq
        self.next_seq = next_seq
        self.acked_seq = acked_seq
        self.device_time = device_time
        self.free_bytes = free_bytes
        self.battery_pct = battery_pct
        self.record_size = record_size
        self.epoch_len = epoch_len

    def fields(self):
        return (self.version, self.flags, self.device_id, self.oldest_seq, self.next_seq,
                self.acked_seq, self.device_time, self.free_bytes, self.battery_pct,
                self.record_size, self.epoch_len)

    def __eq__(self, other):
        return isinstance(other, Status) and self.fields() == other.fields()

    def __repr__(self):
        return "Status%r" % (self.fields(),)

    def encode(self):
        return encode_status(self.flags, self.device_id, self.oldest_seq, self.next_seq,
                             self.acked_seq, self.device_time, self.free_bytes,
                             self.battery_pct, self.epoch_len, self.record_size, self.version)

    @classmethod
    def decode(cls, data):
        if len(data) < STATUS_SIZE:
            raise TruncatedError("status is %d bytes, expected %d" % (len(data), STATUS_SIZE))
        if data[0] != PROTOCOL_VERSION:
            raise VersionError(data[0], PROTOCOL_VERSION)
        if len(data) > STATUS_SIZE:
            raise OversizeError("status is %d bytes, expected %d" % (len(data), STATUS_SIZE))
        f = struct.unpack(STATUS_FMT, data)
        if f[9] != RECORD_SIZE:
            raise MalformedError("device record size %d, expected %d" % (f[9], RECORD_SIZE))
        if f[3] > f[4]:
            raise MalformedError("status: oldest_seq %d after next_seq %d" % (f[3], f[4]))
        return cls(f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[10], f[9], f[0])


def frame_capacity(max_bytes):
    """How many records fit in a frame of at most max_bytes."""
    n = (max_bytes - FRAME_HEADER_SIZE - CRC_SIZE) // RECORD_SIZE
    if n < 0:
        return 0
    return n if n < MAX_RECORDS_PER_FRAME else MAX_RECORDS_PER_FRAME


def encode_raw_frame(ftype, first_seq, base_time, record_bytes, count, flags=0):
    """Frame from already-packed records (count of them in record_bytes)."""
    if count > MAX_RECORDS_PER_FRAME:
        raise EncodeError("%d records exceed %d per frame" % (count, MAX_RECORDS_PER_FRAME))
    body = len(record_bytes)
    if body != count * RECORD_SIZE:
        raise EncodeError("%d bytes are not %d records" % (body, count))
    buf = bytearray(FRAME_HEADER_SIZE + body + CRC_SIZE)
    buf[FRAME_HEADER_SIZE:FRAME_HEADER_SIZE + body] = record_bytes
    frame_into(buf, ftype, first_seq, base_time, count, flags)
    return bytes(buf)


def encode_frame(records, first_seq=None, base_time=None):
    """Records frame from consecutive records; base_time defaults to the earliest time."""
    from wlproto.records import pack_record_into  # not loaded on the device (heap, qstrs)

    n = len(records)
    if n == 0:
        raise EncodeError("a records frame needs at least one record")
    if first_seq is None:
        first_seq = records[0].seq
    if base_time is None:
        base_time = min(r.time for r in records)
    body = bytearray(n * RECORD_SIZE)
    for i in range(n):
        if records[i].seq != first_seq + i:
            raise EncodeError("records must be consecutive: seq %d at index %d"
                              % (records[i].seq, i))
        pack_record_into(body, i * RECORD_SIZE, records[i], base_time)
    return encode_raw_frame(FT_RECORDS, first_seq, base_time, body, n)


def encode_end(next_seq, device_time=0):
    return encode_raw_frame(FT_END, next_seq, device_time, b"", 0)


def frame_span_ok(buf, off, count, base_time):
    """True if the count records at buf[off] can share base_time (offsets fit u16)."""
    from wlproto.records import record_time

    for i in range(count):
        t = record_time(buf, off + i * RECORD_SIZE, 0)
        if not (0 <= t - base_time <= U16_MAX):
            return False
    return True


def decode_message(data):
    """Decode one device->central message: a Frame or a Reply.

    Never returns a misparse: raises TruncatedError, OversizeError, VersionError,
    CrcError or MalformedError.
    """
    n = len(data)
    if n < REPLY_HEADER_SIZE + CRC_SIZE:
        raise TruncatedError("message of %d bytes is shorter than any header" % n)
    if n > MAX_MESSAGE_SIZE:
        raise OversizeError("message of %d bytes exceeds the %d-byte limit" % (n, MAX_MESSAGE_SIZE))
    mv = memoryview(data)
    (crc,) = struct.unpack_from("<I", data, n - CRC_SIZE)
    crc_ok = crc32(mv[: n - CRC_SIZE]) == crc
    if data[0] != PROTOCOL_VERSION:
        if crc_ok:
            raise VersionError(data[0], PROTOCOL_VERSION)
        raise CrcError("corrupt message (bad CRC, version byte %d)" % data[0])
    ftype = data[1]
    if ftype == FT_REPLY:
        length = data[4]
        expected = REPLY_HEADER_SIZE + length + CRC_SIZE
        if n < expected:
            raise TruncatedError("reply is %d bytes, header says %d" % (n, expected))
        if n > expected:
            raise OversizeError("reply is %d bytes, header says %d" % (n, expected))
        if not crc_ok:
            raise CrcError("corrupt reply (bad CRC)")
        return Reply(data[2], data[3], bytes(mv[REPLY_HEADER_SIZE:REPLY_HEADER_SIZE + length]))
    if ftype == FT_RECORDS or ftype == FT_END:
        if n < FRAME_HEADER_SIZE + CRC_SIZE:
            raise TruncatedError("frame of %d bytes is shorter than its header" % n)
        _, _, flags, count, first_seq, base_time = struct.unpack_from(FRAME_HEADER_FMT, data, 0)
        expected = FRAME_HEADER_SIZE + count * RECORD_SIZE + CRC_SIZE
        if n < expected:
            raise TruncatedError("frame is %d bytes, header says %d records (%d bytes)"
                                 % (n, count, expected))
        if n > expected:
            raise OversizeError("frame is %d bytes, header says %d records (%d bytes)"
                                % (n, count, expected))
        if not crc_ok:
            raise CrcError("corrupt frame at seq %d (bad CRC)" % first_seq)
        if flags & FRAME_FLAG_DEFLATE:
            raise MalformedError("compressed frames are not enabled in protocol v%d"
                                 % PROTOCOL_VERSION)
        if flags:
            raise MalformedError("frame at seq %d has unknown flags 0x%02x" % (first_seq, flags))
        if ftype == FT_END and count:
            raise MalformedError("end frame carries %d records" % count)
        if ftype == FT_RECORDS and count == 0:
            raise MalformedError("records frame at seq %d carries no records" % first_seq)
        if count > MAX_RECORDS_PER_FRAME:
            raise MalformedError("frame carries %d records, limit %d"
                                 % (count, MAX_RECORDS_PER_FRAME))
        from wlproto.records import unpack_record  # the companion's side: see encode_frame

        recs = []
        for i in range(count):
            recs.append(unpack_record(data, FRAME_HEADER_SIZE + i * RECORD_SIZE,
                                      first_seq + i, base_time))
        return Frame(ftype, first_seq, base_time, recs, flags)
    if not crc_ok:
        raise CrcError("corrupt message (bad CRC, type byte %d)" % ftype)
    raise MalformedError("unknown message type %d" % ftype)


def parse_set_time_reply(payload):
    if len(payload) != 5:
        raise MalformedError("set-time reply is %d bytes, expected 5" % len(payload))
    t, unset = struct.unpack("<IB", payload)
    return t, bool(unset)
