# The field tables of the wire records, and what the device needs of them:
# the struct formats, the records' named access, packing into a buffer, and the
# two numbers that follow from the tables: the record slot size and the
# protocol version (wlproto.const re-exports both).
# Decoding, validation and the Event class live in wlproto.records (the
# companion and the tests load it; the device does not, to keep its heap: it
# writes events from their values).
import struct

# First byte of every record: kind in bits 7..6, flags in bits 5..0.
KIND_EPOCH = 0
KIND_EVENT = 1
KIND_SHIFT = 6
FLAGS_MASK = 0x3F
# Sentinel values inside epoch records.
TEMP_UNKNOWN = -128
U16_MAX = 65535

# The field tables: one row per field after the common header (kind_flags u8,
# t_off u16). Row = (name, struct code, unit, lo, hi, default, since): default
# None means the field is required; since is the protocol version that added
# the field. The struct formats, the range checks, the records' named access
# and their constructors' argument order, the record size and the protocol
# version are derived from these rows here; the companion derives the store's
# columns (and adds them to an existing database), CSV columns and the upload
# schema from them (wearlog.store.columns, wearlog.store.migrations,
# wearlog.web.schemas).
# Adding a field: append one row here with since = PROTOCOL_VERSION + 1 and a
# default (what records written before it carry), set it in the code that
# measures it (wlfw.features), describe it in the docs (shared/PROTOCOL.md,
# docs/firmware.md "Adding a field").
HEADER_FMT = "<BH"
EPOCH_TABLE = (
    ("enmo_dmg", "H", "0.1 mg", 0, U16_MAX, 0, 1),  # mean of max(0, |a| - 1 g)
    ("mad_dmg", "H", "0.1 mg", 0, U16_MAX, 0, 1),  # mean amplitude deviation
    ("zangle_deg", "b", "deg", -90, 90, 0, 1),  # mean z-angle
    ("dangle_ddeg", "B", "0.1 deg", 0, 255, 0, 1),  # sum of |change| of 5-s z-angles
    ("steps", "B", "steps", 0, 255, 0, 1),
    ("temp_hc", "b", "0.5 degC", -128, 127, TEMP_UNKNOWN, 1),
)
EVENT_TABLE = (
    ("etype", "B", "EV_*", 1, 255, None, 1),  # one of EVENT_TYPES
    ("value", "B", "", 0, 255, 0, 1),  # EV_SYMPTOM: severity 1..5
    ("arg", "I", "", 0, 0xFFFFFFFF, 0, 1),
    ("aux", "H", "", 0, U16_MAX, 0, 1),
)


def record_fmt(table):
    """The struct format of a record: the common header, then one code per row."""
    return HEADER_FMT + "".join([f[1] for f in table])


EPOCH_FMT = record_fmt(EPOCH_TABLE)
EVENT_FMT = record_fmt(EVENT_TABLE)
# Both kinds share one stream of fixed-size slots (the device log, the frames):
# the larger record sets the size; the shorter one is padded with zeros.
EPOCH_SIZE = struct.calcsize(EPOCH_FMT)
EVENT_SIZE = struct.calcsize(EVENT_FMT)
RECORD_SIZE = EPOCH_SIZE if EPOCH_SIZE > EVENT_SIZE else EVENT_SIZE
# The newest row's version: a field added is a new protocol version, which both
# sides read from this one table (a peer on another version gets VersionError).
PROTOCOL_VERSION = 1
for _t in (EPOCH_TABLE, EVENT_TABLE):
    for _f in _t:
        if _f[6] > PROTOCOL_VERSION:
            PROTOCOL_VERSION = _f[6]


def _fill(rec, table, values, named):
    """Set rec's table fields from positional values, then names, then defaults."""
    if len(values) > len(table):
        raise TypeError("%d field values for %d fields" % (len(values), len(table)))
    i = 0
    for f in table:
        name = f[0]
        if i < len(values):
            v = values[i]
        elif name in named:
            v = named.pop(name)
        elif f[5] is None:
            raise TypeError("missing field " + name)
        else:
            v = f[5]
        setattr(rec, name, v)
        i += 1
    if named:
        raise TypeError("unknown field(s) " + ", ".join(sorted(named)))


class Record:
    """Named access to a record's fields; subclasses name their table."""

    kind = -1
    TABLE = ()  # type: tuple
    FIELDS = ()  # type: tuple

    def fields(self):
        """seq, time, flags, then the table's fields in table order."""
        out = [self.seq, self.time, self.flags]
        for f in self.TABLE:
            out.append(getattr(self, f[0]))
        return tuple(out)

    def values(self):
        """The table's fields in table order (what follows the header on the wire)."""
        return tuple([getattr(self, f[0]) for f in self.TABLE])

    def __getattr__(self, name):  # only for names not set: says which field is unknown
        raise AttributeError("%s has no field %s" % (type(self).__name__, name))

    def __eq__(self, other):
        return type(other) is type(self) and self.fields() == other.fields()

    def __repr__(self):
        return "%s%r" % (type(self).__name__, self.fields())


class Epoch(Record):
    """One epoch of features; the fields, units and ranges are EPOCH_TABLE's.

    Epoch(seq, time, flags, enmo_dmg, ...) in table order, or by name.
    """

    kind = KIND_EPOCH
    TABLE = EPOCH_TABLE
    FIELDS = ("seq", "time", "flags") + tuple([f[0] for f in EPOCH_TABLE])

    def __init__(self, seq, time, flags=0, *values, **named):
        self.seq = seq
        self.time = time
        self.flags = flags
        _fill(self, EPOCH_TABLE, values, named)


def pack_epoch_into(buf, off, flags, t_off, *values):
    """The device's path: write one epoch (values in EPOCH_TABLE order) into buf."""
    struct.pack_into(EPOCH_FMT, buf, off, (KIND_EPOCH << KIND_SHIFT) | (flags & FLAGS_MASK),
                     t_off, *values)
    for i in range(off + EPOCH_SIZE, off + RECORD_SIZE):  # the padding (none in v1)
        buf[i] = 0


def pack_event_into(buf, off, flags, t_off, *values):
    struct.pack_into(EVENT_FMT, buf, off, (KIND_EVENT << KIND_SHIFT) | (flags & FLAGS_MASK),
                     t_off, *values)
    for i in range(off + EVENT_SIZE, off + RECORD_SIZE):  # the padding (none in v1)
        buf[i] = 0
