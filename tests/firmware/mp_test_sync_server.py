# The device's sync engine driven by a scripted central, with a real RecordLog
# on a real filesystem. Runs in the MicroPython VM (mp_test_*) and on CPython
# (tests/firmware/test_sync_server.py imports it with a tmp directory).
import os
import struct

from wlfw.auth import SecretStore
from wlfw.fsio import OsFs
from wlfw.recordlog import RecordLog
from wlfw.sync_server import CONTROL, DATA, SyncServer
from wlproto import auth, frames
from wlproto import const as C
from wlproto.segments import Reassembler

ROOT = "/sync_test"
T0 = 1767225600
SECRET = b"0123456789abcdef"
_n = [0]


def _fresh_dir():
    _n[0] += 1
    d = ROOT + str(_n[0])
    fs = OsFs()
    fs.mkdir(d)
    for name in os.listdir(d):
        os.remove(d + "/" + name)
    return d, fs


class Device:
    def __init__(self, log):
        self.log = log
        self.device_id = 0x3F2A
        self.epoch_len = 30
        self.clock_set = False
        self.now = 5000

    def device_time(self):
        return self.now

    def set_time(self, utc):
        prev, was_unset = self.now, not self.clock_set
        self.now = utc
        self.clock_set = True
        return prev, was_unset

    def battery_pct(self):
        return 80


_rng_state = [1]


def rng(n):
    out = bytearray(n)
    for i in range(n):
        _rng_state[0] = (_rng_state[0] * 1103515245 + 12345) & 0x7FFFFFFF
        out[i] = _rng_state[0] >> 16 & 0xFF
    return bytes(out)


class Central:
    """Speaks the protocol to a SyncServer through peek()/sent(), like a radio would."""

    def __init__(self, server, conn=1, mtu=23):
        self.server = server
        self.conn = conn
        server.connected(conn)
        server.mtu_changed(conn, mtu)
        self.asm = (Reassembler(), Reassembler())
        self.replies = []
        self.frames = []

    def pump(self, limit=100000):
        n = 0
        while n < limit:
            nxt = self.server.peek(self.conn)
            if nxt is None:
                return n
            which, seg = nxt
            msg = self.asm[which].feed(bytes(seg))
            self.server.sent(self.conn, which)
            n += 1
            if msg is not None:
                m = frames.decode_message(msg)
                (self.replies if which == CONTROL else self.frames).append(m)
        return n

    def call(self, op, payload=b""):
        self.server.command(self.conn, frames.encode_command(op, payload))
        self.pump(limit=1000 if op != C.OP_READ else 0)
        # Replies come first: pump only until the reply is out.
        while not self.replies:
            if self.pump(limit=1) == 0:
                break
        return self.replies.pop(0)

    def authenticate(self, secret=SECRET):
        cn = b"C" * 16
        r = self.call(C.OP_AUTH_BEGIN, cn)
        if r.status != C.ST_OK:
            return r
        dn, proof = r.payload[:16], r.payload[16:]
        assert proof == auth.device_proof(secret, cn, dn), "device proof wrong"
        return self.call(C.OP_AUTH_PROVE, auth.central_proof(secret, cn, dn))


