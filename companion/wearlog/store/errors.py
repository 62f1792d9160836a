"""Exceptions of the store: one root, specific subclasses a user can act on."""

from __future__ import annotations


class StoreError(Exception):
    """Base class for everything the store refuses to do."""


class UnknownPatientError(StoreError, LookupError):
    """A patient ID that was never created (by pairing or importing)."""


class BadPatientIdError(StoreError, ValueError):
    """A patient id outside the documented pattern (store.patients.PATIENT_ID_PATTERN)."""


class UnknownDeviceError(StoreError, LookupError):
    """A device ID that was never added with `add_device`."""


class UnknownSyncError(StoreError, LookupError):
    """A sync ID that `begin_sync` never handed out."""


class BadRecordError(StoreError, ValueError):
    """Something other than a wlproto Epoch/Event, or one with impossible fields."""


class SchemaTooNewError(StoreError):
    """The database was written by a newer Wearlog than this one."""


class BackupError(StoreError):
    """A backup could not be written or a restore source is unusable."""


class StoreBusyError(StoreError):
    """Another program holds the database's write lock."""


class StoreReadOnlyError(StoreError, PermissionError):
    """The database file or its folder cannot be written."""
