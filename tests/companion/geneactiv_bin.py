"""Write small GENEActiv .bin files for tests (the device's documented text format).

GENEActiv .bin (Activinsights, "GENEActiv Instructions for Use", binary file section):
a 59-line header (calibration block from line 48: x/y/z gain and offset, Volts, Lux,
then "Memory Status" and "Number of Pages"), then pages of 10 lines: "Recorded Data",
serial, sequence, "Page Time:YYYY-MM-DD hh:mm:ss:mmm", unassigned, temperature, battery
voltage, device status, "Measurement Frequency:<Hz>", and 300 samples as hexadecimal,
12 characters each: x, y, z as 12-bit two's complement and light/button/reserved.
Acceleration in g = (raw * 100 - offset) / gain.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

SAMPLES_PER_PAGE = 300
GAIN = 25600  # raw units per g x 100: 256 raw per g
OFFSET = 0


def _raw(g: float) -> int:
    v = round(g * GAIN / 100)
    return max(-2048, min(2047, v)) & 0xFFF


def write_bin(path: Path, start: dt.datetime, rate: int, xyz: list[tuple[float, float, float]]
              ) -> Path:
    """xyz in g at `rate` Hz from `start` (naive device time); padded to whole pages."""
    n_pages = -(-len(xyz) // SAMPLES_PER_PAGE)
    xyz = xyz + [xyz[-1]] * (n_pages * SAMPLES_PER_PAGE - len(xyz))
    head = [f"Header line {i}" for i in range(1, 48)]
    head[0] = "Device Identity"
    head[1] = "Device Unique Serial Code:012345"
    head[2] = "Device Type:GENEActiv"
    head += [f"x gain:{GAIN}", f"x offset:{OFFSET}", f"y gain:{GAIN}", f"y offset:{OFFSET}",
             f"z gain:{GAIN}", f"z offset:{OFFSET}", "Volts:300", "Lux:800", "",
             "Memory Status", f"Number of Pages:{n_pages}"]
    head += [""] * (59 - len(head))
    lines = head
    for p in range(n_pages):
        t = start + dt.timedelta(seconds=p * SAMPLES_PER_PAGE / rate)
        stamp = t.strftime("%Y-%m-%d %H:%M:%S:") + f"{t.microsecond // 1000:03d}"
        payload = "".join(f"{_raw(x):03X}{_raw(y):03X}{_raw(z):03X}000"
                          for x, y, z in xyz[p * SAMPLES_PER_PAGE:(p + 1) * SAMPLES_PER_PAGE])
        lines += ["Recorded Data", "Device Unique Serial Code:012345", f"Sequence Number:{p}",
                  f"Page Time:{stamp}", "Unassigned:", "Temperature:25.0",
                  "Battery voltage:4.0", "Device Status:Recording",
                  f"Measurement Frequency:{rate}.0", payload]
    path.write_text("\r\n".join(lines) + "\r\n")
    return path
