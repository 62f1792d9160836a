# Epoch and event records: 11 bytes each, little-endian, same size so the
# device log can hold both in one stream of fixed-size slots.
#
# Every record starts with <B kind_flags> and <H t_off>: seconds after the
# base_time of the frame (or flash chunk) that carries it. A record's
# absolute time is base_time + t_off; carriers split where that would not fit.
import struct

from wlproto.const import (
    EV_SYMPTOM,
    EVENT_TYPES,
    FLAG_ALL,
    FLAGS_MASK,
    KIND_EPOCH,
    KIND_EVENT,
    KIND_SHIFT,
    RECORD_SIZE,
    SEVERITY_MAX,
    SEVERITY_MIN,
    U16_MAX,
)
from wlproto.errors import EncodeError, MalformedError
from wlproto.fields import (  # noqa: F401  (re-exported: records are read from here)
    EPOCH_FMT,
    EPOCH_TABLE,
    EVENT_FMT,
    EVENT_TABLE,
    HEADER_FMT,
    Epoch,
    Record,
    _fill,
    pack_epoch_into,
    pack_event_into,
    record_fmt,
)
from wlproto.layouts import check_tables, layout  # noqa: F401  (layout: re-exported)

check_tables()


class Event(Record):
    """A timestamped device or wearer event (symptom, bed/up, clock, boot...).

    Event(seq, time, etype, value, arg, aux, flags): flags last, as events are
    mostly written without.
    """

    kind = KIND_EVENT
    TABLE = EVENT_TABLE
    FIELDS = ("seq", "time", "flags") + tuple([f[0] for f in EVENT_TABLE])

    def __init__(self, seq, time, *values, **named):
        self.seq = seq
        self.time = time
        n = len(EVENT_TABLE)
        if len(values) > n:
            named["flags"] = values[n]
            values = values[:n]
        self.flags = named.pop("flags", 0)
        _fill(self, EVENT_TABLE, values, named)



def _check(name, v, lo, hi):
    if not (lo <= v <= hi):
        raise EncodeError("%s=%r outside %d..%d" % (name, v, lo, hi))


def check_fields(rec):
    """Raise EncodeError unless every table field of rec is within its range."""
    for f in rec.TABLE:
        _check(f[0], getattr(rec, f[0]), f[3], f[4])


def pack_record_into(buf, off, rec, base_time):
    """Validate rec and write it at buf[off:off+11], time relative to base_time."""
    t_off = rec.time - base_time
    _check("t_off", t_off, 0, U16_MAX)
    _check("flags", rec.flags, 0, FLAG_ALL)
    if rec.kind == KIND_EVENT:
        if rec.etype not in EVENT_TYPES:
            raise EncodeError("unknown event type %r" % (rec.etype,))
        if rec.etype == EV_SYMPTOM:
            _check("severity", rec.value, SEVERITY_MIN, SEVERITY_MAX)
    check_fields(rec)
    if rec.kind == KIND_EPOCH:
        pack_epoch_into(buf, off, rec.flags, t_off, *rec.values())
    else:
        pack_event_into(buf, off, rec.flags, t_off, *rec.values())


def record_time(buf, off, base_time):
    """Absolute time of the record at buf[off] (no full decode)."""
    return base_time + (buf[off + 1] | (buf[off + 2] << 8))


def set_record_time(buf, off, base_time, t):
    """Re-base a record in place: the device moves records between carriers."""
    t_off = t - base_time
    if not (0 <= t_off <= U16_MAX):
        raise EncodeError("record time %d not within 65535 s after base %d" % (t, base_time))
    buf[off + 1] = t_off & 0xFF
    buf[off + 2] = t_off >> 8


def _decode_check(seq, table, vals):
    i = 2
    for f in table:
        v = vals[i]
        if not (f[3] <= v <= f[4]):
            raise MalformedError("record %d: %s %d outside %d..%d" % (seq, f[0], v, f[3], f[4]))
        i += 1


def unpack_record(buf, off, seq, base_time):
    """Decode and validate one record; MalformedError if it breaks the contract."""
    kf = buf[off]
    kind = kf >> KIND_SHIFT
    flags = kf & FLAGS_MASK
    if flags & ~FLAG_ALL:
        raise MalformedError("record %d: reserved flag bits set (0x%02x)" % (seq, flags))
    if kind == KIND_EPOCH:
        vals = struct.unpack_from(EPOCH_FMT, buf, off)
        _decode_check(seq, EPOCH_TABLE, vals)
        return Epoch(seq, base_time + vals[1], flags, *vals[2:])
    if kind == KIND_EVENT:
        vals = struct.unpack_from(EVENT_FMT, buf, off)
        etype = vals[2]
        if etype not in EVENT_TYPES:
            raise MalformedError("record %d: unknown event type %d" % (seq, etype))
        if etype == EV_SYMPTOM and not (SEVERITY_MIN <= vals[3] <= SEVERITY_MAX):
            raise MalformedError("record %d: symptom severity %d outside 1..5" % (seq, vals[3]))
        _decode_check(seq, EVENT_TABLE, vals)
        ev = Event(seq, base_time + vals[1], *vals[2:])
        ev.flags = flags
        return ev
    raise MalformedError("record %d: unknown record kind %d" % (seq, kind))


def encode_record(rec, base_time):
    buf = bytearray(RECORD_SIZE)
    pack_record_into(buf, 0, rec, base_time)
    return bytes(buf)