def _setup(n_epochs=300, n_events=5):
    d, fs = _fresh_dir()
    log = RecordLog(d, fs)
    for i in range(n_epochs):
        log.append_epoch(T0 + 30 * i, 0, i % 500, i % 300, -30, 3, i % 40, 60)
        if n_events and i % (n_epochs // n_events) == 0:
            log.append_event(T0 + 30 * i + 7, 0, C.EV_SYMPTOM, 1 + i % 5)
    log.flush()
    dev = Device(log)
    secrets = SecretStore(d, fs)
    return dev, secrets, SyncServer(dev, secrets, rng)


def test_unpaired_device_refuses_data_but_shows_status():
    dev, secrets, server = _setup(10, 0)
    c = Central(server)
    assert c.call(C.OP_READ, frames.read_payload(0, 100)).status == C.ST_NOT_AUTHENTICATED
    assert c.call(C.OP_ACK, frames.u32_payload(5)).status == C.ST_NOT_AUTHENTICATED
    assert c.call(C.OP_FORGET).status == C.ST_NOT_AUTHENTICATED
    assert c.authenticate().status == C.ST_AUTH_FAILED
    st = frames.Status.decode(c.call(C.OP_STATUS).payload)
    assert st.flags & C.STATUS_FLAG_PAIRING_MODE
    assert st.next_seq == 0 and st.device_time == 0  # nothing about the data before auth
    assert dev.log.acked_seq == 0 and c.frames == []


def test_pair_then_wrong_secret_is_refused():
    dev, secrets, server = _setup(10, 0)
    c = Central(server)
    assert c.call(C.OP_PAIR, SECRET).status == C.ST_OK
    assert secrets.get() == SECRET
    other = Central(server, conn=2)
    assert other.call(C.OP_PAIR, b"x" * 16).status == C.ST_NOT_PAIRING
    r = other.call(C.OP_AUTH_BEGIN, b"C" * 16)
    dn = r.payload[:16]
    bad = auth.central_proof(b"y" * 16, b"C" * 16, dn)
    assert other.call(C.OP_AUTH_PROVE, bad).status == C.ST_AUTH_FAILED
    assert other.call(C.OP_READ, frames.read_payload(0, 10)).status == C.ST_NOT_AUTHENTICATED


def _sync(c, dev, window=64, start=0):
    got = []
    expected = start
    assert c.call(C.OP_READ, frames.read_payload(start, window)).status == C.ST_OK
    while True:
        c.pump()
        progressed = False
        while c.frames:
            f = c.frames.pop(0)
            if f.ftype == C.FT_END:
                assert f.first_seq == dev.log.next_seq
                assert c.call(C.OP_ACK, frames.u32_payload(expected)).status == C.ST_OK
                return got
            assert f.first_seq == expected, (f.first_seq, expected)
            got.extend(f.records)
            expected = f.next_seq
            progressed = True
        if progressed:
            assert c.call(C.OP_ACK, frames.u32_payload(expected)).status == C.ST_OK
        else:
            raise AssertionError("stream stalled at %d" % expected)


def test_full_sync_at_mtu_23_and_247():
    for mtu in (23, 247):
        dev, secrets, server = _setup(300, 5)
        secrets.set(SECRET)
        c = Central(server, mtu=mtu)
        assert c.authenticate().status == C.ST_OK
        r = c.call(C.OP_SET_TIME, frames.u32_payload(T0 + 9000))
        assert frames.parse_set_time_reply(r.payload) == (5000, True)
        st = frames.Status.decode(c.call(C.OP_STATUS).payload)
        assert st.flags & C.STATUS_FLAG_AUTHENTICATED and st.next_seq == dev.log.next_seq
        got = _sync(c, dev)
        assert [r.seq for r in got] == list(range(dev.log.next_seq))
        assert got[0].time == T0 and got[0].enmo_dmg == 0
        assert dev.log.acked_seq == dev.log.next_seq


def test_window_is_respected_until_acked():
    dev, secrets, server = _setup(200, 0)
    secrets.set(SECRET)
    c = Central(server, mtu=247)
    c.authenticate()
    assert c.call(C.OP_READ, frames.read_payload(0, 50)).status == C.ST_OK
    c.pump()
    n = sum(len(f.records) for f in c.frames)
    assert n == 50, n
    assert dev.log.acked_seq == 0  # nothing deletable before an ack
    c.call(C.OP_ACK, frames.u32_payload(50))
    c.pump()
    assert sum(len(f.records) for f in c.frames) == 100


def test_resume_after_disconnect_and_busy_second_central():
    dev, secrets, server = _setup(200, 0)
    secrets.set(SECRET)
    a = Central(server, conn=1)
    a.authenticate()
    b = Central(server, conn=2)
    b.authenticate()
    assert a.call(C.OP_READ, frames.read_payload(0, 40)).status == C.ST_OK
    assert b.call(C.OP_READ, frames.read_payload(0, 40)).status == C.ST_BUSY
    a.pump()
    a.call(C.OP_ACK, frames.u32_payload(40))
    server.disconnected(1)
    # The second central takes over and resumes from the last ack.
    got = _sync(b, dev, start=dev.log.acked_seq)
    assert got[0].seq == 40 and got[-1].seq == dev.log.next_seq - 1


def test_bad_commands_get_clear_statuses():
    dev, secrets, server = _setup(5, 0)
    c = Central(server)
    server.command(1, b"\x02\x01\x00")
    server.command(1, b"\x01\x06\x00\x01")
    server.command(1, b"\x01\x7f\x00")
    c.pump()
    assert [r.status for r in c.replies] == [C.ST_BAD_VERSION, C.ST_BAD_REQUEST,
                                             C.ST_BAD_REQUEST]
    secrets.set(SECRET)
    c.replies = []
    c.authenticate()
    assert c.call(C.OP_READ, frames.read_payload(99, 10)).status == C.ST_OUT_OF_RANGE
    assert c.call(C.OP_ACK, frames.u32_payload(99)).status == C.ST_OUT_OF_RANGE


def test_sync_engine_heap():
    # The engine with its buffers, mid-stream at MTU 247: sampled at the yield.
    dev, secrets, server = _setup(120, 0)
    secrets.set(SECRET)
    c = Central(server, mtu=247)
    c.authenticate()
    server.command(1, frames.encode_command(C.OP_READ, frames.read_payload(0, 64)))
    nxt = server.peek(1)
    assert nxt is not None and nxt[0] == CONTROL
    yield
    assert struct.calcsize("<I") == 4 and DATA == 1


def _ack_now(c, seq):
    """ACK and take its reply without letting any more data go out (replies go first)."""
    c.server.command(c.conn, frames.encode_command(C.OP_ACK, frames.u32_payload(seq)))
    while not c.replies:
        assert c.pump(limit=1) == 1
    return c.replies.pop(0)


def test_ack_only_up_to_what_was_sent_in_this_session():
    # Issue 14.13: a central that got 7 notifications must not acknowledge all 583 records.
    dev, secrets, server = _setup(583, 0)
    secrets.set(SECRET)
    c = Central(server, mtu=247)
    c.authenticate()
    assert _ack_now(c, 1).status == C.ST_OUT_OF_RANGE  # no READ yet
    assert c.call(C.OP_READ, frames.read_payload(0, 583)).status == C.ST_OK
    assert c.pump(limit=7) == 7
    got = sum(len(f.records) for f in c.frames)
    assert 0 < got < 200, got
    total = dev.log.next_seq
    assert _ack_now(c, total).status == C.ST_OUT_OF_RANGE
    assert dev.log.acked_seq == 0
    # the frame whose first segments went out is not delivered until its last one is
    assert _ack_now(c, got + 1).status == C.ST_OUT_OF_RANGE
    assert _ack_now(c, got).status == C.ST_OK
    assert dev.log.acked_seq == got
    # a new session starts from nothing sent: only its READ's start may be acked
    server.disconnected(1)
    d = Central(server, conn=2, mtu=247)
    d.authenticate()
    assert _ack_now(d, got + 20).status == C.ST_OUT_OF_RANGE
    assert _ack_now(d, got).status == C.ST_OK  # already stored
    # a companion whose last ACK was lost reads from what it stores and acks that
    assert d.call(C.OP_READ, frames.read_payload(got + 20, 10)).status == C.ST_OK
    assert _ack_now(d, got + 20).status == C.ST_OK
    assert dev.log.acked_seq == got + 20
    d.pump()
    assert _ack_now(d, got + 31).status == C.ST_OUT_OF_RANGE
    assert _ack_now(d, got + 30).status == C.ST_OK
    assert dev.log.acked_seq == got + 30
