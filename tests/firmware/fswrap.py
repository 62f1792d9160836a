"""Filesystem wrappers for the record log: power cuts at any byte, a small disk.

They wrap the real filesystem (wlfw.fsio.OsFs on a tmp dir); only the failure
is simulated.
"""

from __future__ import annotations

import errno
import os
from typing import Any

from wlfw.fsio import OsFs


class PowerCut(BaseException):
    """The power went: nothing after this reaches the flash.

    A BaseException so the firmware's own `except OSError` cannot swallow it.
    """


class CutFs(OsFs):
    """Cuts power after `budget` steps: one step per byte written, rename or remove."""

    def __init__(self, budget: int | None = None) -> None:
        self.budget = budget
        self.steps = 0
        self.dead = False

    def _spend(self, n: int) -> int:
        """How many of n steps happen before the cut (raises if none are left)."""
        if self.dead:
            raise PowerCut("already off")
        if self.budget is None:
            self.steps += n
            return n
        left = self.budget - self.steps
        if left >= n:
            self.steps += n
            return n
        self.steps += max(left, 0)
        self.dead = True
        return max(left, 0)

    def open(self, path: str, mode: str) -> Any:
        if self.dead:
            raise PowerCut("already off")
        return _CutFile(self, open(path, mode))

    def remove(self, path: str) -> None:
        if self._spend(1) < 1:
            raise PowerCut("during remove")
        os.remove(path)

    def rename(self, old: str, new: str) -> None:
        if self._spend(1) < 1:
            raise PowerCut("during rename")
        os.rename(old, new)


class _CutFile:
    def __init__(self, fs: CutFs, f: Any) -> None:
        self.fs = fs
        self.f = f

    def write(self, data: Any) -> int:
        data = bytes(data)
        k = self.fs._spend(len(data))
        self.f.write(data[:k])
        if k < len(data):
            self.f.close()
            raise PowerCut(f"after {k} of {len(data)} bytes")
        return k

    def readinto(self, b: Any) -> int:
        return self.f.readinto(b)

    def read(self, n: int = -1) -> bytes:
        return self.f.read(n)

    def seek(self, off: int, whence: int = 0) -> int:
        return self.f.seek(off, whence)

    def close(self) -> None:
        self.f.close()


class SmallFs(OsFs):
    """A filesystem of `capacity` bytes (in 512-byte blocks, like littlefs's accounting)."""

    BLOCK = 512

    def __init__(self, directory: str, capacity: int) -> None:
        self.directory = directory
        self.capacity = capacity
        self.full_errors = 0

    def used(self) -> int:
        tot = 0
        for name in os.listdir(self.directory):
            size = os.path.getsize(os.path.join(self.directory, name))
            tot += -(-size // self.BLOCK) * self.BLOCK
        return tot

    def statvfs(self, path: str) -> tuple[int, ...]:
        free = max(self.capacity - self.used(), 0) // self.BLOCK
        return (self.BLOCK, self.BLOCK, self.capacity // self.BLOCK, free, free, 0, 0, 0, 0, 255)

    def open(self, path: str, mode: str) -> Any:
        if "a" in mode or "w" in mode:
            return _SmallFile(self, open(path, mode, buffering=0))
        return open(path, mode)



class _SmallFile:
    def __init__(self, fs: SmallFs, f: Any) -> None:
        self.fs = fs
        self.f = f

    def write(self, data: Any) -> int:
        data = bytes(data)
        room = self.fs.capacity - self.fs.used()
        if len(data) > room:
            self.fs.full_errors += 1
            raise OSError(errno.ENOSPC, "No space left on device")
        return self.f.write(data)

    def close(self) -> None:
        self.f.close()
