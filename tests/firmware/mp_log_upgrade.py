# In MicroPython, run by tests/shared/test_add_field.py (not collected on its own: it
# needs a field table with one row more than the log on /upg was written with, the
# patched fields.py and features.py). Booting the record log rewrites the older-layout
# segment, every record reads back with its values and the new field's default, and
# new records carry the field.
import json
import struct

from wlfw.recordlog import MAGIC, MAGIC2, RecordLog
from wlproto.const import RECORD_SIZE
from wlproto.records import Epoch, unpack_record

DEFAULT = 65535


def read_all(log):
    out = []
    seq = 0
    buf = bytearray(64 * RECORD_SIZE)
    while seq < log.next_seq:
        first, n, base = log.read_into(seq, buf, 64)
        assert n > 0 and first == seq, (seq, first, n)
        for k in range(n):
            out.append(unpack_record(buf, k * RECORD_SIZE, first + k, base))
        seq = first + n
    return out


def test_boot_upgrades_an_older_layout():
    with open("/t/expected.json") as f:
        expected = json.load(f)["log"]
    assert RECORD_SIZE == 13 and MAGIC == 0xC7
    log = RecordLog("/upg", chunk_records=8, epoch_s=30)
    assert log.next_seq == len(expected), log.next_seq
    got = read_all(log)
    assert len(got) == len(expected)
    for i in range(len(got)):  # (MicroPython's zip has no strict=)
        rec, want = got[i], expected[i]
        vals = list(rec.fields())
        if isinstance(rec, Epoch):
            assert vals.pop() == DEFAULT, vals
        assert vals == [want[k] for k in rec.FIELDS if k in want], (vals, want)
    with open("/upg/0000000000.wls", "rb") as f:
        assert f.read(1)[0] in (MAGIC, MAGIC2)
    rec = Epoch(0, expected[-1]["time"] + 30, 0, 5, 4, 3, 2, 1, 60, 750)
    log.append_record(rec)
    log.flush()
    log = RecordLog("/upg", chunk_records=8, epoch_s=30)  # a reboot
    again = read_all(log)
    assert again[:len(got)] == got and again[-1].samples == 750
    assert struct.calcsize("<BHHHbBBbH") == RECORD_SIZE
