# Segmentation: a message (frame or reply) can be longer than one notification
# (MTU - 3 bytes; 20 at the default MTU of 23). Each notification starts with
# one segment byte: FIRST (0x80), LAST (0x40) and a 6-bit running counter, so
# the receiver can tell a lost, repeated or reordered notification.
from wlproto.const import (
    ATT_OVERHEAD,
    MAX_MESSAGE_SIZE,
    MIN_MTU,
    SEG_COUNTER_MASK,
    SEG_FIRST,
    SEG_LAST,
)
from wlproto.errors import EncodeError, OversizeError, SegmentError


def segment_payload_size(mtu):
    """Message bytes one notification carries at this ATT MTU."""
    if mtu < MIN_MTU:
        raise EncodeError("ATT MTU %d is below the minimum %d" % (mtu, MIN_MTU))
    return mtu - ATT_OVERHEAD - 1


def message_fits(mtu, n_bytes):
    """Number of notifications a message of n_bytes needs at this MTU."""
    per = segment_payload_size(mtu)
    return (n_bytes + per - 1) // per


def segments(message, mtu, counter=0):
    """Split message into notification payloads; counter is the first one's counter."""
    per = segment_payload_size(mtu)
    n = len(message)
    out = []
    off = 0
    while True:
        chunk = message[off:off + per]
        head = counter & SEG_COUNTER_MASK
        if off == 0:
            head |= SEG_FIRST
        off += per
        if off >= n:
            head |= SEG_LAST
        out.append(bytes(bytearray((head,))) + bytes(chunk))
        counter += 1
        if off >= n:
            return out


class Reassembler:
    """Joins notification segments back into messages.

    feed() returns the message when its LAST segment arrives, else None. A
    continuation out of sequence raises SegmentError and drops the partial
    message; the next FIRST segment starts cleanly, so the caller can re-request.
    """

    def __init__(self, limit=MAX_MESSAGE_SIZE):
        self.limit = limit
        self._buf = None
        self._next = 0
        self.dropped = 0  # unfinished messages discarded

    def reset(self):
        self._buf = None

    def feed(self, seg):
        if len(seg) < 1:
            raise SegmentError("empty notification")
        head = seg[0]
        counter = head & SEG_COUNTER_MASK
        if head & SEG_FIRST:
            if self._buf is not None:
                # The previous message never finished. Frames carry sequence
                # numbers, so the gap is caught (and re-requested) above us.
                self.dropped += 1
            self._buf = bytearray(seg[1:])
            self._next = (counter + 1) & SEG_COUNTER_MASK
        else:
            if self._buf is None:
                raise SegmentError("continuation segment %d with no message started" % counter)
            if counter != self._next:
                self._buf = None
                raise SegmentError("segment %d arrived where %d was due" % (counter, self._next))
            self._buf.extend(seg[1:])
            self._next = (counter + 1) & SEG_COUNTER_MASK
        if len(self._buf) > self.limit:
            self._buf = None
            raise OversizeError("message exceeds %d bytes" % self.limit)
        if head & SEG_LAST:
            msg = bytes(self._buf)
            self._buf = None
            return msg
        return None
