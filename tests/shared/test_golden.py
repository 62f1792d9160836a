"""The golden vectors on CPython (the same module also runs in the MicroPython VM)."""

from pathlib import Path

import pytest

from tests.shared import mp_test_golden as golden

golden.VECTORS = str(Path(__file__).resolve().parents[2] / "shared" / "vectors" / "golden.json")


@pytest.mark.parametrize("name", sorted(n for n in dir(golden) if n.startswith("test_")))
def test_golden_on_cpython(name: str) -> None:
    getattr(golden, name)()
