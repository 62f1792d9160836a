"""The radio duty cycle on CPython (the same module runs in the MicroPython VM), and the
peripheral following it on the host port's bumble-backed radio."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.firmware import mp_test_radio_window as m
from wearlog.testing.samples import Wearer
from wearlog.virtual.air import Air
from wearlog.virtual.ble_wearable import BleWearable
from wearlog.virtual.hostport import build_device


@pytest.mark.parametrize("name", sorted(n for n in dir(m) if n.startswith("test_")))
def test_radio_window_on_cpython(name: str) -> None:
    getattr(m, name)()


def test_peripheral_advertises_only_in_windows(tmp_path: Path) -> None:
    from wlfw.radio_window import RadioWindow

    app, _board, clock = build_device(Wearer(days=0.2, seed=2), tmp_path / "log")
    switches: list[bool] = []

    async def go() -> None:
        w = BleWearable(app, tmp_path / "radio", Air(), window=RadioWindow(
            period_ms=3_600_000, window_ms=60_000, after_press_ms=60_000))
        p = w.periph
        p.on_radio = switches.append
        await w.ble.ready
        p.advertise()
        assert p.advertising  # open at boot
        app.run_for(90_000)
        p.service()
        assert not p.advertising  # window over: the board may light-sleep
        app.button_events += 1
        p.service()
        assert p.advertising  # a press opens a window
        app.run_for(3_605_000 - app.dclock.uptime_ms)
        p.service()
        assert p.advertising  # the hourly window
        app.run_for(120_000)
        p.service()
        assert not p.advertising
        await w.stop()

    asyncio.run(go())
    assert switches == [True, False, True, False]
