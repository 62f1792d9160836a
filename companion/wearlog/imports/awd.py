"""Actiwatch AWD files (Cambridge Neurotechnology / CamNtech): activity counts per epoch.

Layout (as read by pyActigraphy's read_raw_awd): a 7-line header (subject, start date
'23-Jan-1918', start time '13:58', epoch code, age, serial number whose first letter is the
model, sex), then one line per epoch whose first field is the activity count; further
fields (light, sound, temperature, the 'M' event marker) are ignored. The start is local
wall-clock time in the patient's zone; epochs follow it at the device's fixed interval.
Epochs shorter than 30 s are aggregated to 30 s (counts summed), as in epoch CSVs.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

from wearlog.imports.common import EARLIEST, LATEST
from wearlog.imports.epoch_csv import Row, _aggregate, _records
from wearlog.imports.errors import BadCsvError
from wearlog.imports.save import ImportResult, ParsedImport, fingerprint, save, zone_for
from wearlog.store import Store
from wlproto.const import EPOCH_S

HEADER_LINES = 7
# epoch codes of the AWD header (pyActigraphy's RawAWD.frequency_code), in seconds
EPOCH_CODES = {"1": 15, "2": 30, "4": 60, "8": 120, "20": 300, "81": 2, "C1": 5, "C2": 10}


def read_awd(path: str | Path) -> tuple[dt.datetime, int, list[tuple[int, int]]]:
    """(naive local start, epoch seconds, [(line, count)]) of an AWD file."""
    path = Path(path)
    if not path.is_file():
        raise BadCsvError(str(path), 0, None, "no such file")
    # Latin-1 maps every byte: the subject name (line 1, unused) may be in any code page
    lines = path.read_bytes().decode("latin-1").splitlines()
    if len(lines) < HEADER_LINES + 1:
        raise BadCsvError(str(path), len(lines) or 1, None,
                          f"an AWD file has a {HEADER_LINES}-line header and then one line "
                          "per epoch; this one is shorter")
    date, clock, code = lines[1].strip(), lines[2].strip(), lines[3].strip().upper()
    start = None
    for fmt in ("%d-%b-%Y %H:%M", "%d-%b-%Y %H:%M:%S"):
        try:
            start = dt.datetime.strptime(f"{date} {clock}", fmt)
            break
        except ValueError:
            continue
    if start is None:
        raise BadCsvError(str(path), 2, None,
                          f"start {date!r} {clock!r} is not an AWD date and time "
                          "(lines 2-3, like '23-Jan-1918' and '13:58')")
    if code not in EPOCH_CODES:
        raise BadCsvError(str(path), 4, None,
                          f"epoch code {code!r} is not one of the AWD codes "
                          f"({', '.join(EPOCH_CODES)})")
    out: list[tuple[int, int]] = []
    for k, text in enumerate(lines[HEADER_LINES:], start=HEADER_LINES + 1):
        fields = text.split()
        if not fields:
            continue
        try:
            v = int(fields[0])
        except ValueError:
            raise BadCsvError(str(path), k, None,
                              f"{fields[0]!r} is not a whole activity count") from None
        if v < 0:
            raise BadCsvError(str(path), k, None, f"activity count {v} is negative")
        out.append((k, v))
    if len(out) < 2:
        raise BadCsvError(str(path), HEADER_LINES + 1, None, "need at least two epochs")
    return start, EPOCH_CODES[code], out


def parse_awd(path: str | Path, tz: ZoneInfo) -> ParsedImport:
    """Read and check an AWD file; touches no database."""
    path = Path(path)
    start, epoch_s, counts = read_awd(path)
    t0 = start.replace(tzinfo=tz).timestamp()
    if t0 != int(t0) or not (EARLIEST <= t0 <= LATEST):
        raise BadCsvError(str(path), 2, None, f"start {start} is not between 1900 and 2100")
    rows: list[Row] = [(line, int(t0) + i * epoch_s, None, float(c), None, 0)
                       for i, (line, c) in enumerate(counts)]
    incomplete = 0
    if epoch_s < EPOCH_S:
        rows, incomplete = _aggregate(rows, epoch_s)
    out_s = max(epoch_s, EPOCH_S)
    records, by_seq = _records(rows, out_s)
    return ParsedImport(path.name, "import-counts", out_s, records, by_seq,
                        fingerprint(path, "import-counts"), source_epoch_s=epoch_s,
                        incomplete=incomplete)


def import_awd(store: Store, patient_id: str, path: str | Path, device_id: int | None = None,
               *, tz: str | None = None) -> ImportResult:
    """Parse, then store all-or-nothing (tz, if given, creates or updates the patient)."""
    parsed = parse_awd(path, zone_for(store, patient_id, tz))
    return save(store, patient_id, parsed, tz, device_id)
