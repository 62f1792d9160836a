# One exception root for the firmware; each subclass says what to do about it.


class FirmwareError(Exception):
    """Base class for errors raised by the Wearlog firmware."""


class LogFullError(FirmwareError, OSError):
    """The record log cannot store more: free space on the filesystem."""


class SensorError(FirmwareError, OSError):
    """The IMU did not answer as expected: check wiring, address and power."""


class ConfigError(FirmwareError, ValueError):
    """A board profile or setting is inconsistent."""
