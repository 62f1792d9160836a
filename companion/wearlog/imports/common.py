"""Shared CSV plumbing: header lookup, timestamps, regular sampling, import device ids."""

from __future__ import annotations

import csv
import datetime as dt
import zlib
from pathlib import Path
from zoneinfo import ZoneInfo

from wearlog.imports.errors import BadCsvError

# 1900-01-01 .. 2100-01-01 UTC: anonymised research files are often shifted to odd years
EARLIEST, LATEST = -2_208_988_800, 4_102_444_800
TIME_NAMES = ("timestamp", "time", "t", "datetime", "date_time")


def read_rows(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Lower-cased header and (line number, cells) for each non-empty data row."""
    if not path.is_file():
        raise BadCsvError(str(path), 0, None, "no such file")
    with path.open(newline="", encoding="utf-8-sig") as f:
        reader = csv.reader(f)
        try:
            header = next(reader)
        except StopIteration:
            raise BadCsvError(str(path), 1, None,
                              "the file is empty: expected a header row") from None
        except (csv.Error, UnicodeDecodeError) as e:
            raise BadCsvError(str(path), 1, None, f"not a readable CSV file: {e}") from None
        rows = []
        try:
            for cells in reader:
                if cells and any(c.strip() for c in cells):
                    rows.append((reader.line_num, cells))
        except (csv.Error, UnicodeDecodeError) as e:
            raise BadCsvError(str(path), reader.line_num + 1, None,
                              f"not readable as CSV: {e}") from None
    return [h.strip().lower() for h in header], rows


def find_optional(header: list[str], names: tuple[str, ...]) -> int | None:
    for n in names:
        if n in header:
            return header.index(n)
    return None


def find_column(path: Path, header: list[str], names: tuple[str, ...]) -> int:
    i = find_optional(header, names)
    if i is None:
        raise BadCsvError(str(path), 1, None,
                          f"no column named {' or '.join(repr(n) for n in names)} in the header "
                          f"({', '.join(header)})")
    return i


def parse_time(path: Path, line: int, col: str, text: str, tz: ZoneInfo) -> float:
    """Unix seconds, or ISO 8601 (naive times are in the patient's zone)."""
    s = text.strip()
    try:
        v = float(s)
    except ValueError:
        try:
            t = dt.datetime.fromisoformat(s)
        except ValueError:
            raise BadCsvError(str(path), line, col,
                              f"{s!r} is not a time: use ISO 8601 (2026-03-01T22:15:00) "
                              "or Unix seconds") from None
        if t.tzinfo is None:
            t = t.replace(tzinfo=tz)
        v = t.timestamp()
    if not (EARLIEST <= v <= LATEST):  # also NaN
        raise BadCsvError(str(path), line, col,
                          f"{s!r} is not between 1900 and 2100: Unix seconds or ISO 8601 expected")
    return v


def parse_float(path: Path, line: int, col: str, text: str, lo: float, hi: float) -> float:
    try:
        v = float(text)
    except ValueError:
        raise BadCsvError(str(path), line, col, f"{text.strip()!r} is not a number") from None
    if not (lo <= v <= hi):  # also rejects NaN
        raise BadCsvError(str(path), line, col, f"{v} is outside {lo}..{hi}")
    return v


def cell(path: Path, line: int, cells: list[str], idx: int, name: str) -> str:
    if idx >= len(cells) or not cells[idx].strip():
        raise BadCsvError(str(path), line, name, "missing value")
    return cells[idx]


def import_device_id(patient_id: str, source: str) -> int:
    """A stable negative id per (patient, file name): re-importing lands on the same keys."""
    return -1 - (zlib.crc32(f"{patient_id}\0{source}".encode()) & 0x7FFFFFFF)


def import_seq(t: int, epoch_s: int) -> int:
    """Sequence of an imported epoch: from its time, so overlapping files share keys."""
    return (t - EARLIEST) // epoch_s
