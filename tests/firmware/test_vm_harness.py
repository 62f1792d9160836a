"""The VM harness really runs MicroPython: CPython-only code must fail there."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from tests.vm.harness import run_module

FIX = Path(__file__).resolve().parents[1] / "vm" / "fixtures"


def test_cpython_only_snippet_runs_on_cpython() -> None:
    # Control: the snippet is valid Python, so a VM failure is MicroPython's verdict.
    spec = importlib.util.spec_from_file_location("cpython_only", FIX / "cpython_only.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules["cpython_only"] = mod  # dataclasses looks the module up by name
    try:
        spec.loader.exec_module(mod)
        assert mod.magnitude2(mod.Sample(3, 4)) == 25
    finally:
        del sys.modules["cpython_only"]


def test_cpython_only_snippet_fails_in_vm() -> None:
    run = run_module(
        FIX / "mp_probe_cpython_only.py", extra={"/t/cpython_only.py": FIX / "cpython_only.py"}
    )
    failure = run.results["<import>"]
    assert not failure.ok
    assert "dataclasses" in (failure.error or "")
    assert "test_uses_snippet" not in run.results


def test_portable_snippet_passes_in_vm() -> None:
    run = run_module(FIX / "mp_probe_portable.py", extra={"/t/portable.py": FIX / "portable.py"})
    assert run.results["test_uses_snippet"].ok, run.output


def test_failing_assertion_is_reported(tmp_path: Path) -> None:
    mod = tmp_path / "mp_probe_fails.py"
    mod.write_text(
        "def test_no():\n    assert 1 + 1 == 3, 'arithmetic'\n\ndef test_yes():\n    pass\n"
    )
    run = run_module(mod)
    assert not run.results["test_no"].ok and "arithmetic" in (run.results["test_no"].error or "")
    assert run.results["test_yes"].ok


def test_peak_heap_tracks_live_allocation(tmp_path: Path) -> None:
    mod = tmp_path / "mp_probe_heap.py"
    mod.write_text(
        "def test_small():\n    pass\n\n"
        "def test_big():\n    b = bytearray(50000)\n    yield\n    assert len(b) == 50000\n"
    )
    run = run_module(mod)
    small, big = run.results["test_small"].peak_heap, run.results["test_big"].peak_heap
    assert big - small >= 50000, (small, big)
    assert small < 50000


def test_cpython_only_snippet_fails_on_the_native_port_too() -> None:
    run = run_module(
        FIX / "mp_probe_cpython_only.py", extra={"/t/cpython_only.py": FIX / "cpython_only.py"},
        target="unix",
    )
    failure = run.results["<import>"]
    assert not failure.ok and "dataclasses" in (failure.error or "")


def test_native_port_heap_is_a_limit_the_vm_heap_is_not(tmp_path: Path) -> None:
    # Why the second target exists: past -X heapsize a board (and the native port)
    # raises MemoryError, while the WebAssembly VM grows its heap and carries on.
    mod = tmp_path / "mp_probe_limit.py"
    mod.write_text("def test_big():\n    b = bytearray(300000)\n    assert len(b) == 300000\n")
    native = run_module(mod, heapsize=128 * 1024, target="unix").results["test_big"]
    assert not native.ok and "MemoryError" in (native.error or "")
    vm = run_module(mod, heapsize=128 * 1024, target="wasm").results["test_big"]
    assert vm.ok, vm.error
