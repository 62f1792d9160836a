"""The --target tree on real MicroPython 1.27 (the WebAssembly VM): every .mpy loads, and the
snippets flash.py runs on a board (info, sha256 read-back) work and agree with the host."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from tests.vm.harness import run_module
from tools.flash import run
from tools.flashing import snippets
from tools.flashing.closure import board_names, closure
from tools.flashing.plan import check_version, make_plan
from tools.flashing.transport import BoardInfo

pytestmark = pytest.mark.vm


def flashed(tmp_path: Path, board: str) -> tuple[Path, dict[str, Path]]:
    """A --target tree and the VM files that put it under /flash."""
    t = tmp_path / board
    assert run(["--board", board, "--target", str(t), "--device-id", "0x0102"]) == 0
    extra = {"/flash/" + p.relative_to(t).as_posix(): p for p in t.rglob("*") if p.is_file()}
    return t, extra


# Stand in for the hardware modules the VM lacks (machine, bluetooth), only so that
# `import machine` / `import bluetooth` at module level succeed; an import calls nothing.
HARDWARE_FOR_IMPORT = "# VM stand-in for a hardware module: import only\n"

IMPORT_ALL = '''
import sys
NAMES = %(names)r

def test_every_module_loads_from_the_mpy_tree():
    sys.path[:] = ["/flash/lib", "/shim"]  # not /lib: the harness's source copies live there
    for name in NAMES:
        mod = __import__(name, None, None, ("x",))
        f = mod.__file__
        assert f.startswith("/flash/lib/") and f.endswith(".mpy"), (name, f)
'''


@pytest.mark.parametrize("board", board_names())
def test_every_mpy_of_the_tree_imports_on_micropython(board: str, tmp_path: Path) -> None:
    _, extra = flashed(tmp_path, board)
    names = [m.name for m in closure(board).modules]
    mod = tmp_path / "mp_flash_imports.py"
    mod.write_text(IMPORT_ALL % {"names": names})
    shim = tmp_path / "hardware_standin.py"
    shim.write_text(HARDWARE_FOR_IMPORT)
    r = run_module(mod, extra={**extra, "/shim/machine.py": shim, "/shim/bluetooth.py": shim})
    res = r.results.get("test_every_module_loads_from_the_mpy_tree")
    assert res is not None, r.output[-3000:]
    assert res.ok, res.error
    assert len(names) >= 15


SNIPPETS = '''
INFO = %(info)r
HASHES = %(hashes)r

def test_info():
    exec(INFO, {})

def test_hashes():
    exec(HASHES, {})
'''


def test_board_snippets_run_on_micropython_and_match_the_host(tmp_path: Path) -> None:
    t, extra = flashed(tmp_path, "pico_w")
    files = sorted(p.relative_to(t).as_posix() for p in t.rglob("*") if p.is_file())
    dirs = ("/flash/lib/wlfw", "/flash/lib/wlproto", "/flash/lib/drivers", "/flash/lib/boards")
    paths = [f"/flash/{f}" for f in files] + ["/flash/lib/wlfw/missing.mpy"]
    mod = tmp_path / "mp_flash_snippets.py"
    mod.write_text(SNIPPETS % {
        "info": snippets.info_code(dirs, ("/flash/main.py", "/flash/config.json", "/nope")),
        "hashes": snippets.hashes_code(paths)})
    r = run_module(mod, extra=extra)
    assert all(res.ok for res in r.results.values()) and len(r.results) == 2, r.output[-3000:]
    lines = [ln for ln in r.output.splitlines() if ln.startswith(snippets.MARK)]
    assert len(lines) == 2, r.output[-3000:]
    answers = [snippets.parse_answer(ln) for ln in lines]  # tests run in name order
    got, info = answers if "name" in answers[1] else answers[::-1]
    assert info["name"] == "micropython" and info["version"] == [1, 27, 0]
    assert info["mpy"] & 0xFF == 6
    assert info["unique_id"] is None  # no machine module in the VM
    assert info["bsize"] > 0 and info["bavail"] > 0
    want = {f"/flash/{f}": (t / f).stat().st_size for f in files
            if f.startswith("lib/") or f in ("main.py", "config.json")}
    assert info["files"] == want
    for f in files:
        assert got[f"/flash/{f}"] == hashlib.sha256((t / f).read_bytes()).hexdigest(), f
    assert got["/flash/lib/wlfw/missing.mpy"] is None
    # the real interpreter's answer passes the version check for what we compiled
    board = BoardInfo.from_answer(info)
    assert board.version == (1, 27, 0) and board.free_bytes > 0
    check_version(make_plan("pico_w", 0x0102), board)
