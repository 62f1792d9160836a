"""Generic epoch CSV from other devices and studies.

Header names (case-insensitive): a time column (timestamp/time/datetime: ISO 8601, Unix
seconds, or any layout given as --time-format, e.g. '%d/%m/%Y %H:%M:%S'; naive times are
in the patient's zone), then `enmo` (mg, or g with --enmo-unit g) and/or `counts`
(activity counts per epoch), optionally `angle` / `zangle` (mean arm z-angle, degrees)
and `steps`. Epochs are evenly spaced (gaps allowed) and either divide 30 s (1, 2, 3, 5,
6, 10, 15 s: aggregated to 30-s epochs on the UTC :00/:30 grid, ENMO and angle by mean,
counts and steps by sum) or are a whole multiple of 30 s (stored as they are).

Without an angle column the sleep analysis uses ENMO or counts only.
The whole file is parsed and checked before anything is stored, then stored in one
transaction: an error leaves the database as it was.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from wearlog.imports.common import (
    TIME_NAMES,
    cell,
    check_increasing,
    find_column,
    find_optional,
    import_seq,
    parse_float,
    parse_time,
    read_rows,
)
from wearlog.imports.errors import BadCsvError
from wearlog.imports.save import ImportResult, ParsedImport, fingerprint, save, zone_for
from wearlog.store import Store
from wlproto.const import EPOCH_S
from wlproto.records import Epoch

ANGLE_NAMES = ("angle", "zangle", "anglez", "z_angle")
MAX_ENMO_MG = 6553.5
# Plausibility of the declared ENMO unit. Real wrist ENMO over an hour or more always
# has epochs of tens of mg (turning over in bed, any waking movement); 6.5 g is beyond
# the mean of any 30-s wrist epoch. A file outside either bound has the other unit.
MG_IMPLAUSIBLE_MAX = 2.0  # mg: a file whose largest epoch is below this is in g
G_IMPLAUSIBLE_MAX = MAX_ENMO_MG / 1000  # g: a file with an epoch above this is in mg
UNIT_CHECK_MIN_S = 3600


@dataclass
class EpochOptions:
    """How to read an epoch file: time layout, ENMO unit, whether to check the unit."""

    time_format: str | None = None
    enmo_unit: str = "mg"
    unit_check: bool = True


Row = tuple[int, int, float | None, float | None, float | None, int]  # line, t, e, c, a, s


def parse_epoch_csv(path: str | Path, tz: ZoneInfo,
                    options: EpochOptions | None = None) -> ParsedImport:
    """Read and check the whole file; touches no database."""
    path = Path(path)
    opt = options or EpochOptions()
    if opt.enmo_unit not in ("mg", "g"):
        raise BadCsvError(str(path), 0, None, f"unknown ENMO unit {opt.enmo_unit!r}: mg or g")
    header, rows = read_rows(path)
    ti = find_column(path, header, TIME_NAMES)
    ei = find_optional(header, ("enmo", "enmo_mg", "enmo_g"))
    ci = find_optional(header, ("counts", "activity", "count"))
    ai = find_optional(header, ANGLE_NAMES)
    si = find_optional(header, ("steps",))
    if ei is None and ci is None:
        raise BadCsvError(str(path), 1, None,
                          "need an 'enmo' (mg) or a 'counts' column next to the time")
    tname = header[ti]
    scale = 1000.0 if opt.enmo_unit == "g" else 1.0
    parsed: list[Row] = []
    last_t: float | None = None
    for line, cells in rows:
        t = parse_time(path, line, tname, cell(path, line, cells, ti, tname), tz,
                       opt.time_format, last_t)
        if t != int(t):
            raise BadCsvError(str(path), line, tname, "times must fall on whole seconds")
        check_increasing(path, line, tname, t, last_t, tz)
        last_t = t
        enmo = (parse_float(path, line, header[ei], cell(path, line, cells, ei, header[ei]),
                            0, MAX_ENMO_MG) * scale if ei is not None else None)
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
        parsed.append((line, int(t), enmo, counts, angle, steps))
    if len(parsed) < 2:
        raise BadCsvError(str(path), parsed[0][0] if parsed else 2, None,
                          "need at least two epochs to know their length")
    epoch_s = _epoch_length(path, tname, parsed)
    if ei is not None and opt.unit_check:
        _check_enmo_unit(path, header[ei], parsed, epoch_s, opt.enmo_unit)
    for line, _t, e, *_r in parsed:
        if e is not None and e > MAX_ENMO_MG:
            raise BadCsvError(str(path), line, header[ei or 0],
                              f"{e / scale:g} {opt.enmo_unit} is outside 0..{MAX_ENMO_MG} mg")
    kind = ("import-enmo-angle" if ei is not None and ai is not None
            else "import-enmo" if ei is not None else "import-counts")
    incomplete = 0
    if epoch_s < EPOCH_S:
        parsed, incomplete = _aggregate(parsed, epoch_s)
    out_s = max(epoch_s, EPOCH_S)
    records, counts_by_seq = _records(parsed, out_s)
    return ParsedImport(path.name, kind, out_s, records,
                        counts_by_seq if ci is not None else None,
                        fingerprint(path, kind), source_epoch_s=epoch_s, incomplete=incomplete)


def import_epoch_csv(store: Store, patient_id: str, path: str | Path,
                     device_id: int | None = None, *, tz: str | None = None,
                     options: EpochOptions | None = None) -> ImportResult:
    """Parse, then store all-or-nothing (tz, if given, creates or updates the patient)."""
    parsed = parse_epoch_csv(path, zone_for(store, patient_id, tz), options)
    return save(store, patient_id, parsed, tz, device_id)


def _epoch_length(path: Path, tname: str, parsed: list[Row]) -> int:
    """The file's epoch: the most common spacing; every row must sit on its grid."""
    steps = Counter(b[1] - a[1] for a, b in zip(parsed, parsed[1:], strict=False))
    epoch_s = min(steps.most_common(), key=lambda kv: (-kv[1], kv[0]))[0]
    if not (EPOCH_S % epoch_s == 0 or epoch_s % EPOCH_S == 0):
        k = next(i for i in range(1, len(parsed)) if parsed[i][1] - parsed[i - 1][1] == epoch_s)
        divisors = ", ".join(str(d) for d in range(1, EPOCH_S) if EPOCH_S % d == 0)
        raise BadCsvError(str(path), parsed[k][0], tname,
                          f"epochs are {epoch_s} s apart: Wearlog takes epochs that divide "
                          f"{EPOCH_S} s ({divisors}) or are whole multiples of {EPOCH_S} s; "
                          f"aggregate the file to {EPOCH_S}-s or {2 * EPOCH_S}-s epochs first")
    t0 = parsed[0][1]
    for line, t, *_rest in parsed:
        if (t - t0) % epoch_s:
            raise BadCsvError(str(path), line, tname,
                              f"time is off the {epoch_s}-s epoch grid that starts at the "
                              "first row")
    return epoch_s


