# Symptom button: a pure state machine fed (pressed, ticks_ms); no pins here.
#
#   N short presses starting within 2 s of the first  -> SYMPTOM, severity N (1..5)
#   one press held >= 2 s                              -> LONG (app toggles bed / up)
# A level counts once it has been stable for DEBOUNCE_MS. Events are queued
# with the tick of the press that started them; the app pops them.
try:
    from micropython import const
except ImportError:  # CPython

    def const(x):  # type: ignore[misc]
        return x


DEBOUNCE_MS = const(30)
_WINDOW_MS = const(2000)  # short presses counted from the first one
_LONG_MS = const(2000)  # held this long = a long press
_MAX_SEVERITY = const(5)

SYMPTOM = const(1)
LONG = const(2)

_QLEN = const(8)


def _diff(a, b):
    # ticks_diff for values that may wrap (ticks period 2**30 on the boards)
    return ((a - b + 0x20000000) & 0x3FFFFFFF) - 0x20000000


class Button:
    """Debounced press patterns; update() on every edge and every wake."""

    def __init__(self):
        self._raw = False
        self._raw_t = 0
        self._down = False  # debounced level
        self._down_t = 0
        self._long_sent = False
        self._count = 0
        self._first_t = 0
        self.presses = 0  # debounced presses since last clear_activity()
        self._q = [(0, 0, 0)] * _QLEN  # (kind, value, ticks)
        self._qh = 0
        self._qn = 0

    def _push(self, kind, value, t):
        if self._qn == _QLEN:  # drop the oldest rather than the newest
            self._qh = (self._qh + 1) % _QLEN
            self._qn -= 1
        self._q[(self._qh + self._qn) % _QLEN] = (kind, value, t)
        self._qn += 1

    def pop(self):
        """Next (kind, value, ticks_ms) or None."""
        if not self._qn:
            return None
        e = self._q[self._qh]
        self._qh = (self._qh + 1) % _QLEN
        self._qn -= 1
        return e

    def update(self, pressed, now):
        """Feed the raw level at tick now (edges, or a poll on each wake)."""
        pressed = bool(pressed)
        if pressed != self._raw:
            # the level being replaced may have settled before this edge
            if self._raw != self._down and _diff(now, self._raw_t) >= DEBOUNCE_MS:
                self._edge(self._raw, self._raw_t)
            self._raw = pressed
            self._raw_t = now
        self.poll(now)

    def _edge(self, down, t):
        self._down = down
        if down:
            self._down_t = t
            self._long_sent = False
            self.presses += 1
            if self._count and _diff(t, self._first_t) >= _WINDOW_MS:
                self._close()
            return
        if self._long_sent:
            return
        if _diff(t, self._down_t) >= _LONG_MS:
            self._long(self._down_t)
            return
        if self._count == 0:
            self._first_t = self._down_t
        self._count += 1

    def _long(self, t):
        if self._count:
            self._close()
        self._long_sent = True
        self._push(LONG, 0, t)

    def _close(self):
        n = self._count if self._count < _MAX_SEVERITY else _MAX_SEVERITY
        self._push(SYMPTOM, n, self._first_t)
        self._count = 0

    def poll(self, now):
        """Settle a debounced level; time-outs: the 2-s window, a press held 2 s."""
        if self._raw != self._down and _diff(now, self._raw_t) >= DEBOUNCE_MS:
            self._edge(self._raw, self._raw_t)
        if self._down and not self._long_sent and _diff(now, self._down_t) >= _LONG_MS:
            self._long(self._down_t)
        if self._count and _diff(now, self._first_t) >= _WINDOW_MS and not (
                self._down and _diff(self._down_t, self._first_t) < _WINDOW_MS):
            self._close()

    @property
    def busy(self):
        """True while a pattern is in progress (keep waking often)."""
        return self._down or self._count > 0 or self._raw != self._down
