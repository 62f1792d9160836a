"""Device: scan, pair, sync with a live progress bar (server-sent events), unpair.

The same operations as `wearlog scan/pair/sync/unpair` (wearlog.ble.ops). A sync that
loses the device keeps what it received and says when the device listens next.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, available_timezones

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, StreamingResponse

from wearlog.app.deps import Csrf, Db, Settings, Wearer
from wearlog.app.main import WearerSettings, page
from wearlog.ble.errors import BleError, NotPairedError, UnsyncedRecordsError
from wearlog.ble.ops import bluetooth, find_and_pair
from wearlog.ble.pairing import paired_devices
from wearlog.store import Store, StoreError
from wearlog.store.patients import check_patient_id, check_timezone
from wlfw.radio_window import RadioWindow

router = APIRouter(include_in_schema=False)
_WINDOW = RadioWindow()
PERIOD_S = _WINDOW.period_ms // 1000
WINDOW_MIN = _WINDOW.window_ms // 60000


@dataclass
class SyncJob:
    """One sync running in the app's event loop; the events stream reads it."""

    device_id: int
    received: int = 0
    total: int = 0
    state: str = "running"  # running | done | failed
    message: str = ""
    started: float = field(default_factory=time.time)

    def view(self) -> dict[str, Any]:
        pct = 100 if self.state == "done" else (
            int(100 * self.received / self.total) if self.total else 0)
        return {"received": self.received, "total": self.total, "percent": min(pct, 100),
                "state": self.state, "message": self.message}


def _jobs(request: Request) -> dict[str, SyncJob]:
    if not hasattr(request.app.state, "jobs"):
        request.app.state.jobs = {}
    return request.app.state.jobs  # type: ignore[no-any-return]


def laptop_tz() -> str:
    """This computer's IANA zone (preselected when pairing), UTC if it cannot tell."""
    names = available_timezones()
    tz = os.environ.get("TZ", "").lstrip(":")
    if tz in names:
        return tz
    try:
        target = str(Path("/etc/localtime").resolve())
    except OSError:
        return "UTC"
    name = target.split("zoneinfo/", 1)[-1]
    return name if name in names else "UTC"