def _check_enmo_unit(path: Path, col: str, parsed: list[Row], epoch_s: int, unit: str) -> None:
    vals = [(line, e) for line, _t, e, *_r in parsed if e is not None]
    if not vals:
        return
    line, top = max(vals, key=lambda v: v[1])
    span = parsed[-1][1] - parsed[0][1] + epoch_s
    if unit == "mg" and span >= UNIT_CHECK_MIN_S and 0 < top < MG_IMPLAUSIBLE_MAX:
        raise BadCsvError(str(path), line, col,
                          f"the largest ENMO in {span // 3600} h is {top:g} mg: real wrist "
                          "ENMO reaches tens of mg; these values look like g. Pass "
                          "--enmo-unit g (or --no-unit-check if they really are mg)")
    if unit == "g" and top > G_IMPLAUSIBLE_MAX * 1000:
        raise BadCsvError(str(path), line, col,
                          f"ENMO {top / 1000:g} g is beyond any wrist epoch: these values look "
                          "like mg. Pass --enmo-unit mg")


def _aggregate(parsed: list[Row], epoch_s: int) -> tuple[list[Row], int]:
    """Epochs shorter than EPOCH_S into EPOCH_S ones on the UTC grid: means of ENMO and
    angle, sums of counts and steps. Returns the new rows and how many lacked some
    sub-epochs."""
    per = EPOCH_S // epoch_s
    blocks: dict[int, list[Row]] = {}
    for r in parsed:
        blocks.setdefault(r[1] // EPOCH_S * EPOCH_S, []).append(r)
    out: list[Row] = []
    incomplete = 0
    for t, rs in blocks.items():
        incomplete += len(rs) < per
        es = [r[2] for r in rs if r[2] is not None]
        cs = [r[3] for r in rs if r[3] is not None]
        an = [r[4] for r in rs if r[4] is not None]
        out.append((rs[0][0], t, sum(es) / len(es) if es else None, sum(cs) if cs else None,
                    sum(an) / len(an) if an else None, min(sum(r[5] for r in rs), 255)))
    return out, incomplete


def _records(parsed: list[Row], epoch_s: int) -> tuple[list[Epoch], dict[int, int]]:
    records: list[Epoch] = []
    counts_by_seq: dict[int, int] = {}
    prev_angle: float | None = None
    for _line, t, enmo, counts, angle, steps in parsed:
        seq = import_seq(t, epoch_s)
        dangle = 0 if angle is None or prev_angle is None else min(
            round(abs(angle - prev_angle) * 10), 255)
        prev_angle = angle
        e_dmg = min(round(enmo * 10), 65535) if enmo is not None else 0
        records.append(Epoch(seq, t, 0, e_dmg, e_dmg, round(angle) if angle is not None else 0,
                             dangle, steps))
        if counts is not None:
            counts_by_seq[seq] = int(counts)
    return records, counts_by_seq
