# The device side of the sync protocol (shared/PROTOCOL.md): commands in,
# replies and record frames out, as notification segments the BLE driver
# sends when the stack has room. Pure logic: no `bluetooth` here, so it runs
# on the MicroPython VM and on CPython unchanged.
#
# device: the app, with .log (RecordLog), .device_id, .epoch_len,
#   .device_time(), .clock_set, .set_time(utc) -> (previous, was_unset),
#   .battery_pct() and optionally .sensor_fault.
# secrets: wlfw.auth.SecretStore; proofs: wlproto.auth. rng(n) -> n random bytes.
import struct

try:
    from micropython import const
except ImportError:  # CPython

    def const(x):  # type: ignore[misc]
        return x


from wlproto import auth, wire
from wlproto.const import (
    ATT_OVERHEAD,
    CRC_SIZE,
    FRAME_HEADER_SIZE,
    FT_END,
    FT_RECORDS,
    MAX_MESSAGE_SIZE,
    MAX_RECORDS_PER_FRAME,
    MIN_MTU,
    NONCE_SIZE,
    OP_ACK,
    OP_AUTH_BEGIN,
    OP_AUTH_PROVE,
    OP_FORGET,
    OP_PAIR,
    OP_READ,
    OP_SET_TIME,
    OP_STATUS,
    OP_STOP,
    RECORD_SIZE,
    SEG_COUNTER_MASK,
    SEG_FIRST,
    SEG_LAST,
    ST_AUTH_FAILED,
    ST_BAD_REQUEST,
    ST_BAD_VERSION,
    ST_BUSY,
    ST_NOT_AUTHENTICATED,
    ST_NOT_PAIRING,
    ST_OK,
    ST_OUT_OF_RANGE,
    STATUS_FLAG_AUTHENTICATED,
    STATUS_FLAG_CLOCK_SET,
    STATUS_FLAG_LOG_NEARLY_FULL,
    STATUS_FLAG_PAIRED,
    STATUS_FLAG_PAIRING_MODE,
    STATUS_FLAG_SENSOR_FAULT,
)
from wlproto.errors import ProtocolError, VersionError

CONTROL = 0  # which characteristic a notification goes to
DATA = 1
NEEDS_AUTH = (OP_SET_TIME, OP_READ, OP_ACK, OP_FORGET)
_NEARLY_FULL_BYTES = const(65536)


class _Out:
    """One message being cut into segments for one characteristic."""

    def __init__(self):
        self.msg = None  # a reply (bytes), or the engine's frame buffer
        self.n = 0  # the message's length
        self.off = 0
        self.counter = 0
        self.end = 0  # a data message: the sequence after its records


class Session:
    """Per-connection state."""

    def __init__(self, conn):
        self.conn = conn
        self.mtu = MIN_MTU
        self.authed = False
        self.cn = None
        self.dn = None
        self.replies = []
        self.out = (_Out(), _Out())
        self.streaming = False
        self.cursor = 0
        self.ack_point = 0
        self.window = 0
        self.end_due = False
        # The highest sequence an ACK may name in this session: the READ's from_seq
        # (what the central says it stores) or the end of the last frame whose
        # last segment went out. Records never delivered are never counted as stored.
        self.sent_to = 0


