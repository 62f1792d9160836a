# MPU6050 / MPU6886 (InvenSense) accelerometer over machine.I2C, through its FIFO.
#
# The chip samples at 1 kHz / (1 + SMPLRT_DIV) with the low-pass filter on,
# pushes each accelerometer sample into its 1 KiB FIFO, and the MCU drains it
# about once a second: the MCU sleeps between drains, not between samples.
# Gyro is put in standby (only the accelerometer is used).
from micropython import const

from drivers.i2cdev import I2CDevice
from wlfw.errors import SensorError

_SMPLRT_DIV = const(0x19)
_CONFIG = const(0x1A)  # DLPF_CFG bits 2:0
_ACCEL_CONFIG = const(0x1C)  # AFS_SEL bits 4:3: 0=2 g, 1=4 g, 2=8 g, 3=16 g
_ACCEL_CONFIG2 = const(0x1D)  # MPU6886 only: A_DLPF_CFG bits 2:0
_FIFO_EN = const(0x23)  # bit 3 ACCEL_FIFO_EN
_INT_STATUS = const(0x3A)  # bit 4 FIFO_OFLOW_INT
_TEMP_OUT = const(0x41)
_USER_CTRL = const(0x6A)  # bit 6 FIFO_EN, bit 2 FIFO_RESET
_PWR_MGMT_1 = const(0x6B)  # bit 7 reset, bit 6 sleep, bits 2:0 clock
_PWR_MGMT_2 = const(0x6C)  # bits 2:0 gyro axes standby
_FIFO_COUNT = const(0x72)  # big-endian, bytes in the FIFO
_FIFO_RW = const(0x74)
_WHO_AM_I = const(0x75)
_READ_SAMPLES = const(16)  # samples per I2C burst

# WHO_AM_I -> (name, FIFO bytes per sample, LSB per degC, offset in 0.01 half-degC)
# degC = raw / lsb + offset; the MPU6886 puts TEMP_OUT after each sample (8 bytes).
CHIPS = {
    0x68: ("MPU6050", 6, 340, 7306),
    0x70: ("MPU6500", 6, 334, 4200),
    0x19: ("MPU6886", 8, 327, 5000),
}


class MPU6xxx(I2CDevice):
    """Accelerometer samples in milli-g from the FIFO; temperature in 0.5 degC."""

    def __init__(self, i2c, addr=0x68):
        I2CDevice.__init__(self, i2c, addr)
        self.overrun = False
        chip = self._probe(_WHO_AM_I, CHIPS, "MPU6050/6500/6886")
        self.name, self.packet, self._tdiv, self._toff = chip
        self._raw = bytearray(self.packet * _READ_SAMPLES)
        self.counts_per_g = 4096

    def start(self, rate_hz=25, range_g=8):
        """Reset, configure rate and range, accelerometer into the FIFO."""
        sel = {2: 0, 4: 1, 8: 2, 16: 3}.get(range_g)
        if sel is None:
            raise SensorError("range %r g not supported: use 2, 4, 8 or 16" % (range_g,))
        if not (4 <= rate_hz <= 1000):
            raise SensorError("rate %r Hz outside 4..1000" % (rate_hz,))
        self._write8(_PWR_MGMT_1, 0x80)  # device reset
        self._write8(_PWR_MGMT_1, 0x01)  # awake, PLL clock
        self._write8(_PWR_MGMT_2, 0x07)  # gyro standby
        self._write8(_CONFIG, 0x05)  # DLPF ~10 Hz: below Nyquist at 25 Hz
        if self.who == 0x19:
            self._write8(_ACCEL_CONFIG2, 0x05)
        self._write8(_SMPLRT_DIV, 1000 // rate_hz - 1)
        self._write8(_ACCEL_CONFIG, sel << 3)
        self.counts_per_g = 16384 >> sel
        self._write8(_FIFO_EN, 0x08)
        self._reset_fifo()

    def _reset_fifo(self):
        self._write8(_USER_CTRL, 0x04)
        self._write8(_USER_CTRL, 0x40)

    def read_fifo_into(self, buf):
        """Drain up to len(buf) // 3 samples as x, y, z milli-g; returns the count."""
        if self._read8(_INT_STATUS) & 0x10:
            # samples were lost and the FIFO may be misaligned: start clean
            self.overrun = True
            self._reset_fifo()
            return 0
        self.i2c.readfrom_mem_into(self.addr, _FIFO_COUNT, self._b2)
        pk = self.packet
        avail = ((self._b2[0] << 8) | self._b2[1]) // pk
        cap = len(buf) // 3
        n = avail if avail < cap else cap
        raw = self._raw
        mv = memoryview(raw)
        cpg = self.counts_per_g
        done = 0
        while done < n:
            k = n - done
            if k > _READ_SAMPLES:
                k = _READ_SAMPLES
            self.i2c.readfrom_mem_into(self.addr, _FIFO_RW, mv[:k * pk])
            o = 0
            d = 3 * done
            for _ in range(k):
                for _a in range(3):
                    v = (raw[o] << 8) | raw[o + 1]
                    if v > 32767:
                        v -= 65536
                    buf[d] = v * 1000 // cpg
                    d += 1
                    o += 2
                o += pk - 6
            done += k
        return n

    def temp_hc(self):
        self.i2c.readfrom_mem_into(self.addr, _TEMP_OUT, self._b2)
        v = (self._b2[0] << 8) | self._b2[1]
        if v > 32767:
            v -= 65536
        t = (v * 200 // self._tdiv + self._toff + 50) // 100
        return -127 if t < -127 else (127 if t > 127 else t)
