"""Shared CSV plumbing: header lookup, timestamps, regular sampling, import device ids."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zlib
from pathlib import Path
from zoneinfo import ZoneInfo

from wearlog.imports.errors import BadCsvError

# 1900-01-01 .. 2100-01-01 UTC: anonymised research files are often shifted to odd years
EARLIEST, LATEST = -2_208_988_800, 4_102_444_800
TIME_NAMES = ("timestamp", "time", "t", "datetime", "date_time")


def read_text(path: Path) -> str:
    """The file as text (UTF-8, BOM allowed); a bad byte is reported at its own line."""
    if not path.is_file():
        raise BadCsvError(str(path), 0, None, "no such file")
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[:e.start].count(b"\n") + 1
        raise BadCsvError(str(path), line, None,
                          f"byte 0x{data[e.start]:02X} is not UTF-8 text: save the file as "
                          "UTF-8 (it looks like Latin-1 / Windows-1252)") from None


def read_rows(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Lower-cased header and (line number, cells) for each non-empty data row."""
    text = read_text(path)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise BadCsvError(str(path), 1, None,
                          "the file is empty: expected a header row") from None
    except csv.Error as e:
        raise BadCsvError(str(path), 1, None, f"not a readable CSV file: {e}") from None
    rows = []
    try:
        for cells in reader:
            if cells and any(c.strip() for c in cells):
                # line_num is the line the row ENDS on; a row spans one line unless quoted
                rows.append((reader.line_num, cells))
    except csv.Error as e:
        raise BadCsvError(str(path), reader.line_num, None,
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


def parse_time(path: Path, line: int, col: str, text: str, tz: ZoneInfo,
               time_format: str | None = None, after: float | None = None) -> float:
    """Unix seconds, ISO 8601 or `time_format` (strptime); naive times are in the zone tz.

    A naive local time in the hour repeated when clocks go back is read as its second
    occurrence when the first would not follow `after` (the previous row's time); a local
    time skipped when clocks go forward is refused with that reason.
    """
    s = text.strip()
    try:
        v = float(s)
    except ValueError:
        try:
            if time_format:
                t = dt.datetime.strptime(s, time_format)
            else:
                t = dt.datetime.fromisoformat(s)
        except ValueError:
            want = (f"the --time-format {time_format!r}" if time_format else
                    "ISO 8601 (2026-03-01T22:15:00) or Unix seconds; for day-first dates "
                    "pass --time-format '%d/%m/%Y %H:%M'")
            raise BadCsvError(str(path), line, col, f"{s!r} is not a time: use {want}") from None
        if t.tzinfo is None:
            v = _local_timestamp(path, line, col, s, t, tz, after)
        else:
            v = t.timestamp()
    if not (EARLIEST <= v <= LATEST):  # also NaN
        raise BadCsvError(str(path), line, col,
                          f"{s!r} is not between 1900 and 2100: Unix seconds or ISO 8601 expected")
    return v


def _local_timestamp(path: Path, line: int, col: str, s: str, t: dt.datetime, tz: ZoneInfo,
                     after: float | None) -> float:
    first = t.replace(tzinfo=tz, fold=0)
    second = t.replace(tzinfo=tz, fold=1)
    v0, v1 = first.timestamp(), second.timestamp()
    if first.utcoffset() != second.utcoffset():
        if dt.datetime.fromtimestamp(v0, tz).replace(tzinfo=None) != t:
            raise BadCsvError(str(path), line, col,
                              f"{s!r} does not exist in {tz.key}: the clocks jumped forward "
                              "over it. Give times in UTC or with an offset (+01:00)")
        # the hour repeated when clocks go back: second occurrence if the first is behind us
        if after is not None and min(v0, v1) <= after < max(v0, v1):
            return max(v0, v1)
        return min(v0, v1)
    return v0


def check_increasing(path: Path, line: int, col: str, t: float, last: float | None,
                     tz: ZoneInfo) -> None:
    """Times must increase; a step back of one hour near a clock change is named as such."""
    if last is None or t > last:
        return
    if last - t <= 7200 and _near_clock_change(t, tz):
        raise BadCsvError(str(path), line, col,
                          f"local time repeats: the clocks went back in {tz.key} here and this "
                          "time was already used. Give times in UTC or with an offset (+01:00) "
                          "so the repeated hour is unambiguous")
    raise BadCsvError(str(path), line, col,
                      "times must increase from row to row (sorted, no duplicates)")


def _near_clock_change(t: float, tz: ZoneInfo) -> bool:
    offs = {dt.datetime.fromtimestamp(t + d, tz).utcoffset() for d in (-7200, 0, 7200)}
    return len(offs) > 1


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


def import_device_id(patient_id: str, kind: str, epoch_s: int) -> int:
    """A stable negative id per (patient, kind of data, epoch length), not per file name:
    the same data under another name lands on the same keys and is stored once."""
    return -1 - (zlib.crc32(f"{patient_id}\0{kind}\0{epoch_s}".encode()) & 0x7FFFFFFF)


def import_seq(t: int, epoch_s: int) -> int:
    """Sequence of an imported epoch: from its time, so overlapping files share keys."""
    return (t - EARLIEST) // epoch_s
