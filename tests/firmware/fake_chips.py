"""Register-level models of the IMUs and the RTC, for the real drivers on CPython.

They follow the datasheet register maps the drivers rely on (WHO_AM_I, FIFO
count/status, FIFO data port, temperature); only the silicon is simulated.
"""

from __future__ import annotations

import struct


class FakeMPU:
    """MPU6050 (who 0x68, 6-byte packets) or MPU6886 (who 0x19, accel + temp packets)."""

    def __init__(self, who: int = 0x68) -> None:
        self.regs = bytearray(128)
        self.regs[0x75] = who
        self.packet = 8 if who == 0x19 else 6
        self.fifo = bytearray()
        self.writes: list[tuple[int, int]] = []
        self.temp_raw = 0

    def push(self, x: int, y: int, z: int) -> None:
        if len(self.fifo) + self.packet > 1024:
            self.regs[0x3A] |= 0x10  # FIFO_OFLOW_INT
            return
        self.fifo += struct.pack(">hhh", x, y, z)
        if self.packet == 8:
            self.fifo += struct.pack(">h", self.temp_raw)

    def readfrom_mem(self, reg: int, n: int) -> bytes:
        if reg == 0x74:
            out, self.fifo = bytes(self.fifo[:n]), self.fifo[n:]
            return out
        if reg == 0x72:
            return struct.pack(">H", len(self.fifo))[:n]
        if reg == 0x41:
            return struct.pack(">h", self.temp_raw)[:n]
        out = bytes(self.regs[reg:reg + n])
        if reg == 0x3A:
            self.regs[0x3A] = 0  # read clears
        return out

    def writeto_mem(self, reg: int, data: bytes) -> None:
        self.writes.append((reg, data[0]))
        self.regs[reg] = data[0]
        if reg == 0x6A and data[0] & 0x04:
            self.fifo = bytearray()


class FakeLSM:
    """LSM6DSOX (who 0x6C, tagged FIFO) or LSM6DS3TR-C (who 0x6A, word FIFO)."""

    def __init__(self, who: int = 0x6C) -> None:
        self.regs = bytearray(128)
        self.regs[0x0F] = who
        self.tagged = who == 0x6C
        self.words: list[bytes] = []
        self.ovr = False
        self.pattern = 0  # DS3: axis of the next word
        self.temp_raw = 0

    def push(self, x: int, y: int, z: int, tag: int = 0x02) -> None:
        if self.tagged:
            self.words.append(bytes([tag << 3]) + struct.pack("<hhh", x, y, z))
        else:
            self.words += [struct.pack("<h", v) for v in (x, y, z)]

    def readfrom_mem(self, reg: int, n: int) -> bytes:
        if reg == 0x3A:
            c = len(self.words)
            return bytes([c & 0xFF, ((c >> 8) & 0x0F) | (0x40 if self.ovr else 0)])[:n]
        if reg == 0x3C:
            return bytes([self.pattern, 0])[:n]
        if reg in (0x78, 0x3E):
            w = self.words.pop(0)
            if not self.tagged:
                self.pattern = (self.pattern + 1) % 3
            return w[:n]
        if reg == 0x20:
            return struct.pack("<h", self.temp_raw)[:n]
        return bytes(self.regs[reg:reg + n])

    def writeto_mem(self, reg: int, data: bytes) -> None:
        self.regs[reg] = data[0]
        if reg in (0x0A,) and data[0] & 0x07 == 0:
            self.words = []
            self.ovr = False
            self.pattern = 0


class FakeRTC:
    """BM8563: seven BCD time registers from 0x02."""

    def __init__(self) -> None:
        self.regs = bytearray(16)
        self.regs[0x02] = 0x80  # VL: never set

    def readfrom_mem(self, reg: int, n: int) -> bytes:
        return bytes(self.regs[reg:reg + n])

    def writeto_mem(self, reg: int, data: bytes) -> None:
        self.regs[reg:reg + len(data)] = data


class Bus:
    """A machine.I2C-shaped bus over fake chips (for drivers given a bus directly)."""

    def __init__(self, **devices: object) -> None:
        self.devices = {int(k[1:], 16): v for k, v in devices.items()}

    def _dev(self, addr: int):  # noqa: ANN202
        if addr not in self.devices:
            raise OSError(19, "ENODEV")
        return self.devices[addr]

    def readfrom_mem_into(self, addr: int, reg: int, buf) -> None:  # noqa: ANN001
        data = self._dev(addr).readfrom_mem(reg, len(buf))
        buf[: len(data)] = data

    def writeto_mem(self, addr: int, reg: int, buf) -> None:  # noqa: ANN001
        self._dev(addr).writeto_mem(reg, bytes(buf))
