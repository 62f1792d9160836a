"""The virtual wearer's recording every area shares: N days of the unchanged firmware on
the host port (wearlog.virtual.hostport), made once per `python -m bench` run."""

from __future__ import annotations

import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DAYS = 14.0
QUICK_DAYS = 0.25
SEED = 1
# A harder wearer than the default: broken nights and three quiet days.
WEARER = {"fragmented_sleep": True, "low_activity_days": {3, 4, 10}}


@dataclass
class Recording:
    run: Any  # wearlog.virtual.hostport.HostRun
    days: float
    wall_s: float
    cpu_s: float
    records: list[Any]


_cache: dict[float, Recording] = {}
_dirs: list[str] = []


def recording(days: float) -> Recording:
    """The shared recording of `days` days (recorded on first use)."""
    if days not in _cache:
        from wearlog.virtual.hostport import run_wearer

        d = tempfile.mkdtemp(prefix="wearlog-bench-")
        _dirs.append(d)
        t0, c0 = time.perf_counter(), time.process_time()
        run = run_wearer(days=days, seed=SEED, log_dir=Path(d) / "log", **WEARER)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        _cache[days] = Recording(run, days, wall, cpu, run.records())
    return _cache[days]


def device_copy(rec: Recording, dest: Path) -> Any:
    """A device booted from a copy of the recording's log (syncing acks and mutates it)."""
    from wearlog.testing.samples import Wearer
    from wearlog.virtual.hostport import build_device

    shutil.copytree(rec.run.log_dir, dest)
    app, _board, _clock = build_device(Wearer(days=0.01, seed=1), dest)
    return app


def cleanup() -> None:
    for d in _dirs:
        shutil.rmtree(d, ignore_errors=True)
    _dirs.clear()
    _cache.clear()
