"""Stand-in for MicroPython's `micropython` module on CPython."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def const(x: Any) -> Any:
    return x


def native(f: Callable) -> Callable:
    return f


viper = native


def schedule(f: Callable, arg: Any) -> None:
    f(arg)


def alloc_emergency_exception_buf(n: int) -> None:
    return None


def mem_info(*args: Any) -> None:
    return None
