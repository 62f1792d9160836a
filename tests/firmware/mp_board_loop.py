# Runs on the native MicroPython port under a board's free heap (-X heapsize),
# driven by tests/firmware/test_board_limits.py and bench/firmware_bench.py: the
# whole device loop (sensing, features, record log, button, radio window) and
# the sync engine serving a scripted central at MTU 247 in every radio window,
# for DAYS simulated days. A MemoryError anywhere fails it. At each window it
# prints "@@HEAP <mem_alloc> <largest free block>" (after gc.collect()).
import gc
import os
import struct
from array import array

from vm_pipeline_heap import Board, Clock

from wlfw.app import App
from wlfw.auth import SecretStore
from wlfw.radio_window import RadioWindow
from wlfw.sync_server import CONTROL, SyncServer
from wlproto import auth, frames
from wlproto import const as C
from wlproto.crc import crc32
from wlproto.segments import Reassembler


def frame_header(msg):
    """(type, count, first seq) of a records or end frame, its length and CRC checked.

    The scripted central stands in for the companion, which runs on the laptop: it
    checks and counts each frame but leaves decoding the records to the companion's
    own tests, so the heap measured here is the device's, not a second decoder's."""
    n = len(msg)
    crc = struct.unpack_from("<I", msg, n - C.CRC_SIZE)[0]
    assert crc32(memoryview(msg)[:n - C.CRC_SIZE]) == crc, "frame CRC"
    _, ftype, _, count, first_seq, _ = struct.unpack_from(frames.FRAME_HEADER_FMT, msg, 0)
    assert n == C.FRAME_HEADER_SIZE + count * C.RECORD_SIZE + C.CRC_SIZE, "frame length"
    return ftype, count, first_seq


DAYS = 3
try:  # the bench may ask for another length (/t/params.json {"days": n})
    import json

    with open("/t/params.json") as _f:
        DAYS = json.load(_f).get("days", DAYS)
except OSError:
    pass
SECRET = b"0123456789abcdef"
T0 = 1767225600


def largest_free():
    """The largest block one allocation can still get: bisect on bytearray sizes."""
    gc.collect()
    lo, hi = 0, gc.mem_free()
    while lo < hi:
        mid = (lo + hi + 1) // 2
        try:
            b = bytearray(mid)
            b = None  # noqa: F841
            lo = mid
        except MemoryError:
            hi = mid - 1
    gc.collect()
    return lo


class FastImu:
    """Walking-like samples (a 300 mg bounce every 16 samples) copied from one
    precomputed period: the firmware's feature loop stays the only per-sample work."""

    def __init__(self, clock):
        self.clock = clock
        self.i = 0
        self.overrun = False
        n = 160 + 16
        self.pattern = array("h", bytes(6 * n))
        for k in range(n):
            self.pattern[3 * k] = 40 + (k & 3)
            self.pattern[3 * k + 1] = -30
            self.pattern[3 * k + 2] = 1300 if k % 16 < 4 else 950

    def start(self, rate_hz, range_g=8):
        self.i = self.clock.now * 25 // 1000

    def read_fifo_into(self, buf):
        n = self.clock.now * 25 // 1000 - self.i
        if n > len(buf) // 3:
            n = len(buf) // 3
        off = 3 * (self.i % 16)
        buf[: 3 * n] = memoryview(self.pattern)[off:off + 3 * n]
        self.i += n
        return n

    def temp_hc(self):
        return 60


class LoopBoard(Board):
    def open_imu(self):
        return FastImu(self.clock)


def rng(n):
    return os.urandom(n)


class LeanCentral:
    """A scripted central that keeps no records: counts and checks sequences only."""

    def __init__(self, server, conn):
        self.server = server
        self.conn = conn
        self.asm = (Reassembler(), Reassembler())
        self.reply = None
        self.expected = 0
        self.received = 0
        self.ended = False

    def _pump(self, limit):
        n = 0
        while n < limit:
            nxt = self.server.peek(self.conn)
            if nxt is None:
                return n
            which, seg = nxt
            msg = self.asm[which].feed(bytes(seg))
            self.server.sent(self.conn, which)
            n += 1
            if msg is None:
                continue
            if which == CONTROL:
                self.reply = frames.decode_message(msg)
                continue
            ftype, count, first_seq = frame_header(msg)
            if ftype == C.FT_END:
                self.ended = True
            else:
                assert first_seq == self.expected, (first_seq, self.expected)
                self.received += count
                self.expected = first_seq + count
        return n

    def call(self, op, payload=b""):
        self.reply = None
        self.server.command(self.conn, frames.encode_command(op, payload))
        while self.reply is None:
            assert self._pump(1) == 1, "no reply"
        return self.reply

    def sync(self, device_time):
        cn = b"C" * 16
        r = self.call(C.OP_AUTH_BEGIN, cn)
        dn = r.payload[:16]
        assert self.call(C.OP_AUTH_PROVE, auth.central_proof(SECRET, cn, dn)).status == 0
        self.call(C.OP_SET_TIME, frames.u32_payload(device_time))
        assert self.call(C.OP_READ, frames.read_payload(self.expected, 128)).status == 0
        self.ended = False
        acked = self.expected
        while not self.ended:
            if self._pump(6) == 0 and not self.ended:  # a burst per main-loop pass
                assert self.expected > acked, "stream stalled"
            if self.expected - acked >= 64 or (self.ended and self.expected > acked):
                acked = self.expected
                assert self.call(C.OP_ACK, frames.u32_payload(acked)).status == 0


def test_board_loop():
    gc.collect()
    try:
        os.mkdir("/log")
    except OSError:
        pass
    clock = Clock()
    board = LoopBoard(clock)
    app = App(board, clock=clock, log_dir="/log", wake_ms=5000)
    app.boot()
    secrets = SecretStore("/log", app.fs)
    secrets.set(SECRET)
    server = SyncServer(app, secrets, rng)
    window = RadioWindow()
    central = LeanCentral(server, 1)
    peak = 0
    least_free = 1 << 30
    hour_ms = 3600 * 1000
    syncs = 0
    for hour in range(DAYS * 24):
        if hour % 5 == 2:  # a symptom press now and then
            board.level = True
            app.run_for(200)
            board.level = False
        app.run_for(hour_ms - (200 if hour % 5 == 2 else 0))
        if window.wanted(app.dclock.uptime_ms, False, app.button_events):
            server.connected(1)
            server.mtu_changed(1, 247)
            central.sync(T0 + hour * 3600)
            syncs += 1
            gc.collect()
            used = gc.mem_alloc()
            free = largest_free()
            print("@@HEAP %d %d" % (used, free))
            if used > peak:
                peak = used
            if free < least_free:
                least_free = free
            yield  # sampled with the engine, the session and the log alive
            server.disconnected(1)
    assert syncs >= DAYS * 8, syncs
    assert app.log.acked_seq == central.expected
    assert central.received == central.expected  # every record once, in order
    assert app.lost_records == 0 and app.log.dropped == 0
    print("@@BOARD %d %d %d %d %d" % (peak, least_free, central.received, syncs,
                                       app.log.bytes_written))
