"""Imports for researchers: epoch CSV, AWD, raw accelerometer CSV, count scoring."""

from wearlog.imports.awd import import_awd, parse_awd, read_awd
from wearlog.imports.count_sleep import count_rhythm, count_sleep
from wearlog.imports.epoch_csv import EpochOptions, import_epoch_csv, parse_epoch_csv
from wearlog.imports.errors import BadCsvError, FeatureCodeMissingError, ImportDataError
from wearlog.imports.raw_csv import import_raw_csv, parse_raw_csv
from wearlog.imports.save import ImportResult, ParsedImport, save

__all__ = [
    "BadCsvError",
    "EpochOptions",
    "FeatureCodeMissingError",
    "ImportDataError",
    "ImportResult",
    "ParsedImport",
    "count_rhythm",
    "count_sleep",
    "import_awd",
    "import_epoch_csv",
    "import_raw_csv",
    "parse_awd",
    "parse_epoch_csv",
    "parse_raw_csv",
    "read_awd",
    "save",
]
