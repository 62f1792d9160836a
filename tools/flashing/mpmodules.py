"""Modules a MicroPython 1.27 port provides itself (built in or frozen), per port.

An import the closure cannot find in our trees must be one of these, or the
device would fail at boot. Checked against the micropython-esp32/rp2 stub
packages by tests/firmware/test_flash_closure.py when they are installed.
"""

from __future__ import annotations

COMMON = frozenset({
    "array", "binascii", "builtins", "cmath", "collections", "errno", "gc", "hashlib",
    "heapq", "io", "json", "math", "micropython", "os", "platform", "random", "re",
    "select", "socket", "struct", "sys", "time", "uctypes", "deflate", "asyncio",
    "machine", "bluetooth", "network", "framebuf", "vfs", "cryptolib", "_thread",
    "neopixel", "onewire", "ds18x20", "dht", "ntptime", "requests", "mip", "tls",
    "webrepl", "uasyncio", "ubinascii", "uhashlib", "ustruct", "utime", "uos", "ujson",
})

BUILTIN_MODULES: dict[str, frozenset[str]] = {
    "esp32": COMMON | {"esp", "esp32", "espnow", "btree"},
    "rp2": COMMON | {"rp2"},
}

PORTS = tuple(BUILTIN_MODULES)
