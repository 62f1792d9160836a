# CRC-32 (IEEE 802.3, the zlib/binascii one). binascii.crc32 is built into the
# ESP32, rp2 and WebAssembly ports; a table-driven fallback covers any port
# built without MICROPY_PY_BINASCII_CRC32 so the protocol never depends on it.
try:
    from binascii import crc32 as _native
except ImportError:  # pragma: no cover - only on ports without it
    _native = None  # type: ignore[assignment]

_table = None


def _make_table():
    t = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (0xEDB88320 ^ (c >> 1)) if c & 1 else (c >> 1)
        t.append(c)
    return t


def crc32_soft(data, crc=0):
    """Pure-Python CRC-32; same results as binascii.crc32."""
    global _table
    if _table is None:
        _table = _make_table()
    t = _table
    c = crc ^ 0xFFFFFFFF
    for b in data:
        c = t[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def crc32(data, crc=0):
    if _native is not None:
        return _native(data, crc) & 0xFFFFFFFF
    return crc32_soft(data, crc)
