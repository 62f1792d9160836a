"""Exports (CSV tables, FHIR R4 bundle) and the home-sync upload client."""

from wearlog.export.csv_tables import TABLES, write_csv
from wearlog.export.errors import (
    ExportError,
    UploadAuthError,
    UploadError,
    UploadRejectedError,
    UploadUnreachableError,
)
from wearlog.export.fhir_bundle import LOCAL_SYSTEM, fhir_bundle

__all__ = [
    "LOCAL_SYSTEM",
    "TABLES",
    "ExportError",
    "UploadAuthError",
    "UploadError",
    "UploadRejectedError",
    "UploadUnreachableError",
    "fhir_bundle",
    "write_csv",
]
