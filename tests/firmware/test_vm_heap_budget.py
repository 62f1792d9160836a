"""The sensing + log pipeline fits the heap budget on the real MicroPython VM."""

from __future__ import annotations

from pathlib import Path

from tests.vm.harness import run_module

BUDGET = 40 * 1024  # bytes: leaves most of an ESP32's ~110 KB free heap to BLE


def test_pipeline_peak_heap_within_budget() -> None:
    run = run_module(Path(__file__).with_name("vm_pipeline_heap.py"))
    res = run.results.get("test_pipeline_heap")
    assert res is not None, run.output[-3000:]
    assert res.ok, res.error
    print(f"pipeline peak heap {res.peak_heap} bytes (budget {BUDGET})")
    assert 0 < res.peak_heap <= BUDGET
