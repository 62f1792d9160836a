"""`wearlog scan`, `pair`, `sync`, `unpair` and `device virtual`: the wearer's Bluetooth side."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import tempfile
import time
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from wearlog.ble.errors import BleError
from wearlog.ble.ops import bluetooth, find_and_pair
from wearlog.ble.pairing import load_pairing, paired_devices
from wearlog.commands.options import (
    NEW_PATIENT_ID,
    TIME_ZONE,
    db_option,
    open_store,
    virtual_option,
)
from wearlog.store import StoreError

T = TypeVar("T")
console = Console()


def _run(coro: Coroutine[Any, Any, T]) -> T:
    """Run, turning our errors into one clear line and a non-zero exit."""
    try:
        return asyncio.run(coro)
    except (BleError, StoreError) as e:
        raise click.ClickException(str(e)) from e


def _device_id(text: str) -> int:
    try:
        return int(text, 0)
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a device id (e.g. 0x3F2A)") from None


@click.command()
@virtual_option
@click.option("--timeout", default=5.0, show_default=True, help="Seconds to listen.")
def scan(virtual: str | None, timeout: float) -> None:
    """List Wearlog devices in range, with battery and records not yet synced.

    Example: wearlog scan --virtual 127.0.0.1:9100
    """
    async def go() -> None:
        async with bluetooth(virtual) as bt:
            found = await bt.scan(timeout)
        if not found:
            raise click.ClickException(
                "no Wearlog device found: is it charged and near? Press its button to wake "
                "the radio, then scan again")
        t = Table("name", "address", "battery", "unsynced records", "signal")
        for f in found:
            t.add_row(f.name, f.address, "?" if f.battery_pct is None else f"{f.battery_pct} %",
                      "?" if f.unsynced is None else str(f.unsynced),
                      "?" if f.rssi is None else f"{f.rssi} dBm")
        console.print(t)

    _run(go())


@click.command()
@click.argument("address", required=False)
@click.option("--patient", "patient_id", required=True, type=NEW_PATIENT_ID,
              help="Pseudonymous patient ID to assign the device to (no names).")
@click.option("--tz", default="UTC", show_default=True, type=TIME_ZONE,
              help="The patient's IANA time zone.")
@click.option("--discard-unsynced", is_flag=True,
              help="Drop records of the previous wearer that were never synced.")
@db_option
@virtual_option
def pair(address: str | None, patient_id: str, tz: str, discard_unsynced: bool,
         db_path: str | None, virtual: str | None) -> None:
    """Pair a device in pairing mode with this computer and assign it to a patient.

    A new device is in pairing mode until its first pairing. A device lent on to
    another patient is theirs from now on; its earlier records stay with the
    earlier patient. Example: wearlog pair --patient P-0042 --tz Europe/Berlin
    """
    store = open_store(db_path)

    async def go() -> int:
        async with bluetooth(virtual) as bt:
            return await find_and_pair(bt, store, address, patient_id, tz,
                                       discard_unsynced=discard_unsynced, say=console.print)

    dev = _run(go())
    console.print(f"Paired {dev:#06x} with patient {patient_id}. Next: [bold]wearlog sync[/]")


@click.command()
@click.argument("device", required=False)
@click.option("--all", "sync_all", is_flag=True, help="Sync every paired device in range.")
@click.option("--upload", metavar="URL", help="Then push new records to a dashboard server.")
@click.option("--token", envvar="WEARLOG_UPLOAD_TOKEN", help="Device upload token (--upload).")
@db_option
@virtual_option
def sync(device: str | None, sync_all: bool, upload: str | None, token: str | None,
         db_path: str | None, virtual: str | None) -> None:
    """Copy new records from a paired device into the database.

    Interrupted transfers resume where they stopped; nothing is stored twice.
    Example: wearlog sync 0x3F2A
    """
    store = open_store(db_path)
    paired = [d for d, _a, _t in paired_devices(store)]
    if device:
        targets = [_device_id(device)]
    elif sync_all or len(paired) == 1:
        targets = paired
    else:
        raise click.UsageError(
            "no device paired yet: run `wearlog pair`" if not paired else
            "several devices are paired: name one (DEVICE) or use --all")
    for dev in targets:
        try:
            load_pairing(store, dev)
        except BleError as e:
            raise click.ClickException(str(e)) from e

    async def go() -> None:
        async with bluetooth(virtual) as bt:
            for dev in targets:
                with Progress(TextColumn(f"{dev:#06x}"), BarColumn(), MofNCompleteColumn(),
                              TransferSpeedColumn(), TimeRemainingColumn(),
                              console=console, transient=True) as bar:
                    task = bar.add_task("sync", total=None)

                    def progress(received: int, total: int, nbytes: int,
                                 bar: Progress = bar, task: Any = task) -> None:
                        bar.update(task, completed=received, total=max(total, received))

                    t0 = time.perf_counter()
                    res = await bt.sync(store, dev, progress=progress)
                kbps = res.bytes_in / 1000 / max(time.perf_counter() - t0, 1e-6)
                console.print(f"{dev:#06x}: {res.received} records received, "
                              f"{res.new_records} new, {kbps:.1f} kB/s")
                for note in res.notes:
                    console.print(f"  note: {note}")
                if res.corrupt:
                    console.print(f"  {res.corrupt} damaged frames were asked for again")
                if upload:
                    _upload(store, dev, upload, token)

    _run(go())


def _upload(store: Any, dev: int, url: str, token: str | None) -> None:
    """Push what this server has not had yet (export.upload.push_new, as the app does)."""
    from wearlog.export.errors import UploadError
    from wearlog.export.upload import push_new

    if not token:
        raise click.UsageError("--upload needs --token (or WEARLOG_UPLOAD_TOKEN)")
    try:
        r = push_new(store, dev, url, token)
    except UploadError as e:
        raise click.ClickException(
            f"upload failed ({e}); the records stay here and the next --upload sends them") from e
    if r is None:
        console.print("  upload: nothing new")
        return
    console.print(f"  uploaded {r.sent} records to {url} ({r.new} new there)"
                  + (f" and {r.wearer_entries} diary entries/corrections"
                     if r.wearer_entries else ""))


@click.command()
@click.argument("device")
@click.option("--discard-unsynced", is_flag=True,
              help="Unpair even though the device holds records not synced yet (drops them).")
@db_option
@virtual_option
def unpair(device: str, discard_unsynced: bool, db_path: str | None,
           virtual: str | None) -> None:
    """Forget a device here and on the device itself, so it can pair elsewhere.

    Refused while the device holds records not synced yet. Example: wearlog unpair 0x3F2A
    """
    store = open_store(db_path)
    dev = _device_id(device)

    async def go() -> None:
        async with bluetooth(virtual) as bt:
            await bt.unpair(store, dev, discard_unsynced=discard_unsynced)

    _run(go())
    console.print(f"Unpaired {dev:#06x}; its records stay in the database.")


@click.group()
def device() -> None:
    """Devices without hardware: a virtual wearable for trying Wearlog out."""


def virtual_start(now: float, days: float) -> int:
    """When the virtual wearer's recording begins: the simulated person's days start at
    noon (wearlog.testing.samples.Wearer), so begin at the last 12:00 UTC that leaves
    `days` of recording before `now`; the person then sleeps at night whatever the hour
    the command runs (the command records from there up to now: up to a day more)."""
    return (int(now - days * 86400) - 43200) // 86400 * 86400 + 43200


@device.command("virtual")
@click.option("--port", default=9100, show_default=True, help="TCP port for centrals.")
@click.option("--days", default=14.0, show_default=True,
              help="Days of wear to record first (at least; from a noon up to now).")
@click.option("--seed", default=1, show_default=True, help="Scenario seed.")
@click.option("--state", type=click.Path(file_okay=False), help="Device flash directory.")
def virtual(port: int, days: float, seed: int, state: str | None) -> None:
    """Record DAYS of a virtual wearer on the real firmware, then advertise over a
    virtual radio that `wearlog scan/pair/sync --virtual 127.0.0.1:PORT` reach.

    Runs until Ctrl-C. Example: wearlog device virtual --days 3
    """
    from wearlog.virtual.air import Air
    from wearlog.virtual.ble_wearable import BleWearable
    from wearlog.virtual.hostport import run_wearer

    state_dir = Path(state) if state else Path(tempfile.mkdtemp(prefix="wearlog-virtual-"))
    now = time.time()
    start = virtual_start(now, days)
    days = (now - start) / 86400  # from that noon up to now
    console.print(f"Recording {days:.2f} simulated days on the firmware (host port), from "
                  "the last noon that gives at least --days, so the wearer sleeps at night…")
    run = run_wearer(days=days, seed=seed, log_dir=state_dir / "log", start_utc=start)
    console.print(f"  {run.app.log.next_seq} records in {run.wall_s:.1f} s -> {state_dir}")

    async def go() -> None:
        air = Air()
        bound = await air.serve_tcp("127.0.0.1", port)
        w = BleWearable(run.app, state_dir / "radio", air)
        await w.start()
        console.print(f"Advertising as WL-{run.app.device_id & 0xFFFF:04X}; centrals: "
                      f"[bold]--virtual 127.0.0.1:{bound}[/]. Ctrl-C stops.")
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        await w.stop()
        await air.close()

    asyncio.run(go())
    console.print("Stopped.")
