# Runs inside MicroPython (driven by tests/firmware/test_vm_heap_budget.py and
# bench/firmware_bench.py, with every module loaded as mpy-cross output): the
# whole device pipeline, sensing (App with features, button, clock), the record
# log on a filesystem and the sync engine streaming at MTU 247, all alive at each
# yield, so the harness's peak heap is the device's footprint.
#
# The central is the least a central can be: it reads each notification where
# the engine hands it over (peek/sent), checks the frame's CRC as a running value
# over its segments and counts records from the frame header. It keeps no
# reassembly buffer and decodes no record: decoding is the companion's, on the
# laptop (tested there), so the figure is the device's heap plus this module's
# own small code. /t/params.json {"coded": false} measures the v1 log instead.
import os
import struct

import micropython
from vm_pipeline_heap import CODED, Board, Clock

from wlfw.app import App
from wlfw.auth import SecretStore
from wlfw.sync_server import CONTROL, SyncServer
from wlproto import auth, wire
from wlproto import const as C
from wlproto.crc import crc32

SECRET = b"0123456789abcdef"
LOG = "/fullpipe"
def rng(n):
    return bytes(n)  # the nonce's value does not change the heap


class Central:
    """Takes the engine's notifications; keeps counts, not messages."""

    def __init__(self, server):
        self.server = server
        server.connected(1)
        server.mtu_changed(1, 247)
        self.reply = None
        self.crc = 0
        self.count = 0
        self.first = 0
        self.expected = 0
        self.received = 0
        self.ended = False

    def pump(self, limit=100000):
        n = 0
        while n < limit:
            nxt = self.server.peek(1)
            if nxt is None:
                return n
            which, seg = nxt
            head = seg[0]
            if which == CONTROL:  # a reply fits one segment at MTU 247
                assert head & C.SEG_FIRST and head & C.SEG_LAST
                self.reply = (seg[3], seg[4], bytes(seg[6:6 + seg[5]]))
            else:
                body = seg[1:]
                if head & C.SEG_FIRST:
                    _, ftype, _, self.count, self.first, _ = struct.unpack_from(
                        wire.FRAME_HEADER_FMT, body, 0)
                    self.ended = ftype == C.FT_END
                    self.crc = 0
                if head & C.SEG_LAST:
                    k = len(body) - C.CRC_SIZE
                    self.crc = crc32(body[:k], self.crc)
                    assert self.crc == struct.unpack_from("<I", body, k)[0], "frame CRC"
                    if not self.ended:
                        assert self.first == self.expected, (self.first, self.expected)
                        self.expected = self.first + self.count
                        self.received += self.count
                else:
                    self.crc = crc32(body, self.crc)
            self.server.sent(1, which)
            n += 1
        return n

    def call(self, op, payload=b""):
        self.reply = None
        self.server.command(1, wire.encode_command(op, payload))
        while self.reply is None:
            assert self.pump(1) == 1, "no reply"
        assert self.reply[0] == op, self.reply
        return self.reply

    def authenticate(self):
        cn = b"C" * 16
        dn = self.call(C.OP_AUTH_BEGIN, cn)[2][:16]
        return self.call(C.OP_AUTH_PROVE, auth.central_proof(SECRET, cn, dn))[1]


def _build():
    try:
        os.mkdir(LOG)
    except OSError:
        pass
    clock = Clock()
    app = App(Board(clock), clock=clock, log_dir=LOG, log_options={"coded": CODED})
    app.boot()
    secrets = SecretStore(LOG, app.fs)
    secrets.set(SECRET)
    central = Central(SyncServer(app, secrets, rng))
    assert central.authenticate() == C.ST_OK
    app.set_time(1760000000)
    return app, central


def _start_sync(central):
    assert central.call(C.OP_READ, wire.read_payload(central.expected, 64))[1] == C.ST_OK
    central.pump(limit=3)  # a frame half-sent


def _finish_sync(central):
    central.pump()
    assert central.call(C.OP_ACK, wire.u32_payload(central.expected))[1] == C.ST_OK


# The work is done in functions, so no stale slot of this generator's frame keeps
# their temporaries alive at a sample (the figure is what the device holds).
def test_sense_log_sync_heap():
    app, central = _build()
    yield
    for minute in range(60):
        app.run_for(30000)
        yield
        if minute % 10 == 9:  # a sync window, sampled with a frame half-sent
            _start_sync(central)
            yield
            _finish_sync(central)
            yield
    acked = central.expected
    assert acked > 60 and app.log.acked_seq == acked == central.received
    micropython.qstr_info()  # "qstr pool: n_pool=..., n_qstr=...": read by the test