class SyncServer:
    def __init__(self, device, secrets, rng):
        self.device = device
        self.secrets = secrets
        self.rng = rng
        self.sessions = {}
        self.streamer = None  # the one session allowed to stream
        # One frame buffer, records read straight into it after the header: no
        # allocation per frame. Only one session's frame is in it at a time (_owner).
        self._frame = bytearray(MAX_MESSAGE_SIZE)
        self._body = memoryview(self._frame)[FRAME_HEADER_SIZE:]
        self._owner = None
        self._seg = bytearray(512)
        self.frames_sent = 0
        self.notifications_sent = 0

    # --- connection events (from the BLE driver) ------------------------------
    def connected(self, conn):
        self.sessions[conn] = Session(conn)

    def disconnected(self, conn):
        s = self.sessions.pop(conn, None)
        if s is not None and self.streamer is s:
            self.streamer = None
        if s is not None and self._owner is s:
            self._owner = None

    def mtu_changed(self, conn, mtu):
        s = self.sessions.get(conn)
        if s is not None:
            s.mtu = mtu if mtu > MIN_MTU else MIN_MTU

    # --- status ----------------------------------------------------------------
    def status(self, authed=False):
        """Status struct; counts, time and space only for an authenticated central."""
        d = self.device
        log = d.log
        flags = 0
        if d.clock_set:
            flags |= STATUS_FLAG_CLOCK_SET
        if self.secrets.get() is not None:
            flags |= STATUS_FLAG_PAIRED
        else:
            flags |= STATUS_FLAG_PAIRING_MODE
        free = log.free_bytes()
        if free < _NEARLY_FULL_BYTES:
            flags |= STATUS_FLAG_LOG_NEARLY_FULL
        if getattr(d, "sensor_fault", False):
            flags |= STATUS_FLAG_SENSOR_FAULT
        if not authed:
            return wire.encode_status(flags, d.device_id, 0, 0, 0, 0, 0, d.battery_pct(),
                                      d.epoch_len)
        flags |= STATUS_FLAG_AUTHENTICATED
        if free > 0xFFFFFFFF:
            free = 0xFFFFFFFF
        return wire.encode_status(flags, d.device_id, log.oldest_seq, log.next_seq,
                                  log.acked_seq, d.device_time() & 0xFFFFFFFF, free,
                                  d.battery_pct(), d.epoch_len)

    # --- commands --------------------------------------------------------------
    def command(self, conn, data):
        """Handle one control-point write; the reply is queued for notification."""
        s = self.sessions.get(conn)
        if s is None:
            self.connected(conn)
            s = self.sessions[conn]
        try:
            op, payload = wire.decode_command(data)
        except VersionError:
            self._reply(s, data[1] if len(data) > 1 else 0, ST_BAD_VERSION)
            return
        except ProtocolError:
            self._reply(s, data[1] if len(data) > 1 else 0, ST_BAD_REQUEST)
            return
        if op in NEEDS_AUTH and not s.authed:
            self._reply(s, op, ST_NOT_AUTHENTICATED)
            return
        if op == OP_STATUS:
            self._reply(s, op, ST_OK, self.status(s.authed))
        elif op == OP_AUTH_BEGIN:
            self._auth_begin(s, payload)
        elif op == OP_AUTH_PROVE:
            self._auth_prove(s, payload)
        elif op == OP_PAIR:
            if self.secrets.get() is not None:
                self._reply(s, op, ST_NOT_PAIRING)
            else:
                self.secrets.set(payload)
                s.authed = True
                self._reply(s, op, ST_OK)
        elif op == OP_SET_TIME:
            (utc,) = struct.unpack("<I", payload)
            prev, was_unset = self.device.set_time(utc)
            self._reply(s, op, ST_OK, wire.set_time_reply(prev & 0xFFFFFFFF, was_unset))
        elif op == OP_READ:
            self._read(s, payload)
        elif op == OP_ACK:
            self._ack(s, payload)
        elif op == OP_STOP:
            s.streaming = False
            s.end_due = False
            if self.streamer is s:
                self.streamer = None
            self._reply(s, op, ST_OK)
        elif op == OP_FORGET:
            self.secrets.clear()
            for other in self.sessions.values():
                other.authed = False
            s.streaming = False
            self._reply(s, op, ST_OK)

    def _auth_begin(self, s, cn):
        secret = self.secrets.get()
        s.authed = False
        if secret is None:
            s.dn = None
            self._reply(s, OP_AUTH_BEGIN, ST_AUTH_FAILED)
            return
        s.cn = bytes(cn)
        s.dn = bytes(self.rng(NONCE_SIZE))
        self._reply(s, OP_AUTH_BEGIN, ST_OK, s.dn + auth.device_proof(secret, s.cn, s.dn))

    def _auth_prove(self, s, proof):
        secret = self.secrets.get()
        if secret is None or s.dn is None:
            self._reply(s, OP_AUTH_PROVE, ST_BAD_REQUEST)
            return
        ok = auth.equal(proof, auth.central_proof(secret, s.cn, s.dn))
        s.dn = None  # one try per challenge
        s.authed = ok
        self._reply(s, OP_AUTH_PROVE, ST_OK if ok else ST_AUTH_FAILED)

    def _read(self, s, payload):
        from_seq, window = wire.parse_read(payload)
        log = self.device.log
        if self.streamer is not None and self.streamer is not s:
            self._reply(s, OP_READ, ST_BUSY)
            return
        if from_seq > log.next_seq:
            self._reply(s, OP_READ, ST_OUT_OF_RANGE)
            return
        if from_seq < log.oldest_seq:
            from_seq = log.oldest_seq
        s.cursor = from_seq
        s.ack_point = from_seq
        if from_seq > s.sent_to:
            s.sent_to = from_seq
        s.window = window if window > 0 else 1
        s.streaming = True
        s.end_due = False
        # A new READ restarts the data stream: drop a half-sent frame.
        s.out[DATA].msg = None
        if self._owner is s:
            self._owner = None
        self.streamer = s
        self._reply(s, OP_READ, ST_OK)

    def _ack(self, s, payload):
        seq = wire.parse_u32(payload)
        log = self.device.log
        if seq > log.next_seq or (seq > s.sent_to and seq > log.acked_seq):
            self._reply(s, OP_ACK, ST_OUT_OF_RANGE)  # not sent in this session
            return
        log.ack(seq)
        if seq > s.ack_point:
            s.ack_point = seq
        self._reply(s, OP_ACK, ST_OK)

    def _reply(self, s, op, status, payload=b""):
        s.replies.append(wire.encode_reply(op, status, payload))

    # --- outgoing notifications ---------------------------------------------------
    def _frame_budget(self, s):
        per = s.mtu - ATT_OVERHEAD - 1
        k = MAX_MESSAGE_SIZE // per
        n = (per * (k if k > 0 else 1) - FRAME_HEADER_SIZE - CRC_SIZE) // RECORD_SIZE
        return n if n < MAX_RECORDS_PER_FRAME else MAX_RECORDS_PER_FRAME

    def _next_data(self, s):
        """Put the session's next frame in the frame buffer; its length, or 0 if none
        is due (or another session's half-sent frame still holds the buffer)."""
        log = self.device.log
        if self._owner is not None and self._owner is not s:
            return 0
        if s.cursor < log.oldest_seq:  # dropped for space since the READ
            s.cursor = log.oldest_seq
        limit = s.ack_point + s.window
        if limit > log.next_seq:
            limit = log.next_seq
        n = limit - s.cursor
        if n <= 0:
            if s.cursor >= log.next_seq and not s.end_due:
                s.end_due = True
                s.out[DATA].end = s.cursor
                return wire.frame_into(self._frame, FT_END, log.next_seq,
                                       self.device.device_time() & 0xFFFFFFFF, 0)
            return 0
        budget = self._frame_budget(s)
        if n > budget:
            n = budget
        first, count, base = log.read_into(s.cursor, self._body, n)
        if count == 0:
            return 0
        s.cursor = first + count
        s.out[DATA].end = s.cursor  # acked only once the frame's last segment is out
        self.frames_sent += 1
        return wire.frame_into(self._frame, FT_RECORDS, first, base, count)

    def _fill(self, s):
        """Make sure a message is pending on some characteristic; False if idle."""
        ctl, dat = s.out
        if ctl.msg is None and s.replies:
            ctl.msg = s.replies.pop(0)
            ctl.n = len(ctl.msg)
            ctl.off = 0
        if ctl.msg is not None:
            return True
        if dat.msg is None and s.streaming and self.streamer is s:
            n = self._next_data(s)
            if n == 0:
                return False
            dat.msg = self._frame
            dat.n = n
            dat.off = 0
            self._owner = s
        return dat.msg is not None

    def peek(self, conn):
        """(characteristic, segment) due next on conn, or None. Replies go first."""
        s = self.sessions.get(conn)
        if s is None or not self._fill(s):
            return None
        which = CONTROL if s.out[CONTROL].msg is not None else DATA
        o = s.out[which]
        per = s.mtu - ATT_OVERHEAD - 1
        n = o.n - o.off
        if n > per:
            n = per
        head = o.counter & SEG_COUNTER_MASK
        if o.off == 0:
            head |= SEG_FIRST
        if o.off + n >= o.n:
            head |= SEG_LAST
        seg = self._seg
        seg[0] = head
        seg[1:1 + n] = memoryview(o.msg)[o.off:o.off + n]
        return which, memoryview(seg)[: 1 + n]

    def sent(self, conn, which):
        """The segment from peek() went out: advance."""
        s = self.sessions[conn]
        o = s.out[which]
        o.off += s.mtu - ATT_OVERHEAD - 1
        o.counter = (o.counter + 1) & SEG_COUNTER_MASK
        self.notifications_sent += 1
        if o.off >= o.n:
            if which == DATA:
                if o.end > s.sent_to:
                    s.sent_to = o.end  # the whole frame is out: its records may be acked
                if self._owner is s:
                    self._owner = None
            o.msg = None
            o.off = 0

    def unsynced(self):
        log = self.device.log
        return log.next_seq - log.acked_seq
