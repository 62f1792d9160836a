"""Where the companion keeps each device's pairing secret: the store's device_keys."""

from __future__ import annotations

import time

from wearlog.ble.errors import NotPairedError
from wearlog.store import Store


def save_pairing(store: Store, device_id: int, secret: bytes, address: str | None,
                 transport: str | None) -> None:
    with store.transaction() as c:
        c.execute(
            "INSERT OR REPLACE INTO device_keys (device_id, secret_hex, address, transport, "
            "paired_utc) VALUES (?,?,?,?,?)",
            (device_id, secret.hex(), address, transport, int(time.time())),
        )


def load_pairing(store: Store, device_id: int) -> tuple[bytes, str | None, str | None]:
    row = store.conn.execute(
        "SELECT secret_hex, address, transport FROM device_keys WHERE device_id=?", (device_id,)
    ).fetchone()
    if row is None:
        raise NotPairedError(f"device {device_id:#06x} is not paired with this computer: "
                             "run `wearlog pair`")
    return bytes.fromhex(row[0]), row[1], row[2]


def paired_devices(store: Store) -> list[tuple[int, str | None, str | None]]:
    return [(r[0], r[1], r[2]) for r in store.conn.execute(
        "SELECT device_id, address, transport FROM device_keys ORDER BY device_id")]


def forget_pairing(store: Store, device_id: int) -> None:
    with store.transaction() as c:
        c.execute("DELETE FROM device_keys WHERE device_id=?", (device_id,))
