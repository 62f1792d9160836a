"""`make demo` sets up only what the demo needs; `make test` sets up the rest (issue 20).

Read from `make -n` on a fresh-like copy of the build files (no .venv, node_modules or
.stubs), so the check sees every command a new clone would run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BUILD_FILES = ("Makefile", "pyproject.toml", "setup.py", "package.json", "package-lock.json")
# What only the tests need: dev extras, the MicroPython VM, its API stubs, a browser.
TEST_ONLY = ("[dev]", "npm ", ".stubs", "micropython-", "chromium", "postgresql", "apt-get",
             "sudo")

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def _dry_run(target: str, tmp_path: Path) -> list[str]:
    for name in BUILD_FILES:
        shutil.copy2(ROOT / name, tmp_path / name)
    # Not the flags of a make that runs this suite (`make test` sets MAKEFLAGS).
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    r = subprocess.run(["make", "-n", target], cwd=tmp_path, capture_output=True, text=True,
                       timeout=60, check=True, env=env)
    return [ln.rstrip() for ln in r.stdout.splitlines()]


def test_demo_installs_the_package_and_its_runtime_dependencies_only(tmp_path: Path) -> None:
    lines = _dry_run("demo", tmp_path)
    text = "\n".join(lines)
    assert any("pip install" in ln and ln.endswith("-e .") for ln in lines), text
    for needle in TEST_ONLY:
        assert needle not in text, f"`make demo` would run something with {needle!r}:\n{text}"
    assert lines[-1].endswith("wearlog demo"), text


def test_test_target_still_sets_up_everything(tmp_path: Path) -> None:
    text = "\n".join(_dry_run("test", tmp_path))
    for needle in ("-e '.[dev]'", "npm ci", ".stubs/esp32", ".stubs/rp2", "chromium",
                   "postgresql", "ruff check", "mypy", "pytest"):
        assert needle in text, f"`make test` no longer runs {needle!r}:\n{text}"
