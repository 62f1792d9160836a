# What every I2C sensor driver needs: register access through preallocated
# buffers (no allocation per read), and a WHO_AM_I probe that turns "nothing
# there" or "another chip" into a SensorError the wearer can act on.
from wlfw.errors import SensorError


class I2CDevice:
    def __init__(self, i2c, addr):
        self.i2c = i2c
        self.addr = addr
        self._b1 = bytearray(1)
        self._b2 = bytearray(2)

    def _read8(self, reg):
        self.i2c.readfrom_mem_into(self.addr, reg, self._b1)
        return self._b1[0]

    def _write8(self, reg, v):
        self._b1[0] = v
        self.i2c.writeto_mem(self.addr, reg, self._b1)

    def _probe(self, reg, chips, family):
        """Read WHO_AM_I at reg; returns chips[who] and sets self.who."""
        try:
            who = self._read8(reg)
        except OSError:
            raise SensorError("no IMU answered at I2C address 0x%02x: check wiring and power"
                              % self.addr) from None
        chip = chips.get(who)
        if chip is None:
            raise SensorError("device at 0x%02x is not an %s (WHO_AM_I 0x%02x)"
                              % (self.addr, family, who))
        self.who = who
        return chip
