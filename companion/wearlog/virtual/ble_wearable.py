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
                 address: str = "C0:57:1C:00:00:01", adv_interval_ms: int = 50,
                 window: Any = None) -> None:
        """window: a wlfw.radio_window.RadioWindow as main.py gives a board, or None
        (the default) to advertise all the time: a virtual device is synced after its
        recording, while its simulated clock stands still, so a schedule would keep it
        silent."""
        install_paths()
        import bluetooth  # the host port's, on bumble

        from wlfw.device import assemble_radio
        from wlfw.fsio import OsFs

        state_dir.mkdir(parents=True, exist_ok=True)
        self.app = app
        self.air = air
        self.radio = bluetooth.Radio(air.link, address)
        bluetooth.attach(self.radio)
        self.ble = bluetooth.BLE()
        self.periph = assemble_radio(app, self.ble, str(state_dir), OsFs(), os.urandom,
                                     window=window, secure=secure,
                                     adv_interval_us=adv_interval_ms * 1000)
        self.server = self.periph.server
        self.secrets = self.server.secrets
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
