# The device's half of the wire format (shared/PROTOCOL.md): sealing frames and
# replies into a buffer, parsing commands, the status struct and the small
# payloads. wlproto.frames builds on these and adds what only the companion runs
# (decoding frames and replies into objects, encoding record objects); the device
# loads this module alone, so the companion's code and names stay off its heap.
import struct

from wlproto.const import (
    COMMAND_HEADER_SIZE,
    CRC_SIZE,
    FRAME_HEADER_SIZE,
    FT_REPLY,
    MAX_COMMAND_SIZE,
    MAX_RECORDS_PER_FRAME,
    NONCE_SIZE,
    OP_ACK,
    OP_AUTH_BEGIN,
    OP_AUTH_PROVE,
    OP_FORGET,
    OP_PAIR,
    OP_READ,
    OP_SET_TIME,
    OP_STATUS,
    OP_STOP,
    PROOF_SIZE,
    PROTOCOL_VERSION,
    RECORD_SIZE,
    REPLY_HEADER_SIZE,
    SECRET_SIZE,
)
from wlproto.crc import crc32
from wlproto.errors import EncodeError, MalformedError, OversizeError, TruncatedError, VersionError

FRAME_HEADER_FMT = "<BBBBII"
REPLY_HEADER_FMT = "<BBBBB"
STATUS_FMT = "<BBIIIIIIBBH"
STATUS_SIZE = 30
MAX_REPLY_PAYLOAD = 64

# Command payload sizes: exact, so a short or long write is refused, not guessed at.
COMMAND_PAYLOAD = {
    OP_STATUS: 0,
    OP_AUTH_BEGIN: NONCE_SIZE,
    OP_AUTH_PROVE: PROOF_SIZE,
    OP_PAIR: SECRET_SIZE,
    OP_SET_TIME: 4,
    OP_READ: 6,
    OP_ACK: 4,
    OP_STOP: 0,
    OP_FORGET: 0,
}


def seal(buf, n):
    """Write the CRC over buf[:n] at buf[n:n + CRC_SIZE]; the sealed length."""
    struct.pack_into("<I", buf, n, crc32(memoryview(buf)[:n]))
    return n + CRC_SIZE


def frame_into(buf, ftype, first_seq, base_time, count, flags=0):
    """Seal a records or end frame in buf, its count records already packed at
    buf[FRAME_HEADER_SIZE:] (the device path: no copy, no allocation); its length."""
    if count > MAX_RECORDS_PER_FRAME:
        raise EncodeError("%d records exceed %d per frame" % (count, MAX_RECORDS_PER_FRAME))
    struct.pack_into(FRAME_HEADER_FMT, buf, 0, PROTOCOL_VERSION, ftype, flags, count,
                     first_seq, base_time)
    return seal(buf, FRAME_HEADER_SIZE + count * RECORD_SIZE)


def encode_reply(opcode, status, payload=b""):
    n = len(payload)
    if n > MAX_REPLY_PAYLOAD:
        raise EncodeError("reply payload of %d bytes exceeds %d" % (n, MAX_REPLY_PAYLOAD))
    buf = bytearray(REPLY_HEADER_SIZE + n + CRC_SIZE)
    struct.pack_into(REPLY_HEADER_FMT, buf, 0, PROTOCOL_VERSION, FT_REPLY, opcode, status, n)
    buf[REPLY_HEADER_SIZE:REPLY_HEADER_SIZE + n] = payload
    seal(buf, REPLY_HEADER_SIZE + n)
    return bytes(buf)


def encode_status(flags, device_id, oldest_seq, next_seq, acked_seq, device_time, free_bytes,
                  battery_pct, epoch_len, record_size=RECORD_SIZE, version=PROTOCOL_VERSION):
    """The status struct (status characteristic and OP_STATUS reply)."""
    return struct.pack(STATUS_FMT, version, flags, device_id, oldest_seq, next_seq, acked_seq,
                       device_time, free_bytes, battery_pct, record_size, epoch_len)


def encode_command(opcode, payload=b""):
    want = COMMAND_PAYLOAD.get(opcode)
    if want is None:
        raise EncodeError("unknown opcode 0x%02x" % opcode)
    if len(payload) != want:
        raise EncodeError("opcode 0x%02x takes %d payload bytes, got %d"
                          % (opcode, want, len(payload)))
    return bytes(bytearray((PROTOCOL_VERSION, opcode, 0))) + bytes(payload)


def decode_command(data):
    """(opcode, payload) from a control-point write; raises ProtocolError subclasses."""
    n = len(data)
    if n < COMMAND_HEADER_SIZE:
        raise TruncatedError("command of %d bytes is shorter than its header" % n)
    if n > MAX_COMMAND_SIZE:
        raise OversizeError("command of %d bytes exceeds %d" % (n, MAX_COMMAND_SIZE))
    if data[0] != PROTOCOL_VERSION:
        raise VersionError(data[0], PROTOCOL_VERSION)
    opcode = data[1]
    want = COMMAND_PAYLOAD.get(opcode)
    if want is None:
        raise MalformedError("unknown opcode 0x%02x" % opcode)
    if data[2] != 0:
        raise MalformedError("reserved command byte is %d, must be 0" % data[2])
    got = n - COMMAND_HEADER_SIZE
    if got < want:
        raise TruncatedError("opcode 0x%02x needs %d payload bytes, got %d" % (opcode, want, got))
    if got > want:
        raise OversizeError("opcode 0x%02x takes %d payload bytes, got %d" % (opcode, want, got))
    return opcode, bytes(data[COMMAND_HEADER_SIZE:])


# Typed payload helpers, so both sides agree on the byte order of each field.
def read_payload(from_seq, window):
    return struct.pack("<IH", from_seq, window)


def parse_read(payload):
    return struct.unpack("<IH", payload)


def u32_payload(v):
    return struct.pack("<I", v)


def parse_u32(payload):
    return struct.unpack("<I", payload)[0]


def set_time_reply(previous_time, was_unset):
    return struct.pack("<IB", previous_time, 1 if was_unset else 0)
