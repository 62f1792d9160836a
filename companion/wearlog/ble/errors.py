"""Errors a wearer can act on, raised by scanning, pairing and syncing."""

from __future__ import annotations


class BleError(Exception):
    """Base class for Wearlog's Bluetooth errors.

    `retry_later` says what a caller can do: True when the same command may
    succeed later unchanged (device out of range, busy, link dropped), False
    when something must change first (pair again, update, unpair elsewhere).
    """

    retry_later: bool = False


class BluetoothUnavailableError(BleError, OSError):
    """No usable Bluetooth adapter."""


class DeviceNotFoundError(BleError, LookupError):
    """No Wearlog device answered."""

    retry_later = True


class NotPairedError(BleError, PermissionError):
    """This computer has no pairing with the device."""


class AuthFailedError(BleError, PermissionError):
    """The device refused our proof (or gave a wrong one)."""


class DeviceBusyError(BleError):
    """Another computer is syncing this device right now."""

    retry_later = True


class TransferInterruptedError(BleError, ConnectionError):
    """The link dropped or stalled mid-transfer; what was stored is kept.

    `resume_from` is the record the next sync starts from, once the sync knew it
    (None for a bare drop from the link, before sync's error boundary saw it);
    `partial` is the SyncResult so far when streaming had begun (else None).
    """

    retry_later = True

    def __init__(self, message: str, *, resume_from: int | None = None,
                 partial: object = None) -> None:
        super().__init__(message)
        self.resume_from = resume_from
        self.partial = partial


class ProtocolMismatchError(BleError, ValueError):
    """The device speaks another protocol version."""


class DeviceRefusedError(BleError):
    """The device answered a command with an error status."""


class UnsyncedRecordsError(BleError):
    """The device still holds records that no computer stored (`waiting` of them)."""

    def __init__(self, message: str, *, waiting: int) -> None:
        super().__init__(message)
        self.waiting = waiting
