# Runs inside the MicroPython VM (collected by tests/conftest.py).
import sys


def test_is_micropython():
    assert sys.implementation.name == "micropython"


def test_crc_native_matches_soft():
    from wlproto.crc import crc32, crc32_soft

    for data in (b"", b"a", b"123456789", bytes(range(256))):
        assert crc32(data) == crc32_soft(data)
    assert crc32(b"123456789") == 0xCBF43926


def test_heap_sampled_at_yield():
    # A generator test: the 20 kB buffer is alive at the yield, so the peak
    # must include it (and the VM must report it, which proves sampling works).
    buf = bytearray(20000)
    yield
    assert len(buf) == 20000
