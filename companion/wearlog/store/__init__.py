"""Wearlog's storage: one SQLite file, versioned schema, idempotent ingest."""

from wearlog.store.errors import (
    BackupError,
    BadRecordError,
    NotWearlogDatabaseError,
    SchemaTooNewError,
    StoreBusyError,
    StoreError,
    StoreReadOnlyError,
    UnknownDeviceError,
    UnknownPatientError,
    UnknownSyncError,
)
from wearlog.store.paths import (
    ENV_VAR,
    DatabaseUrl,
    DbLocation,
    default_db_path,
    is_database_url,
    location,
    resolve_db_path,
)
from wearlog.store.store import INGEST_BATCH_ROWS, LATEST, Store

__all__ = [
    "ENV_VAR",
    "INGEST_BATCH_ROWS",
    "LATEST",
    "BackupError",
    "BadRecordError",
    "DatabaseUrl",
    "DbLocation",
    "NotWearlogDatabaseError",
    "SchemaTooNewError",
    "Store",
    "StoreBusyError",
    "StoreError",
    "StoreReadOnlyError",
    "UnknownDeviceError",
    "UnknownPatientError",
    "UnknownSyncError",
    "default_db_path",
    "is_database_url",
    "location",
    "resolve_db_path",
]
