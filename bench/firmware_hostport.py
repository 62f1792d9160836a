"""Benchmark: 14 simulated days of the unchanged firmware on the host port.

Run: .venv/bin/python bench/firmware_hostport.py [days]
Prints wall time, simulated/real speed-up, flash bytes per day, chunk writes
per day and step accuracy against the virtual wearer's ground truth.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def main(days: float = 14) -> dict[str, float]:
    from wearlog.virtual.hostport import run_wearer
    from wlproto.records import Epoch

    with tempfile.TemporaryDirectory() as d:
        t0 = time.perf_counter()
        c0 = time.process_time()
        run = run_wearer(days=days, seed=1, log_dir=d, fragmented_sleep=True,
                         low_activity_days={3, 4, 10})
        wall = time.perf_counter() - t0
        cpu = time.process_time() - c0
        log = run.app.log
        on_disk = sum(p.stat().st_size for p in Path(d).glob("*.wls"))
        recs = run.records()
    eps = [r for r in recs if isinstance(r, Epoch)]
    steps = np.array([e.steps for e in eps], dtype=float)
    walk = run.truth.walking
    out = {
        "days": days,
        "wall_s": round(wall, 1),
        "cpu_s": round(cpu, 1),  # this process only: less affected by other jobs
        "speedup": round(days * 86400 / wall),
        "samples": int(days * 86400 * 25),
        "records": len(recs),
        "bytes_per_day": round(on_disk / days),
        "days_per_MiB": round((1 << 20) / (on_disk / days), 1),
        "chunk_writes_per_day": round(log.chunks_written / days, 1),
        "steps_device_walking": int(steps[walk].sum()),
        "steps_truth_walking": int(run.truth.steps[walk].sum()),
        "steps_device_total": int(steps.sum()),
        "steps_truth_total": int(run.truth.steps.sum()),
    }
    return out


if __name__ == "__main__":
    res = main(float(sys.argv[1]) if len(sys.argv) > 1 else 14)
    for k, v in res.items():
        print(f"{k:>24}: {v}")
