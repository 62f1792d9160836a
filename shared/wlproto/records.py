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
    TEMP_UNKNOWN,
    U16_MAX,
)
from wlproto.errors import EncodeError, MalformedError

# kind_flags u8, t_off u16 s, enmo u16 0.1 mg, mad u16 0.1 mg, zangle i8 deg,
# dangle u8 0.1 deg, steps u8, temp i8 0.5 degC
EPOCH_FMT = "<BHHHbBBb"
# kind_flags u8, t_off u16 s, etype u8, value u8, arg u32, aux u16
EVENT_FMT = "<BHBBIH"


class Epoch:
    """One 30-s epoch of features. Units are in the field names.

    enmo_dmg, mad_dmg: 0.1 mg; zangle_deg: mean z-angle, degrees (-90..90);
    dangle_ddeg: sum of |change| of 5-s mean z-angles, 0.1 deg, saturating 255;
    temp_hc: 0.5 degC, TEMP_UNKNOWN when the sensor has none.
    """

    kind = KIND_EPOCH
    # field names in fields() order: the store's epoch columns are derived from these
    FIELDS = ("seq", "time", "flags", "enmo_dmg", "mad_dmg", "zangle_deg", "dangle_ddeg",
              "steps", "temp_hc")

    def __init__(self, seq, time, flags=0, enmo_dmg=0, mad_dmg=0, zangle_deg=0,
                 dangle_ddeg=0, steps=0, temp_hc=TEMP_UNKNOWN):
        self.seq = seq
        self.time = time
        self.flags = flags
        self.enmo_dmg = enmo_dmg
        self.mad_dmg = mad_dmg
        self.zangle_deg = zangle_deg
        self.dangle_ddeg = dangle_ddeg
        self.steps = steps
        self.temp_hc = temp_hc

    def fields(self):
        return (self.seq, self.time, self.flags, self.enmo_dmg, self.mad_dmg,
                self.zangle_deg, self.dangle_ddeg, self.steps, self.temp_hc)

    def __eq__(self, other):
        return isinstance(other, Epoch) and self.fields() == other.fields()

    def __repr__(self):
        return "Epoch%r" % (self.fields(),)


class Event:
    """A timestamped device or wearer event (symptom, bed/up, clock, boot...)."""

    kind = KIND_EVENT
    FIELDS = ("seq", "time", "flags", "etype", "value", "arg", "aux")

    def __init__(self, seq, time, etype, value=0, arg=0, aux=0, flags=0):
        self.seq = seq
        self.time = time
        self.etype = etype
        self.value = value
        self.arg = arg
        self.aux = aux
        self.flags = flags

    def fields(self):
        return (self.seq, self.time, self.flags, self.etype, self.value, self.arg, self.aux)

    def __eq__(self, other):
        return isinstance(other, Event) and self.fields() == other.fields()

    def __repr__(self):
        return "Event%r" % (self.fields(),)


def _check(name, v, lo, hi):
    if not (lo <= v <= hi):
        raise EncodeError("%s=%r outside %d..%d" % (name, v, lo, hi))


def pack_epoch_into(buf, off, flags, t_off, enmo_dmg, mad_dmg, zangle_deg, dangle_ddeg,
                    steps, temp_hc):
    """Allocation-free path for the device: write one epoch record into buf."""
    struct.pack_into(EPOCH_FMT, buf, off, (KIND_EPOCH << KIND_SHIFT) | (flags & FLAGS_MASK),
                     t_off, enmo_dmg, mad_dmg, zangle_deg, dangle_ddeg, steps, temp_hc)


def pack_event_into(buf, off, flags, t_off, etype, value, arg, aux):
    struct.pack_into(EVENT_FMT, buf, off, (KIND_EVENT << KIND_SHIFT) | (flags & FLAGS_MASK),
                     t_off, etype, value, arg, aux)


def pack_record_into(buf, off, rec, base_time):
    """Validate rec and write it at buf[off:off+11], time relative to base_time."""
    t_off = rec.time - base_time
    _check("t_off", t_off, 0, U16_MAX)
    _check("flags", rec.flags, 0, FLAG_ALL)
    if rec.kind == KIND_EPOCH:
        _check("enmo_dmg", rec.enmo_dmg, 0, U16_MAX)
        _check("mad_dmg", rec.mad_dmg, 0, U16_MAX)
        _check("zangle_deg", rec.zangle_deg, -90, 90)
        _check("dangle_ddeg", rec.dangle_ddeg, 0, 255)
        _check("steps", rec.steps, 0, 255)
        _check("temp_hc", rec.temp_hc, -128, 127)
        pack_epoch_into(buf, off, rec.flags, t_off, rec.enmo_dmg, rec.mad_dmg,
                        rec.zangle_deg, rec.dangle_ddeg, rec.steps, rec.temp_hc)
    else:
        if rec.etype not in EVENT_TYPES:
            raise EncodeError("unknown event type %r" % (rec.etype,))
        if rec.etype == EV_SYMPTOM:
            _check("severity", rec.value, SEVERITY_MIN, SEVERITY_MAX)
        _check("value", rec.value, 0, 255)
        _check("arg", rec.arg, 0, 0xFFFFFFFF)
        _check("aux", rec.aux, 0, U16_MAX)
        pack_event_into(buf, off, rec.flags, t_off, rec.etype, rec.value, rec.arg, rec.aux)


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


def unpack_record(buf, off, seq, base_time):
    """Decode and validate one record; MalformedError if it breaks the contract."""
    kf = buf[off]
    kind = kf >> KIND_SHIFT
    flags = kf & FLAGS_MASK
    if flags & ~FLAG_ALL:
        raise MalformedError("record %d: reserved flag bits set (0x%02x)" % (seq, flags))
    if kind == KIND_EPOCH:
        _, t_off, enmo, mad, z, dz, steps, temp = struct.unpack_from(EPOCH_FMT, buf, off)
        if not (-90 <= z <= 90):
            raise MalformedError("record %d: z-angle %d outside -90..90" % (seq, z))
        return Epoch(seq, base_time + t_off, flags, enmo, mad, z, dz, steps, temp)
    if kind == KIND_EVENT:
        _, t_off, etype, value, arg, aux = struct.unpack_from(EVENT_FMT, buf, off)
        if etype not in EVENT_TYPES:
            raise MalformedError("record %d: unknown event type %d" % (seq, etype))
        if etype == EV_SYMPTOM and not (SEVERITY_MIN <= value <= SEVERITY_MAX):
            raise MalformedError("record %d: symptom severity %d outside 1..5" % (seq, value))
        return Event(seq, base_time + t_off, etype, value, arg, aux, flags)
    raise MalformedError("record %d: unknown record kind %d" % (seq, kind))


def encode_record(rec, base_time):
    buf = bytearray(RECORD_SIZE)
    pack_record_into(buf, 0, rec, base_time)
    return bytes(buf)
