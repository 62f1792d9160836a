"""Where the companion keeps each device's pairing secret: the store's device_keys."""

from __future__ import annotations

from wearlog.ble.errors import NotPairedError
from wearlog.store import Store


def save_pairing(store: Store, device_id: int, secret: bytes, address: str | None,
                 transport: str | None) -> None:
    store.save_device_key(device_id, secret.hex(), address, transport)


def load_pairing(store: Store, device_id: int) -> tuple[bytes, str | None, str | None]:
    row = store.device_key(device_id)
    if row is None:
        raise NotPairedError(f"device {device_id:#06x} is not paired with this computer: "
                             "run `wearlog pair`")
    return bytes.fromhex(row[0]), row[1], row[2]


def paired_devices(store: Store) -> list[tuple[int, str | None, str | None]]:
    return store.device_keys()


def forget_pairing(store: Store, device_id: int) -> None:
    store.forget_device_key(device_id)
