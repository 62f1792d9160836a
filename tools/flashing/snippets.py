"""Tiny MicroPython programs run on the board (mpremote exec) to ask it things.

Each prints one line: MARK + JSON. They use only what the ESP32 and rp2 ports
have (os.statvfs, os.ilistdir, hashlib.sha256, binascii) and are run inside the
MicroPython WebAssembly VM by tests/firmware/test_flash_vm.py.
"""

from __future__ import annotations

import json
from typing import Any

from .errors import TransportError

MARK = "@@WLFLASH "

# Who are you, how much room is there, which of our files are already there?
INFO = """
import sys, os, json
try:
    import machine, binascii
    _uid = binascii.hexlify(machine.unique_id()).decode()
except ImportError:
    _uid = None
_st = os.statvfs('/')
_files = {}
def _walk(d):
    try:
        it = os.ilistdir(d)
    except OSError:
        return
    for e in it:
        p = d + '/' + e[0]
        if e[1] == 0x4000:
            _walk(p)
        else:
            _files[p] = e[3] if len(e) > 3 else os.stat(p)[6]
for _d in %(dirs)r:
    _walk(_d)
for _p in %(top)r:
    try:
        _files[_p] = os.stat(_p)[6]
    except OSError:
        pass
print(%(mark)r + json.dumps({
    'name': sys.implementation.name,
    'version': list(sys.implementation.version[:3]),
    'mpy': getattr(sys.implementation, '_mpy', 0),
    'machine': getattr(sys.implementation, '_machine', ''),
    'bsize': _st[0], 'bavail': _st[4],
    'unique_id': _uid, 'files': _files}))
"""

# sha256 of each listed file (None if missing), read in 512-byte chunks: no big buffers.
HASHES = """
import hashlib, binascii, json
def _h(p):
    try:
        f = open(p, 'rb')
    except OSError:
        return None
    d = hashlib.sha256()
    b = bytearray(512)
    m = memoryview(b)
    while True:
        n = f.readinto(b)
        if not n:
            break
        d.update(m[:n])
    f.close()
    return binascii.hexlify(d.digest()).decode()
print(%(mark)r + json.dumps(dict((p, _h(p)) for p in %(paths)r)))
"""


def info_code(dirs: tuple[str, ...], top: tuple[str, ...]) -> str:
    return INFO % {"dirs": list(dirs), "top": list(top), "mark": MARK}


def hashes_code(paths: list[str]) -> str:
    return HASHES % {"paths": list(paths), "mark": MARK}


def parse_answer(output: str) -> Any:
    """The JSON after MARK in a snippet's output."""
    for line in output.splitlines():
        if line.startswith(MARK):
            try:
                return json.loads(line[len(MARK):])
            except ValueError as e:
                raise TransportError(f"the board's answer is garbled: {line[:200]!r}") from e
    raise TransportError(f"the board did not answer as expected; it printed: {output[-500:]!r}")
