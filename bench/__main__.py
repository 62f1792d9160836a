"""`python -m bench [--quick] [--out DIR] [--only AREA,...]`: run every benchmark, one area
at a time, and write results.json and RESULTS.md (default: the bench/ folder).

A failing area is recorded with its error and the others still run; a bench module that
is not there is recorded as "not available", never as numbers.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import math
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import external, machine, recording, report

HERE = Path(__file__).resolve().parent


def _own(module: str) -> Callable[[bool], dict[str, Any]]:
    def call(quick: bool) -> dict[str, Any]:
        return importlib.import_module(module).run(quick=quick)  # type: ignore[no-any-return]
    return call


def _analysis(quick: bool) -> dict[str, Any]:
    mod = importlib.import_module("bench.analysis_bench")
    d = mod.run(patients=3, days=30) if quick else mod.run()
    return {"figures": external.analysis_rows(d), "raw": d}


def _dashboard(quick: bool) -> dict[str, Any]:
    mod = importlib.import_module("bench.dashboard_bench")
    d = mod.run()
    return {"figures": external.dashboard_rows(d), "raw": d}


def _serving(quick: bool) -> dict[str, Any]:
    return importlib.import_module("bench.dashboard_bench").run_area(quick)  # type: ignore[no-any-return]


def _validate(quick: bool) -> dict[str, Any]:
    return importlib.import_module("bench.validate").bench_area(quick)  # type: ignore[no-any-return]


# area -> (runner, runs in --quick)
AREAS: dict[str, tuple[Callable[[bool], dict[str, Any]], bool]] = {
    "firmware": (_own("bench.firmware_bench"), True),
    "sync": (_own("bench.sync_bench"), True),
    "store": (_own("bench.store_bench"), True),
    "backends": (_own("bench.backends_bench"), True),
    "accuracy": (_own("bench.accuracy_bench"), True),
    "energy": (_own("bench.energy"), True),
    "logcoding": (_own("bench.logcoding"), True),
    "analysis": (_analysis, False),
    "dashboard": (_dashboard, False),
    "serving": (_serving, False),
    "validate": (_validate, False),
}


def _clean(v: Any) -> Any:
    """JSON has no NaN: write null."""
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, dict):
        return {k: _clean(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_clean(x) for x in v]
    return v


def run_all(quick: bool, only: list[str] | None, log: Callable[[str], None],
            done: Callable[[dict[str, Any]], None] = lambda r: None) -> dict[str, Any]:
    """Run the areas in order; done(results so far) after each (partial files survive a
    run that is stopped halfway)."""
    t0 = time.perf_counter()
    results: dict[str, Any] = {"machine": machine.describe(), "quick": quick, "areas": {}}
    for area, (fn, in_quick) in AREAS.items():
        if only is not None and area not in only:
            continue
        if quick and not in_quick and only is None:
            results["areas"][area] = {"status": "skipped in --quick", "seconds": 0.0}
            continue
        log(f"bench: {area} ...")
        t = time.perf_counter()
        try:
            res = fn(quick)
            entry = {"status": "ok", **res}
        except ModuleNotFoundError as e:
            if e.name and e.name.startswith("bench."):
                entry = {"status": "not available", "error": f"{e.name} is missing"}
            else:
                entry = {"status": "failed", "error": traceback.format_exc()}
        except Exception:  # noqa: BLE001 - one broken bench must not hide the others
            entry = {"status": "failed", "error": traceback.format_exc()}
        entry["seconds"] = round(time.perf_counter() - t, 1)
        log(f"bench: {area} {entry['status']} in {entry['seconds']} s")
        results["areas"][area] = _clean(entry)
        results["total_s"] = round(time.perf_counter() - t0, 1)
        done(results)
    recording.cleanup()
    results["machine"]["load_average_at_end"] = machine.load_average()
    results["total_s"] = round(time.perf_counter() - t0, 1)
    results["finished_utc"] = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
    return results


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="tiny sizes: a smoke test, not figures")
    p.add_argument("--out", type=Path, default=HERE, help="folder for results.json, RESULTS.md")
    p.add_argument("--only", help=f"comma-separated areas: {', '.join(AREAS)}")
    a = p.parse_args(argv)
    only = None
    if a.only:
        only = [x.strip() for x in a.only.split(",") if x.strip()]
        unknown = [x for x in only if x not in AREAS]
        if unknown:
            p.error(f"unknown area(s) {', '.join(unknown)}; choose from {', '.join(AREAS)}")
    results = run_all(a.quick, only, lambda s: print(s, file=sys.stderr, flush=True),
                      lambda partial: report.write({**partial, "partial": True}, a.out))
    j, md = report.write(results, a.out)
    failed = [k for k, v in results["areas"].items() if v["status"] == "failed"]
    print(f"wrote {j} and {md} in {results['total_s']} s"
          + (f"; FAILED: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
