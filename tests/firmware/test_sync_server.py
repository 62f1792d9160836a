"""The device sync engine on CPython (the same module runs in the MicroPython VM)."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from tests.firmware import mp_test_sync_server as m

NAMES = sorted(n for n in dir(m) if n.startswith("test_"))


@pytest.mark.parametrize("name", NAMES)
def test_sync_engine_on_cpython(name: str, tmp_path: Path) -> None:
    m.ROOT = str(tmp_path / "sync")
    r = getattr(m, name)()
    if inspect.isgenerator(r):
        for _ in r:
            pass
