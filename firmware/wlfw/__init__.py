"""Wearlog firmware pure logic (runs unchanged on MicroPython and CPython)."""
