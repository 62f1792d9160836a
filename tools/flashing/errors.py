"""One exception root for flashing; each subclass says what the user can do about it."""

from __future__ import annotations


class FlashError(Exception):
    """Base class: the firmware was not (completely) put on the board."""


class UnknownBoardError(FlashError, ValueError):
    """No board profile of that name in firmware/boards/."""


class ClosureError(FlashError):
    """An import cannot be satisfied on the device (not ours, not a MicroPython built-in)."""


class CompileError(FlashError):
    """mpy-cross refused a module, or is missing."""


class DeviceIdError(FlashError, ValueError):
    """The device ID is missing or out of range."""


class NoBoardError(FlashError):
    """No MicroPython board answered on the serial port."""


class WrongVersionError(FlashError):
    """The board runs a MicroPython that cannot load the compiled files."""


class NotEnoughSpaceError(FlashError):
    """The board's filesystem is too small for the firmware plus room for the log."""


class VerifyError(FlashError):
    """A file read back from the board does not match what was written."""


class TransportError(FlashError):
    """The board stopped answering or refused a command while flashing."""