def next_window(last_contact_utc: int | None, now: float) -> int | None:
    """When the device's radio next opens, from the last time it was reached: it opens
    every PERIOD_S of its uptime, so a contact dates the windows (to a few minutes)."""
    if last_contact_utc is None:
        return None
    k = max(1, -(-int(now - last_contact_utc) // PERIOD_S))
    return last_contact_utc + k * PERIOD_S


def _retry_hint(store: Store, device_id: int, tz: ZoneInfo) -> str:
    nxt = next_window(store.last_contact_utc(device_id), time.time())
    when = ("" if nxt is None else " Try again at about "
            + dt.datetime.fromtimestamp(nxt, tz).strftime("%H:%M") + " (its next radio window)")
    return (f"Everything received so far is kept. The device listens for {WINDOW_MIN} minutes "
            f"every {PERIOD_S // 3600} hours, and for {WINDOW_MIN} minutes after you log a "
            f"symptom or bed/up.{when}, or right after your next button entry.")


def _page(request: Request, store: Store, pid: str | None, **extra: Any) -> HTMLResponse:
    devices = [{"id": d, "hex": f"{d:#06x}", "address": a,
                "patient": store.open_assignment(d)["patient_id"]}
               for d, a, _t in paired_devices(store)]
    ctx: dict[str, Any] = {"page": "device", "devices": devices, "pid": pid or "",
                           "tz": laptop_tz(), "zones": sorted(available_timezones()),
                           "found": None, "result": None, "job": None}
    ctx.update(extra)
    return page(request, "device.html", ctx)


@router.get("/device", response_class=HTMLResponse)
def device(request: Request, store: Db, pid: Wearer, job: str = "") -> HTMLResponse:
    j = _jobs(request).get(job)
    return _page(request, store, pid, job={"id": job, **j.view(), "hex": f"{j.device_id:#06x}"}
                 if j else None)


@router.post("/device/scan", response_class=HTMLResponse, dependencies=[Csrf])
async def scan(request: Request, store: Db, pid: Wearer, settings: Settings) -> HTMLResponse:
    try:
        async with bluetooth(settings.virtual) as bt:
            found = await bt.scan(4.0)
    except BleError as e:
        return _page(request, store, pid, result={"ok": False, "lines": [str(e)]})
    return _page(request, store, pid, found=[
        {"name": f.name, "address": f.address, "battery": f.battery_pct,
         "unsynced": f.unsynced} for f in found])


@router.post("/device/pair", response_class=HTMLResponse, dependencies=[Csrf])
async def pair(request: Request, store: Db, pid: Wearer, settings: Settings,
               patient_id: Annotated[str, Form()], tz: Annotated[str, Form()],
               address: Annotated[str, Form()] = "",
               discard: Annotated[bool, Form()] = False) -> HTMLResponse:
    lines: list[str] = []
    try:
        patient_id = check_patient_id(patient_id.strip())
        tz = check_timezone(tz)
        async with bluetooth(settings.virtual) as bt:
            dev = await find_and_pair(bt, store, address or None, patient_id, tz,
                                      discard_unsynced=discard, say=lines.append)
    except UnsyncedRecordsError as e:
        return _page(request, store, pid, result={"ok": False, "lines": [
            *lines, f"This device still holds {e.waiting} records of its previous wearer that "
            "no computer has stored. Ask them or your clinic to sync it first. If you pair "
            "anyway, those records are skipped: none of them is filed under you."],
            "confirm": {"action": "/device/pair", "label": f"Pair anyway, skipping "
                        f"{e.waiting} records", "fields": {"patient_id": patient_id, "tz": tz,
                                                           "address": address}}})
    except (BleError, StoreError) as e:
        return _page(request, store, pid, result={"ok": False, "lines": [*lines, str(e)]})
    lines.append(f"Paired {dev:#06x} with {patient_id}. Next: sync it.")
    return _page(request, store, patient_id, result={"ok": True, "lines": lines})


@router.post("/device/sync", dependencies=[Csrf])
async def sync(request: Request, settings: Settings, device: Annotated[int, Form()]
               ) -> RedirectResponse:
    """Start the sync in the app's loop and show its progress page at once."""
    job_id = secrets.token_urlsafe(9)
    job = SyncJob(device)
    _jobs(request)[job_id] = job
    task = asyncio.create_task(_run_sync(settings, job))
    request.app.state.tasks = getattr(request.app.state, "tasks", set()) | {task}
    task.add_done_callback(request.app.state.tasks.discard)
    return RedirectResponse(f"/device?job={job_id}", status_code=303)


async def _run_sync(settings: WearerSettings, job: SyncJob) -> None:
    def progress(received: int, total: int, nbytes: int) -> None:
        job.received, job.total = received, max(total, received)

    with Store.session(settings.db_path) as store:
        tz = ZoneInfo(store.patient(store.open_assignment(job.device_id)["patient_id"])["tz"])
        try:
            async with bluetooth(settings.virtual) as bt:
                res = await bt.sync(store, job.device_id, progress=progress)
        except BleError as e:
            # "try again later" only where waiting can help (out of range, busy, a drop);
            # a missing pairing or another protocol needs the wearer to act first
            hint = f" {_retry_hint(store, job.device_id, tz)}" if e.retry_later else ""
            msg = (f"Device {job.device_id:#06x} is not paired with this computer: pair it "
                   "under \"Pair a device\" on this page first" if isinstance(e, NotPairedError)
                   else str(e))
            job.state, job.message = "failed", f"{msg}.{hint}"
            return
        except StoreError as e:
            job.state, job.message = "failed", str(e)
            return
    job.state = "done"
    job.message = (f"Done: {res.received} records received, {res.new_records} new."
                   + "".join(f" {n}" for n in res.notes))


@router.get("/device/sync/{job_id}/events")
async def events(request: Request, job_id: str) -> StreamingResponse:
    """Server-sent events: the job's progress until it ends (then one last event)."""
    job = _jobs(request).get(job_id)
    if job is None:
        raise HTTPException(404, "No such sync: start one on the Device page.")

    async def stream() -> AsyncIterator[str]:
        while True:
            yield f"data: {json.dumps(job.view())}\n\n"
            if job.state != "running" or await request.is_disconnected():
                return
            await asyncio.sleep(0.25)

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store"})


@router.post("/device/unpair", response_class=HTMLResponse, dependencies=[Csrf])
async def unpair(request: Request, store: Db, pid: Wearer, settings: Settings,
                 device: Annotated[int, Form()],
                 discard: Annotated[bool, Form()] = False) -> HTMLResponse:
    try:
        async with bluetooth(settings.virtual) as bt:
            await bt.unpair(store, device, discard_unsynced=discard)
    except UnsyncedRecordsError as e:
        return _page(request, store, pid, result={"ok": False, "lines": [
            f"Device {device:#06x} still holds {e.waiting} records not synced yet. Sync it "
            "first (the Sync button below) to keep them. If you unpair now, this computer "
            "does not fetch them."],
            "confirm": {"action": "/device/unpair", "fields": {"device": device},
                        "label": f"Unpair anyway, leaving {e.waiting} records unsynced"}})
    except (BleError, StoreError) as e:
        return _page(request, store, pid, result={"ok": False, "lines": [str(e)]})
    return _page(request, store, pid, result={"ok": True, "lines": [
        f"Unpaired {device:#06x}; its records stay on this computer."]})
