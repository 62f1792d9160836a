"""Write shared/vectors/log_v2.json: golden vectors of the flash log format v2.

Each case is a sequence of records written by wlfw.recordlog.RecordLog (v2: coded
chunks, written raw as v1 where coding would not save a byte) with flushes at given
points, and the segment file(s) it leaves on flash, byte for byte. The tests write the
records again and compare the bytes, and read the bytes back and compare the records,
on CPython and on both MicroPython targets (tests/firmware/*log_vectors*). Change this
only with a new log format: a device in the field holds these bytes.

    python tools/make_log_vectors.py
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "shared" / "vectors" / "log_v2.json"
T0 = 1767225600

# (kind, time, flags, values...): "e" an epoch (EPOCH_TABLE order), "v" an event
# (etype, value, arg, aux); "flush" writes the buffered records as one chunk.
CASES = {
    "epochs_one_chunk": [("e", T0 + 30 * i, 0, 100 + (i % 3), 40 + i % 2, -30, 5, 0, 62)
                         for i in range(32)],
    "walking_then_still_with_events": (
        [("e", T0 + 30 * i, 0, 900 + 37 * i, 300 + 11 * i, -12 + i, 40, 48 + i, 64)
         for i in range(10)]
        + [("v", T0 + 301, 0, 1, 3, 0, 0)]
        + [("e", T0 + 330 + 30 * i, 4, 0, 12, 85, 1, 0, 58) for i in range(12)]
        + [("v", T0 + 700, 0, 8, 76, 0, 3890), "flush"]
    ),
    "events_only_stay_v1": [("v", T0 + 7 * i, 2, 5, 0, i, 0) for i in range(3)] + ["flush"],
    "one_record_flush_stays_v1": [("e", T0, 0, 10, 10, 0, 0, 0, 40), "flush"],
    "clock_unset_and_time_gap": (
        [("e", 30 * i, 2, 5, 9, 80, 2, 0, -128) for i in range(5)]
        + ["flush"]
        + [("e", 600 + 30 * i, 2, 5, 9, 80, 2, 0, -128) for i in range(4)] + ["flush"]
    ),
}


def write(log: object, steps: list) -> None:
    from wlproto.fields import EPOCH_TABLE

    for s in steps:
        if s == "flush":
            log.flush()  # type: ignore[attr-defined]
        elif s[0] == "e":  # fields added after a case was written take their defaults
            log.append_epoch(*s[1:], *(f[5] for f in EPOCH_TABLE[len(s) - 3:]))  # type: ignore[attr-defined]
        else:
            log.append_event(*s[1:])  # type: ignore[attr-defined]
    log.flush()  # type: ignore[attr-defined]


def segments(d: Path) -> dict[str, str]:
    return {p.name: p.read_bytes().hex() for p in sorted(d.glob("*.wls"))}


def main() -> int:
    sys.path[:0] = [str(ROOT / "firmware"), str(ROOT / "shared")]
    from wlfw.recordlog import RecordLog

    out = {"format": "Wearlog flash log v2 (wlfw/recordlog.py, wlfw/chunkcode.py)",
           "epoch_s": 30, "cases": []}
    for name, steps in CASES.items():
        with tempfile.TemporaryDirectory() as d:
            log = RecordLog(d, coded=True)
            write(log, steps)
            out["cases"].append({"name": name, "steps": steps, "segments": segments(Path(d)),
                                 "bytes_written": log.bytes_written})
    OUT.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
