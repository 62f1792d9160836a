# The record layouts of earlier protocol versions, from the field tables' "since"
# column: what a frame or a device log written by an older firmware holds. Loaded by
# the companion (wlproto.records) and, on the device, only by the boot-time log
# upgrade after a firmware update that added a field (wlfw.logupgrade).
import struct

from wlproto.fields import EPOCH_TABLE, EVENT_TABLE, record_fmt


def check_tables():
    """The rules that keep older records readable (checked where the companion and the
    tests load the tables; the device trusts them): rows are appended (since never
    falls along a table, and v1 is the oldest) and a row added after v1 has a default,
    which records and stored rows written before it carry."""
    for table in (EPOCH_TABLE, EVENT_TABLE):
        since = 1
        for f in table:
            if len(f) != 7 or f[6] < since:
                raise ImportError("field row %r: rows are (name, code, unit, lo, hi, default, "
                                  "since), appended in version order from v1" % (f,))
            if f[6] > 1 and f[5] is None:
                raise ImportError("field %s was added in v%d: it needs a default for older "
                                  "records" % (f[0], f[6]))
            since = f[6]


def layout(version):
    """(epoch rows, event rows, epoch format, event format, record size) of a protocol
    version: the rows it had."""
    ep = tuple([f for f in EPOCH_TABLE if f[6] <= version])
    ev = tuple([f for f in EVENT_TABLE if f[6] <= version])
    efmt = record_fmt(ep)
    vfmt = record_fmt(ev)
    return ep, ev, efmt, vfmt, max(struct.calcsize(efmt), struct.calcsize(vfmt))
