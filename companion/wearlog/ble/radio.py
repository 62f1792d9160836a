"""The companion's end of a virtual radio: a bumble host and its controller.

In-process (tests, `wearlog demo`): a controller on the same bumble LocalLink
as the virtual wearable. Cross-process (`wearlog device virtual` in another
terminal): the controller lives in the wearable's process and this host
reaches it over bumble's TCP HCI transport ("tcp-client:127.0.0.1:PORT").
Bonds (link keys) are kept in a JSON key store, like an OS keeps them.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from bumble.controller import Controller
from bumble.device import Device
from bumble.hci import Address
from bumble.host import Host
from bumble.keys import JsonKeyStore, KeyStore
from bumble.link import LocalLink
from bumble.pairing import PairingConfig, PairingDelegate
from bumble.transport import open_transport
from bumble.transport.common import AsyncPipeSink

from wearlog.ble.errors import BluetoothUnavailableError

_count = 0


class CentralRadio:
    """One bumble central, opened lazily and shared by scanner and clients."""

    def __init__(self, link: LocalLink | None = None, transport: str | None = None,
                 keystore_path: Path | None = None, address: str | None = None,
                 mtu: int = 247) -> None:
        if (link is None) == (transport is None):
            raise ValueError("give exactly one of link= (in-process) or transport=")
        global _count
        _count += 1
        self.link = link
        self.transport_spec = transport
        self.keystore_path = keystore_path
        self.address = address or f"C0:FF:EE:00:00:{_count:02X}"
        self.mtu = mtu
        self.device: Device | None = None
        self._transport: Any = None
        self._lock = asyncio.Lock()

    async def open(self) -> Device:
        async with self._lock:
            if self.device is not None:
                return self.device
            if self.link is not None:
                ctrl = Controller("companion", link=self.link, public_address=self.address)
                host = Host(ctrl, AsyncPipeSink(ctrl))
            else:
                try:
                    self._transport = await open_transport(self.transport_spec or "")
                except (OSError, ConnectionError) as e:
                    raise BluetoothUnavailableError(
                        f"cannot reach the virtual radio at {self.transport_spec}: {e}. "
                        "Is `wearlog device virtual` running?"
                    ) from e
                host = Host(self._transport.source, self._transport.sink)
            dev = Device(address=Address(self.address), host=host)
            if self.keystore_path is not None:
                self.keystore_path.parent.mkdir(parents=True, exist_ok=True)
                dev.keystore = JsonKeyStore(namespace=None, filename=str(self.keystore_path))
            else:
                dev.keystore = _MemoryKeyStore()
            dev.pairing_config_factory = lambda _c: PairingConfig(
                sc=True, mitm=False, bonding=True,
                delegate=PairingDelegate(io_capability=PairingDelegate.NO_OUTPUT_NO_INPUT),
                identity_address_type=PairingConfig.AddressType.RANDOM,
            )
            await dev.power_on()
            self.device = dev
            return dev

    async def is_bonded(self, address: str) -> bool:
        dev = await self.open()
        return dev.keystore is not None and await dev.keystore.get(address) is not None

    async def forget_bond(self, address: str) -> None:
        dev = await self.open()
        if dev.keystore is not None:
            try:
                await dev.keystore.delete(address)
            except KeyError:
                pass

    async def close(self) -> None:
        if self.device is not None:
            try:
                await self.device.power_off()
            except Exception:  # noqa: BLE001 - closing what may already be gone
                pass
            self.device = None
        if self._transport is not None:
            await self._transport.close()
            self._transport = None


class _MemoryKeyStore(KeyStore):
    def __init__(self) -> None:
        self.keys: dict[str, Any] = {}

    async def update(self, name: str, keys: Any) -> None:
        self.keys[name] = keys

    async def get(self, name: str) -> Any:
        return self.keys.get(name)

    async def delete(self, name: str) -> None:
        del self.keys[name]

    async def get_all(self) -> list[tuple[str, Any]]:
        return list(self.keys.items())
