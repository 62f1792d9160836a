"""Raw accelerometer CSV (t, x, y, z in g) through the firmware's own feature code.

The epoch features come from wlfw.rawfeatures.epochs_from_samples, which drives
wlfw.features.Features: the very code the
wearable runs, so imported raw files and synced epochs mean the same thing. Sampling
must be regular (an integer rate in Hz, jitter under half a sample); epochs start on
the first whole 30 s of UTC after the first sample. The file is checked completely
before anything is stored, then stored in one transaction.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

from wearlog.imports.common import (
    TIME_NAMES,
    cell,
    find_column,
    import_seq,
    parse_float,
    parse_time,
    read_rows,
)
from wearlog.imports.errors import BadCsvError, FeatureCodeMissingError
from wearlog.imports.save import ImportResult, ParsedImport, fingerprint, save, zone_for
from wearlog.store import Store
from wlproto.const import EPOCH_S
from wlproto.records import Epoch

MAX_G = 16.0


def _feature_code():
    try:
        from wlfw.rawfeatures import epochs_from_samples
    except ImportError as e:  # pragma: no cover - the firmware package ships with Wearlog
        raise FeatureCodeMissingError(
            "the firmware feature code (wlfw.rawfeatures.epochs_from_samples) is not importable: "
            "install Wearlog with its firmware package to import raw files"
        ) from e
    return epochs_from_samples


def import_raw_csv(store: Store, patient_id: str, path: str | Path,
                   device_id: int | None = None, *, tz: str | None = None,
                   time_format: str | None = None) -> ImportResult:
    """Parse through the firmware features, then store all-or-nothing."""
    parsed = parse_raw_csv(path, zone_for(store, patient_id, tz), time_format)
    return save(store, patient_id, parsed, tz, device_id)


def parse_raw_csv(path: str | Path, tz: ZoneInfo, time_format: str | None = None
                  ) -> ParsedImport:
    """Read and check the whole file and compute its epochs; touches no database."""
    path = Path(path)
    _feature_code()
    header, rows = read_rows(path)
    ti = find_column(path, header, TIME_NAMES)
    xi = find_column(path, header, ("x",))
    yi = find_column(path, header, ("y",))
    zi = find_column(path, header, ("z",))
    tname = header[ti]
    times: list[float] = []
    samples = array("h")
    lines: list[int] = []
    for line, cells in rows:
        t = parse_time(path, line, tname, cell(path, line, cells, ti, tname), tz,
                       time_format, times[-1] if times else None)
        for idx, name in ((xi, "x"), (yi, "y"), (zi, "z")):
            g = parse_float(path, line, name, cell(path, line, cells, idx, name), -MAX_G, MAX_G)
            samples.append(round(g * 1000))
        times.append(t)
        lines.append(line)
    if len(times) < 2:
        raise BadCsvError(str(path), 2, None,
                          f"need samples covering at least one {EPOCH_S}-s epoch")

    def err(k: int, col: str | None, msg: str) -> Exception:
        return BadCsvError(str(path), lines[k], col, msg)

    records = samples_to_epochs(times, samples, err, tname)
    return ParsedImport(path.name, "import-raw", EPOCH_S, records, None,
                        fingerprint(path, "import-raw"))


ErrorAt = Callable[[int, "str | None", str], Exception]


def samples_to_epochs(times: list[float], samples: array, err: ErrorAt,
                      tname: str = "time") -> list[Epoch]:
    """Regular samples (x, y, z in mg, interleaved) through the firmware's feature code.

    err(k, column, message) builds the error for sample k (a file line, or a position).
    """
    epochs_from_samples = _feature_code()
    dts = sorted(b - a for a, b in zip(times, times[1:], strict=False))
    median = dts[len(dts) // 2]
    if median <= 0:
        raise err(1, tname, "times must increase from row to row")
    rate = round(1 / median)
    if rate < 1 or abs(1 / median - rate) > 0.02 * rate:
        raise err(1, tname, f"sampling every {median:.4f} s is not a whole number of Hz")
    period = 1 / rate
    for k in range(1, len(times)):
        d = times[k] - times[k - 1]
        if not (0.5 * period < d < 1.5 * period):
            raise err(k, tname, f"sample {d:.3f} s after the previous one, expected "
                      f"{period:.3f} s: a gap or irregular sampling; split the file at the gap")
    # start on the first whole 30 s of UTC so epochs line up with synced ones
    first = times[0]
    t_start = int(-(-first // EPOCH_S) * EPOCH_S)
    skip = round((t_start - first) * rate)
    usable = samples[3 * skip:]
    per = rate * EPOCH_S
    if len(usable) // 3 < per:
        raise err(len(times) - 1, None,
                  f"fewer than {per} samples after {t_start}: no complete {EPOCH_S}-s epoch")
    out = []
    for rec in epochs_from_samples(usable, rate, EPOCH_S, 1000, t_start):
        rec.seq = import_seq(rec.time, EPOCH_S)
        out.append(rec)
    return out
