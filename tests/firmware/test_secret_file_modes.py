"""The device's secrets on a host filesystem are readable by their owner only (issue 14.14).

Boards run littlefs, which has no users or modes (docs/firmware.md); the host port,
the virtual wearables and a laptop-run device keep pairing.key and the BLE bond
keys 0600 even under a permissive umask or over a stale world-readable file.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from wlfw.auth import SECRET_FILE, SecretStore
from wlfw.fsio import OsFs

SECRET = b"0123456789abcdef"


@pytest.fixture
def open_umask():
    old = os.umask(0o022)  # the usual default: new files 0644
    yield
    os.umask(old)


def mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


def test_pairing_key_is_created_owner_only(tmp_path: Path, open_umask: None) -> None:
    store = SecretStore(str(tmp_path), OsFs())
    store.set(SECRET)
    key = tmp_path / SECRET_FILE
    assert mode(key) == 0o600
    assert SecretStore(str(tmp_path), OsFs()).get() == SECRET


def test_stale_world_readable_temp_file_is_not_reused_as_is(
    tmp_path: Path, open_umask: None
) -> None:
    tmp = tmp_path / (SECRET_FILE + ".tmp")
    tmp.write_bytes(b"old")
    tmp.chmod(0o644)  # left by a power cut under an older firmware
    SecretStore(str(tmp_path), OsFs()).set(SECRET)
    assert mode(tmp_path / SECRET_FILE) == 0o600


def test_ble_bond_keys_are_owner_only(tmp_path: Path, open_umask: None) -> None:
    from wearlog.virtual.hostport import install_paths

    install_paths()
    from drivers.ble_peripheral import BlePeripheral

    periph = BlePeripheral.__new__(BlePeripheral)  # only the bond store, no radio
    periph.bonds_path = str(tmp_path / "ble_bonds.json")
    periph._bonds = {}
    assert periph._set_secret(1, b"peer", b"link key") is True
    assert mode(tmp_path / "ble_bonds.json") == 0o600
    assert periph._get_secret(1, 0, b"peer") == b"link key"
