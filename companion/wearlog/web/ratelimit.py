"""Login rate limiting: N failures per key in a sliding window, kept in memory.

In memory is enough for one server process; a restart forgets, which only helps
the legitimate user who locked themselves out.
"""

from __future__ import annotations

import threading
import time
from collections import deque


class LoginLimiter:
    def __init__(self, max_failures: int, window_s: int) -> None:
        self.max_failures = max_failures
        self.window_s = window_s
        self._fails: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        q = self._fails.setdefault(key, deque())
        while q and now - q[0] > self.window_s:
            q.popleft()
        return q

    def retry_after(self, *keys: str) -> int:
        """Seconds until another attempt is allowed (0: allowed now)."""
        now = time.monotonic()
        with self._lock:
            waits = [
                int(q[0] + self.window_s - now) + 1
                for q in (self._recent(k, now) for k in keys)
                if len(q) >= self.max_failures
            ]
        return max(waits, default=0)

    def failed(self, *keys: str) -> None:
        now = time.monotonic()
        with self._lock:
            for k in keys:
                self._recent(k, now).append(now)

    def succeeded(self, key: str) -> None:
        with self._lock:
            self._fails.pop(key, None)
