# One exception root for the firmware; each subclass says what to do about it.
# Single inheritance only: MicroPython refuses two built-in exception bases
# ("multiple bases have instance lay-out conflict").


class FirmwareError(Exception):
    """Base class for errors raised by the Wearlog firmware."""


class LogFullError(FirmwareError):
    """The record log cannot store more: free space on the filesystem."""


class SensorError(FirmwareError):
    """The IMU did not answer as expected: check wiring, address and power."""


class ConfigError(FirmwareError):
    """A board profile or setting is inconsistent."""
