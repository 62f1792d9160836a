"""Imports for researchers: generic epoch CSV, raw accelerometer CSV, count scoring."""

from wearlog.imports.count_sleep import count_sleep
from wearlog.imports.epoch_csv import ImportResult, import_epoch_csv
from wearlog.imports.errors import BadCsvError, FeatureCodeMissingError, ImportDataError
from wearlog.imports.raw_csv import import_raw_csv

__all__ = [
    "BadCsvError",
    "FeatureCodeMissingError",
    "ImportDataError",
    "ImportResult",
    "count_sleep",
    "import_epoch_csv",
    "import_raw_csv",
]
