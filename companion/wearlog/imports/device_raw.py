"""Raw files of research accelerometers (Axivity .cwa, GENEActiv .bin, ActiGraph .gt3x).

Read with actipy (OxWearables), then through the firmware's own feature code, like a raw
CSV. actipy is NOT a Wearlog dependency: it is distributed under an academic,
non-commercial licence (University of Oxford) that an MIT project cannot impose on its
users, and it needs Java 8+. A researcher who may use it installs it (`pip install
actipy`); without it this format says so and points to the raw CSV route.

actipy is asked only to decode and to put the samples on the device's nominal rate
(resample_hz='uniform'); its filtering, calibration and non-wear steps are off, so the
features are the firmware's. Device times are local wall-clock times of the recording
start; samples follow at the device's rate (a device clock does not jump at DST).
"""

from __future__ import annotations

import datetime as dt
import warnings
from array import array
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from wearlog.imports.errors import ImportDataError
from wearlog.imports.raw_csv import MAX_G, samples_to_epochs
from wearlog.imports.save import ImportResult, ParsedImport, fingerprint, save, zone_for
from wearlog.store import Store
from wlproto.const import EPOCH_S

SUFFIXES = (".cwa", ".bin", ".gt3x", ".cwa.gz", ".bin.gz", ".gt3x.gz")


class DeviceFileError(ImportDataError, ValueError):
    """A device file that cannot be read or is not usable as it is."""


def _actipy() -> Any:
    try:
        import actipy  # type: ignore[import-not-found]
    except ImportError:
        raise DeviceFileError(
            "reading .cwa/.bin/.gt3x needs actipy, which Wearlog does not install (academic "
            "non-commercial licence; needs Java 8+): `pip install actipy` if its licence "
            "allows your use, or export t,x,y,z in g to CSV and use --format raw") from None
    return actipy


def parse_device_file(path: str | Path, tz: ZoneInfo) -> ParsedImport:
    """Decode with actipy and compute the firmware's epochs; touches no database."""
    path = Path(path)
    if not path.name.lower().endswith(SUFFIXES):
        raise DeviceFileError(f"{path}: not a .cwa, .bin or .gt3x file")
    actipy = _actipy()
    try:
        with warnings.catch_warnings():  # actipy's own deprecation warnings are not ours
            warnings.simplefilter("ignore")
            data, info = actipy.read_device(
                str(path), lowpass_hz=None, calibrate_gravity=False, detect_nonwear=False,
                resample_hz="uniform", verbose=False)
    except Exception as e:  # actipy raises many kinds (Java, format, IO): report, not crash
        raise DeviceFileError(f"{path}: actipy could not read it ({type(e).__name__}: "
                              f"{e})") from None
    xyz = data[["x", "y", "z"]].to_numpy(dtype=float)
    if len(xyz) < 2:
        raise DeviceFileError(f"{path}: no samples")
    bad = ~np.isfinite(xyz).all(axis=1)
    if bad.any():
        at = data.index[int(np.argmax(bad))]
        raise DeviceFileError(f"{path}: a gap (no samples) at {at}: split the recording "
                              "there with the device's software")
    rate = float(info.get("SampleRate", 0))
    if rate < 1 or abs(rate - round(rate)) > 1e-6:
        raise DeviceFileError(f"{path}: sampled at {rate} Hz; the feature code needs a whole "
                              "number of Hz")
    first = data.index[0].to_pydatetime().replace(tzinfo=tz)
    t0 = first.timestamp()
    times = (t0 + np.arange(len(xyz)) / round(rate)).tolist()
    mg = np.clip(np.rint(xyz * 1000), -MAX_G * 1000, MAX_G * 1000).astype(np.int16)
    samples = array("h", mg.ravel().tobytes())

    def err(k: int, _col: str | None, msg: str) -> Exception:
        when = (first + dt.timedelta(seconds=k / round(rate))).isoformat()
        return DeviceFileError(f"{path}, sample {k + 1} ({when}): {msg}")

    records = samples_to_epochs(times, samples, err)
    return ParsedImport(path.name, "import-raw", EPOCH_S, records, None,
                        fingerprint(path, "import-raw"), extra={"device": info.get("Device")})


def import_device_file(store: Store, patient_id: str, path: str | Path,
                       device_id: int | None = None, *, tz: str | None = None) -> ImportResult:
    """Parse, then store all-or-nothing (tz, if given, creates or updates the patient)."""
    parsed = parse_device_file(path, zone_for(store, patient_id, tz))
    return save(store, patient_id, parsed, tz, device_id)
