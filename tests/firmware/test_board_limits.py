"""The firmware under a board's real limits, on the native MicroPython unix port (issue 19).

The heap loop runs the whole device loop and the sync engine (scripted central, MTU
247) for 3 simulated days under -X heapsize = the smallest board free heap
(tests/firmware/board_limits.py), with every module loaded as mpy-cross output:
a MemoryError fails it. Figures per board are in bench/RESULTS.md.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.firmware.board_limits import FREE_HEAP
from tests.vm.harness import VmRun, run_module

HERE = Path(__file__).parent


def board_loop(heapsize: int) -> VmRun:
    return run_module(HERE / "mp_board_loop.py",
                      extra={"/t/vm_pipeline_heap.py": HERE / "vm_pipeline_heap.py"},
                      heapsize=heapsize, target="unix", mpy=True, timeout=600)


def figures(run: VmRun) -> tuple[int, int, int, int, int]:
    line = next(x for x in run.output.splitlines() if x.startswith("@@BOARD "))
    peak, least_free, received, syncs, written = (int(v) for v in line.split()[1:])
    return peak, least_free, received, syncs, written


@pytest.mark.slow
def test_three_days_of_the_device_loop_fit_the_smallest_board_heap() -> None:
    heap = min(FREE_HEAP.values())
    run = board_loop(heap)
    res = run.results.get("test_board_loop")
    assert res is not None, run.output[-3000:]
    assert res.ok, res.error
    peak, least_free, received, syncs, _ = figures(run)
    assert 0 < peak < heap
    assert least_free >= 4096  # a chunk, a frame and a reassembly still fit at every window
    assert received >= 3 * 2880 and syncs >= 24
    print(f"heap {heap}: peak gc.mem_alloc {peak}, least largest free block {least_free}")


def test_the_loop_fails_loudly_when_the_heap_is_too_small() -> None:
    # Control: the limit is real, so the pass above means something.
    run = board_loop(64 * 1024)
    assert not any(r.ok for r in run.results.values())
    assert "MemoryError" in run.output
