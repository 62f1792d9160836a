"""Wearlog's storage: one SQLite file, versioned schema, idempotent ingest."""

from wearlog.store.errors import (
    BackupError,
    BadRecordError,
    SchemaTooNewError,
    StoreError,
    UnknownDeviceError,
    UnknownPatientError,
    UnknownSyncError,
)
from wearlog.store.paths import ENV_VAR, default_db_path, resolve_db_path
from wearlog.store.store import LATEST, Store

__all__ = [
    "ENV_VAR",
    "LATEST",
    "BackupError",
    "BadRecordError",
    "SchemaTooNewError",
    "Store",
    "StoreError",
    "UnknownDeviceError",
    "UnknownPatientError",
    "UnknownSyncError",
    "default_db_path",
    "resolve_db_path",
]
