"""Errors a wearer can act on, raised by scanning, pairing and syncing."""

from __future__ import annotations


class BleError(Exception):
    """Base class for Wearlog's Bluetooth errors."""


class BluetoothUnavailableError(BleError, OSError):
    """No usable Bluetooth adapter."""


class DeviceNotFoundError(BleError, LookupError):
    """No Wearlog device answered."""


class NotPairedError(BleError, PermissionError):
    """This computer has no pairing with the device."""


class AuthFailedError(BleError, PermissionError):
    """The device refused our proof (or gave a wrong one)."""


class DeviceBusyError(BleError):
    """Another computer is syncing this device right now."""


class TransferInterruptedError(BleError, ConnectionError):
    """The link dropped or stalled mid-transfer; what was stored is kept.

    `partial` is the SyncResult so far when streaming had begun (else None).
    """

    partial: object = None


class ProtocolMismatchError(BleError, ValueError):
    """The device speaks another protocol version."""


class DeviceRefusedError(BleError):
    """The device answered a command with an error status."""


class UnsyncedRecordsError(BleError):
    """The device still holds records of its previous wearer that no computer stored."""
