# Runs on the native MicroPython port (driven by tests/firmware/test_littlefs_log.py):
# DAYS simulated days of a device on littlefs (the Pico W's 848 KiB, 4 KiB blocks)
# with random power cuts (at random flash program operations: in a chunk write,
# an ack, a segment drop or a sync's flush) and random sync sessions, some cut
# short by a disconnect. The companion side stores by sequence number as the
# real store does. At the end, after one last clean sync: every epoch the device
# recorded is stored exactly once, except those in RAM at a cut (never on flash,
# never sent), and nothing was ever misfiled (a sequence number with two contents).
import random
from array import array

from mp_lfs_log import DIR, T0, Flash, PowerCut, mount, unmount

from wlfw.auth import SecretStore
from wlfw.recordlog import RecordLog
from wlfw.sync_server import CONTROL, SyncServer
from wlproto import auth, frames
from wlproto import const as C
from wlproto.records import Epoch
from wlproto.segments import Reassembler

PARAMS = {"days": 30, "seed": 1, "blocks": 212}
try:
    import json

    with open("/t/params.json") as _f:
        PARAMS.update(json.load(_f))
except OSError:
    pass
SECRET = b"0123456789abcdef"
PER_DAY = 2880


def fields(i):
    return (T0 + 30 * i, 0, i % 1000, i % 700, i % 90, 3, i % 50, 60)


class Device:
    def __init__(self, log):
        self.log = log
        self.device_id = 7
        self.epoch_len = 30
        self.clock_set = True
        self.now = T0

    def device_time(self):
        return self.now

    def set_time(self, utc):
        return self.now, False

    def battery_pct(self):
        return 70


class Companion:
    """Stores records by sequence number (idempotent), as wearlog's store does."""

    def __init__(self, n):
        self.time_of = array("I", bytes(4 * (n + 64)))  # seq -> epoch time (0: none)
        self.expected = 0  # the next sequence it asks for
        self.sessions = 0
        self.interrupted = 0
        self.duplicates = 0

    def store(self, rec):
        assert isinstance(rec, Epoch)
        i = (rec.time - T0) // 30
        assert rec == Epoch(rec.seq, *fields(i)), rec
        if self.time_of[rec.seq]:
            assert self.time_of[rec.seq] == rec.time, ("misfiled", rec.seq)
            self.duplicates += 1
        self.time_of[rec.seq] = rec.time

    def session(self, server, conn, stop_after, pump=6):
        """One sync; stop_after notifications then a disconnect (-1: to the end)."""
        self.sessions += 1
        server.connected(conn)
        server.mtu_changed(conn, 247)
        asm = (Reassembler(), Reassembler())
        sent = [0]
        out = {"reply": None, "end": False}

        def step(limit):
            n = 0
            while n < limit:
                if stop_after >= 0 and sent[0] >= stop_after:
                    raise StopIteration
                nxt = server.peek(conn)
                if nxt is None:
                    return n
                which, seg = nxt
                msg = asm[which].feed(bytes(seg))
                server.sent(conn, which)
                sent[0] += 1
                n += 1
                if msg is None:
                    continue
                m = frames.decode_message(msg)
                if which == CONTROL:
                    out["reply"] = m
                elif m.ftype == C.FT_END:
                    out["end"] = True
                else:
                    assert m.first_seq <= self.expected, (m.first_seq, self.expected)
                    for r in m.records:
                        self.store(r)
                    if m.next_seq > self.expected:
                        self.expected = m.next_seq
            return n

        def call(op, payload=b""):
            out["reply"] = None
            server.command(conn, frames.encode_command(op, payload))
            while out["reply"] is None:
                assert step(1) == 1, "no reply"
            return out["reply"]

        try:
            cn = bytes(16)
            dn = call(C.OP_AUTH_BEGIN, cn).payload[:16]
            assert call(C.OP_AUTH_PROVE, auth.central_proof(SECRET, cn, dn)).status == 0
            assert call(C.OP_READ, frames.read_payload(self.expected, 256)).status == 0
            acked = self.expected
            while not out["end"]:
                if step(pump) == 0 and not out["end"]:
                    assert self.expected > acked, "stream stalled"
                if self.expected - acked >= 64 or (out["end"] and self.expected > acked):
                    acked = self.expected
                    assert call(C.OP_ACK, frames.u32_payload(acked)).status == 0
        except StopIteration:
            self.interrupted += 1
        finally:
            server.disconnected(conn)


def boot(flash):
    mount(flash)
    log = RecordLog(DIR)
    secrets = SecretStore(DIR, log.fs)
    assert secrets.get() == SECRET  # the pairing survives every cut
    return log, SyncServer(Device(log), secrets, lambda n: bytes(n))


def test_soak():
    rnd = random.Random(PARAMS["seed"]) if hasattr(random, "Random") else None
    if rnd is None:
        random.seed(PARAMS["seed"])
        rnd = random
    days = PARAMS["days"]
    n = days * PER_DAY
    flash = Flash(4096, PARAMS["blocks"])
    mount(flash, fresh=True)
    log = RecordLog(DIR)
    SecretStore(DIR, log.fs).set(SECRET)
    unmount()
    log, server = boot(flash)
    comp = Companion(n)
    seq_of = array("i", bytes(4 * n))
    for k in range(n):
        seq_of[k] = -1
    lost = bytearray(n)
    durable = 0  # every epoch before this one is on flash (or lost at a cut)
    cuts = 0
    conn = 0
    flash.cut_at = flash.writes + rnd.randint(1, 3000)

    def cut(i):
        # power back: everything appended since `durable` was in RAM or being written
        nonlocal log, server, durable, cuts
        cuts += 1
        flash.cut_at = -1
        unmount()
        log, server = boot(flash)
        for k in range(durable, i + 1):
            if seq_of[k] < 0 or seq_of[k] >= log.next_seq:
                lost[k] = 1
                seq_of[k] = -1
        durable = i + 1
        flash.cut_at = flash.writes + rnd.randint(1, 3000)

    for i in range(n):
        try:
            seq_of[i] = log.append_epoch(*fields(i))
            if log.buffered == 0:
                durable = i + 1
        except PowerCut:
            cut(i)
            continue
        if i % 360 == 359 and rnd.random() < 0.7:  # a radio window, often with a sync
            conn += 1
            stop = rnd.randint(0, 80) if rnd.random() < 0.3 else -1
            try:
                comp.session(server, conn, stop)
                if log.buffered == 0:
                    durable = i + 1  # a sync flushes what it serves
            except PowerCut:
                cut(i)
    flash.cut_at = -1
    log.flush()
    comp.session(server, conn + 1, -1)
    assert log.acked_seq == log.next_seq == comp.expected
    assert log.dropped == 0
    count = bytearray(n)
    for s in range(comp.expected):
        t = comp.time_of[s]
        assert t, ("never stored", s)
        count[(t - T0) // 30] += 1
    n_lost = 0
    for i in range(n):
        if lost[i]:
            n_lost += 1
            assert count[i] == 0, ("a record lost at a cut was stored", i)
        else:
            assert count[i] == 1, ("stored %d times" % count[i], i)
    unmount()
    print("@@SOAK %d %d %d %d %d %d %d %d" % (days, cuts, n_lost, comp.sessions,
                                               comp.interrupted, comp.duplicates,
                                               sum(flash.erases), max(flash.erases)))
