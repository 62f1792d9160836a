"""A virtual wearable's radio side: the unchanged firmware BLE driver and sync
engine, on the host port's bumble-backed `bluetooth` module."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

from wearlog.virtual.air import Air
from wearlog.virtual.hostport import install_paths


class BleWearable:
    """Wraps a firmware app (anything with the app interface the sync engine
    reads: log, device_id, epoch_len, device_time(), clock_set, set_time(),
    battery_pct()) with the firmware's BLE peripheral."""

    def __init__(self, app: Any, state_dir: Path, air: Air, secure: bool = True,
                 address: str = "C0:57:1C:00:00:01", adv_interval_ms: int = 50) -> None:
        install_paths()
        import bluetooth  # the host port's, on bumble
        from drivers.ble_peripheral import BlePeripheral

        from wlfw.auth import SecretStore
        from wlfw.fsio import OsFs
        from wlfw.sync_server import SyncServer

        state_dir.mkdir(parents=True, exist_ok=True)
        self.app = app
        self.air = air
        self.radio = bluetooth.Radio(air.link, address)
        bluetooth.attach(self.radio)
        self.ble = bluetooth.BLE()
        self.secrets = SecretStore(str(state_dir), OsFs())
        self.server = SyncServer(app, self.secrets, os.urandom)
        self.periph = BlePeripheral(self.ble, self.server, app,
                                    str(state_dir / "ble_bonds.json"), secure=secure,
                                    adv_interval_us=adv_interval_ms * 1000)
        self.address = address
        self._task: asyncio.Task[None] | None = None

    async def start(self, period_s: float = 0.002) -> None:
        await self.ble.ready
        self.periph.advertise()
        self._task = asyncio.get_running_loop().create_task(self._run(period_s))

    async def _run(self, period_s: float) -> None:
        while True:
            self.periph.service()
            await asyncio.sleep(period_s)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None
        self.periph.stop()
