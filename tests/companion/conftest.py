"""Shared fixtures for BLE tests: recorded virtual wearables (real firmware on the host port)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from wearlog.testing.samples import Wearer
from wearlog.virtual.hostport import HostRun, build_device, run_wearer


@pytest.fixture(scope="session")
def short_recording(tmp_path_factory: pytest.TempPathFactory) -> HostRun:
    """Six hours of a virtual wearer on the unchanged firmware, recorded once."""
    return run_wearer(days=0.25, seed=7, log_dir=tmp_path_factory.mktemp("short") / "log")


def reboot_copy(run: HostRun, dest: Path):
    """A fresh device booted from a copy of a recorded log (each test mutates its own)."""
    shutil.copytree(run.log_dir, dest)
    app, _board, _clock = build_device(Wearer(days=0.01, seed=1), dest)
    return app


@pytest.fixture(scope="session")
def pyact_awd(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """pyActigraphy's five example AWD recordings, from its PyPI wheel (see reference/)."""
    from tests.companion.reference import pyactigraphy_data as pad

    d = tmp_path_factory.mktemp("pyact")
    return {name: pad.awd_file(name, d) for name in pad.NAMES}

