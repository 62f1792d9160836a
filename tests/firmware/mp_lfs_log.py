# Runs on the native MicroPython port (driven by tests/firmware/test_littlefs_log.py):
# the record log on littlefs v2 (vfs.VfsLfs2, the C code of the ESP32 and rp2
# ports) over a block device written here in Python. A power cut is the block
# device applying part of one write and then stopping the program (PowerCut):
# littlefs sees exactly what a board's flash would hold. After each cut the flash
# is remounted and the log recovered as at boot, then checked:
#   every committed record is there with its content, the log reopens and takes
#   new records, and the acknowledgement never goes back (nothing acknowledged
#   comes back to be sent again).
import gc
import json

import vfs

from wlfw.errors import LogFullError
from wlfw.recordlog import RecordLog
from wlproto.const import KIND_SHIFT, RECORD_SIZE
from wlproto.records import Epoch, unpack_record

MNT = "/flash"
DIR = MNT + "/log"
T0 = 1767225600
PARAMS = {"block_size": 4096, "blocks": 64, "cuts": []}  # the host may write /t/params.json
try:
    with open("/t/params.json") as _f:
        PARAMS.update(json.load(_f))
except OSError:
    pass


class PowerCut(Exception):
    pass


class Flash:
    """A NOR flash as littlefs uses it: erase to 0xFF, program, read; counts erases."""

    def __init__(self, block_size, blocks):
        self.bs = block_size
        self.blocks = blocks
        self.data = bytearray(b"\xff" * (block_size * blocks))
        self.erases = [0] * blocks
        self.writes = 0  # program operations
        self.cut_at = -1  # the program operation a power cut interrupts (-1: none)
        self.torn = 0  # bytes of that operation that still reach the flash

    def readblocks(self, n, buf, off=0):
        o = n * self.bs + off
        try:
            buf[:] = memoryview(self.data)[o:o + len(buf)]
        except MemoryError:
            # called from a GC finaliser (a file a power cut left open) with the heap
            # locked: a flash driver in C allocates nothing, so copy without allocating
            d = self.data
            for i in range(len(buf)):
                buf[i] = d[o + i]

    def writeblocks(self, n, buf, off=None):
        if off is None:  # the simple interface: erase, then program whole blocks
            for k in range(len(buf) // self.bs):
                self.ioctl(6, n + k)
            off = 0
        o = n * self.bs + off
        if self.writes == self.cut_at:
            k = self.torn if self.torn < len(buf) else len(buf)
            for i in range(k):  # no allocation: this may run with the heap locked
                self.data[o + i] = buf[i]
            self.writes += 1
            raise PowerCut()
        self.data[o:o + len(buf)] = buf
        self.writes += 1

    def ioctl(self, op, arg):
        if op == 4:
            return self.blocks
        if op == 5:
            return self.bs
        if op == 6:
            o = arg * self.bs
            for i in range(o, o + self.bs):  # no allocation (see readblocks)
                self.data[i] = 0xFF
            self.erases[arg] += 1
            return 0
        return 0


def mount(flash, fresh=False):
    unmount()  # a failed check before may have left it mounted
    if fresh:
        vfs.VfsLfs2.mkfs(flash)
    vfs.mount(vfs.VfsLfs2(flash), MNT)
    if fresh:
        import os

        os.mkdir(DIR)


def unmount():
    # a file a power cut left open is closed by its finaliser: let that happen now, on
    # the mount it belongs to, not at a random later collection on the next mount
    gc.collect()
    try:
        vfs.umount(MNT)
    except OSError:
        pass


def add(log, n):
    """n epochs whose fields follow from their sequence number."""
    for _ in range(n):
        s = log.next_seq
        log.append_epoch(T0 + 30 * s, 0, s % 1000, s % 700, s % 90, 3, s % 50, 60)


def contents(log):
    out = []
    buf = bytearray(64 * RECORD_SIZE)
    seq = log.oldest_seq
    while True:
        first, n, base = log.read_into(seq, buf, 64)
        if n == 0:
            return out
        for k in range(n):
            out.append(unpack_record(buf, k * RECORD_SIZE, first + k, base))
        seq = first + n


def scan(log):
    """(sequence numbers served, in order, as one list of ints; the event types seen):
    what contents() checks, without holding a record object per record (a full v2
    log holds tens of thousands)."""
    seqs = []
    kinds = set()
    buf = bytearray(64 * RECORD_SIZE)
    seq = log.oldest_seq
    while True:
        first, n, base = log.read_into(seq, buf, 64)
        if n == 0:
            return seqs, kinds
        for k in range(n):
            seqs.append(first + k)
            if buf[k * RECORD_SIZE] >> KIND_SHIFT:  # an event: decode it
                kinds.add(unpack_record(buf, k * RECORD_SIZE, first + k, base).etype)
        seq = first + n


def check(log, committed, acked):
    """After a recovery: every committed record present and right; the ack kept."""
    assert log.acked_seq >= acked, ("ack went back", log.acked_seq, acked)
    assert log.next_seq >= committed and log.next_seq >= log.acked_seq
    recs = contents(log)
    seqs = [r.seq for r in recs]
    assert seqs == list(range(log.oldest_seq, log.next_seq)), "gap or reorder"
    assert log.oldest_seq <= acked or log.oldest_seq == 0 or log.dropped
    for r in recs:
        s = r.seq
        assert isinstance(r, Epoch) and r == Epoch(s, T0 + 30 * s, 0, s % 1000, s % 700,
                                                   s % 90, 3, s % 50, 60), r
    return len(recs)


class Scenario:
    """A log on a fresh littlefs with history, ready to be cut."""

    def __init__(self, bs, blocks):
        self.flash = Flash(bs, blocks)
        mount(self.flash, fresh=True)
        log = RecordLog(DIR, segment_bytes=4096, reserve_bytes=2 * bs)
        add(log, 300)
        log.flush()
        log.ack(100)
        self.committed = log.next_seq
        self.acked = log.acked_seq
        unmount()
        self.image = bytes(self.flash.data)

    def run(self, cut_at, torn, n_new, ack_to):
        """Boot, add n_new records, flush, ack ack_to: cut at program op cut_at."""
        f = self.flash
        f.data[:] = self.image
        f.writes = 0
        f.cut_at = -1
        mount(f)
        log = RecordLog(DIR, segment_bytes=4096, reserve_bytes=2 * f.bs)
        f.writes = 0
        f.cut_at = cut_at
        f.torn = torn
        committed, acked = self.committed, self.acked
        cut = False
        try:
            add(log, n_new)
            log.flush()
            committed = log.next_seq
            log.ack(ack_to)
            acked = ack_to
        except PowerCut:
            cut = True
        ops = f.writes
        f.cut_at = -1
        unmount()
        mount(f)  # power back: boot
        log = RecordLog(DIR, segment_bytes=4096, reserve_bytes=2 * f.bs)
        n = check(log, committed, acked)
        add(log, 5)  # the log reopens and takes new records
        log.flush()
        assert contents(log)[-1].seq == log.next_seq - 1
        unmount()
        return cut, ops, n


def test_cut_at_every_program_op_of_a_chunk_and_its_ack():
    bs, blocks = PARAMS["block_size"], PARAMS["blocks"]
    sc = Scenario(bs, blocks)
    cut, ops, _ = sc.run(-1, 0, 32, 320)  # count the program operations uncut
    assert not cut and ops >= 2, ops
    for k in range(ops):
        for torn in (0, 7, bs // 2):
            cut, _, _ = sc.run(k, torn, 32, 320)
            assert cut, k
    print("@@CUTS %d %d" % (ops, 3 * ops))


def test_full_littlefs_drops_oldest_and_says_so():
    flash = Flash(PARAMS["block_size"], 24)  # 96 KiB: fills in a few days of epochs
    mount(flash, fresh=True)
    log = RecordLog(DIR, segment_bytes=4096, reserve_bytes=2 * flash.bs)
    full = 0
    for day in range(8):
        try:
            add(log, 2880)
            log.flush()
        except LogFullError:
            full += 1
        if day == 1:
            log.ack(log.next_seq // 2)
    assert log.dropped > 0 and log.oldest_seq > log.acked_seq
    seqs, kinds = scan(log)
    assert seqs == list(range(log.oldest_seq, log.next_seq))
    from wlproto.const import EV_LOG_FULL

    assert EV_LOG_FULL in kinds
    unmount()
    mount(flash)
    again = RecordLog(DIR, segment_bytes=4096, reserve_bytes=2 * flash.bs)
    assert again.next_seq == log.next_seq and again.oldest_seq == log.oldest_seq
    unmount()
    print("@@FULL %d %d %d" % (log.dropped, log.next_seq, full))


def test_flash_wear_for_a_day():
    # One day as the device writes it: 2880 epochs in chunks of 32, a flushed
    # event every 4 h (button or clock set), an ack after each 3-hourly sync.
    flash = Flash(PARAMS["block_size"], PARAMS.get("wear_blocks", 212))
    mount(flash, fresh=True)
    log = RecordLog(DIR)
    base = list(flash.erases)
    for epoch in range(2880):
        add(log, 1)
        if epoch % 480 == 479:
            log.flush()
        if epoch % 360 == 359:
            log.ack(log.next_seq - log.buffered)
    log.flush()
    per = [flash.erases[i] - base[i] for i in range(flash.blocks)]
    unmount()
    print("@@WEAR %d %d %d" % (sum(per), max(per), flash.blocks))
