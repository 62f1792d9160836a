"""The firmware type-check really uses the MicroPython stubs (not CPython's stdlib)."""

from __future__ import annotations

import importlib.util
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STUBS = ROOT / ".stubs"
TOOL = ROOT / "tools" / "typecheck_firmware.py"

pytestmark = pytest.mark.skipif(
    not (STUBS / ".installed").exists(), reason="MicroPython stubs not installed: run make setup"
)


def _load_tool():
    spec = importlib.util.spec_from_file_location("typecheck_firmware", TOOL)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _mypy(port: str, src: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    f = tmp_path / "probe.py"
    f.write_text(src)
    return _load_tool().check(port, [str(f)], tmp_path / "cache")


@pytest.mark.parametrize("port", ["esp32", "rp2"])
def test_port_without_hmac_is_caught(port: str, tmp_path: Path) -> None:
    r = _mypy(port, "import hmac\n", tmp_path)
    assert r.returncode == 1 and 'module named "hmac"' in r.stdout


@pytest.mark.parametrize("port", ["esp32", "rp2"])
def test_real_micropython_apis_pass(port: str, tmp_path: Path) -> None:
    src = (
        "import bluetooth, machine, struct\n"
        "from micropython import const\n"
        "_IRQ = const(3)\n"
        "def f():\n"
        "    ble = bluetooth.BLE()\n"
        "    ble.active(True)\n"
        "    i2c = machine.I2C(0, scl=machine.Pin(22), sda=machine.Pin(21), freq=400000)\n"
        "    return i2c.readfrom_mem(0x68, 0x75, 1), struct.calcsize('<I')\n"
    )
    r = _mypy(port, src, tmp_path)
    assert r.returncode == 0, r.stdout


def test_wrong_call_into_machine_is_caught(tmp_path: Path) -> None:
    r = _mypy("esp32", "import machine\ndef f():\n    machine.I2C(0).readfrom_mem(1)\n", tmp_path)
    assert r.returncode == 1, r.stdout
