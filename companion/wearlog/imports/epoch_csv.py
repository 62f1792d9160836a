"""Generic epoch CSV from other devices and studies.

Header names (case-insensitive): a time column (timestamp/time/datetime: ISO 8601 or Unix
seconds; naive times are in the patient's zone), then `enmo` (mg) and/or `counts`
(activity counts per epoch), optionally `angle` / `zangle` (mean arm z-angle, degrees)
and `steps`. Epochs must be a whole multiple of 30 s long and evenly spaced (gaps allowed).

Without an angle column the sleep analysis has nothing to work with: such epochs count
for activity only. Without ENMO (counts only) use the count-based scoring (Cole-Kripke,
Sadeh) in wearlog.imports.count_sleep.
The whole file is parsed and checked before anything is stored, then stored in one
transaction: an error leaves the database as it was.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from wearlog.imports.common import (
    TIME_NAMES,
    cell,
    find_column,
    find_optional,
    import_device_id,
    import_seq,
    parse_float,
    parse_time,
    read_rows,
)
from wearlog.imports.errors import BadCsvError
from wearlog.store import INGEST_BATCH_ROWS, Store
from wlproto.records import Epoch

ANGLE_NAMES = ("angle", "zangle", "anglez", "z_angle")


@dataclass
class ImportResult:
    device_id: int
    kind: str
    epoch_s: int
    rows: int
    new: int


def import_epoch_csv(store: Store, patient_id: str, path: str | Path,
                     device_id: int | None = None) -> ImportResult:
    path = Path(path)
    tz = ZoneInfo(store.patient(patient_id)["tz"])
    header, rows = read_rows(path)
    ti = find_column(path, header, TIME_NAMES)
    ei = find_optional(header, ("enmo", "enmo_mg"))
    ci = find_optional(header, ("counts", "activity", "count"))
    ai = find_optional(header, ANGLE_NAMES)
    si = find_optional(header, ("steps",))
    if ei is None and ci is None:
        raise BadCsvError(str(path), 1, None,
                          "need an 'enmo' (mg) or a 'counts' column next to the time")
    tname = header[ti]
    parsed: list[tuple[int, float | None, float | None, float | None, int]] = []
    last_t: float | None = None
    for line, cells in rows:
        t = parse_time(path, line, tname, cell(path, line, cells, ti, tname), tz)
        if t != int(t):
            raise BadCsvError(str(path), line, tname, "times must fall on whole seconds")
        if last_t is not None and t <= last_t:
            raise BadCsvError(str(path), line, tname,
                              "times must increase from row to row (sorted, no duplicates)")
        last_t = t
        enmo = (parse_float(path, line, header[ei], cell(path, line, cells, ei, header[ei]),
                            0, 6553.5) if ei is not None else None)
        counts = (parse_float(path, line, header[ci], cell(path, line, cells, ci, header[ci]),
                              0, 2**31 - 1) if ci is not None else None)
        if ci is not None and counts is not None and counts != int(counts):
            raise BadCsvError(str(path), line, header[ci], "counts must be whole numbers")
        angle = (parse_float(path, line, header[ai], cell(path, line, cells, ai, header[ai]),
                             -90, 90) if ai is not None else None)
        steps = 0
        if si is not None:
            steps = int(parse_float(path, line, "steps", cell(path, line, cells, si, "steps"),
                                    0, 255))
        parsed.append((int(t), enmo, counts, angle, steps))
    if len(parsed) < 2:
        raise BadCsvError(str(path), 2, None, "need at least two epochs to know their length")
    epoch_s = parsed[1][0] - parsed[0][0]
    if epoch_s % 30 or epoch_s <= 0:
        raise BadCsvError(str(path), 3, tname,
                          f"epochs are {epoch_s} s apart: Wearlog needs whole multiples of "
                          "30 s; aggregate the file to 30-s or 60-s epochs first")
    t0 = parsed[0][0]
    for k, (t, *_rest) in enumerate(parsed):
        if (t - t0) % epoch_s:
            raise BadCsvError(str(path), k + 2, tname,
                              f"time is off the {epoch_s}-s epoch grid that starts at row 1")
    kind = ("import-enmo-angle" if ei is not None and ai is not None
            else "import-enmo" if ei is not None else "import-counts")
    dev = device_id if device_id is not None else import_device_id(patient_id, path.name)
    records, counts_by_seq = [], {}
    prev_angle: float | None = None
    for t, enmo, counts, angle, steps in parsed:
        seq = import_seq(t, epoch_s)
        dangle = 0 if angle is None or prev_angle is None else min(
            round(abs(angle - prev_angle) * 10), 255)
        prev_angle = angle
        e_dmg = round(enmo * 10) if enmo is not None else 0
        records.append(Epoch(seq, t, 0, e_dmg, e_dmg, round(angle) if angle is not None else 0,
                             dangle, steps))
        if counts is not None:
            counts_by_seq[seq] = int(counts)
    _ensure_device(store, dev, patient_id, path.name, kind, epoch_s)
    new = store.ingest(dev, records, counts=counts_by_seq or None,
                       batch_rows=INGEST_BATCH_ROWS)
    return ImportResult(dev, kind, epoch_s, len(records), new)


def _ensure_device(store: Store, dev: int, patient_id: str, name: str, kind: str,
                   epoch_s: int) -> None:
    row = store.conn.execute("SELECT patient_id, kind, epoch_s FROM devices WHERE device_id=?",
                             (dev,)).fetchone()
    if row is None:
        store.add_device(dev, patient_id, name=f"import: {name}", kind=kind, epoch_s=epoch_s)
    elif row != (patient_id, kind, epoch_s):
        raise BadCsvError(name, 1, None,
                          f"import device {dev} already holds {row[1]} data at {row[2]}-s epochs "
                          f"for {row[0]}; this file has {kind} at {epoch_s} s: rename the file "
                          "or pass another device id")
