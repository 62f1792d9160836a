"""Share: upload to the clinic (URL + token, as `wearlog sync --upload`), and export
everything as a zip of CSVs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from wearlog.app.deps import Csrf, Db, PatientId
from wearlog.app.main import page
from wearlog.export.csv_zip import csv_zip
from wearlog.export.errors import UploadError
from wearlog.export.upload import push_new
from wearlog.web.downloads import attachment

router = APIRouter(include_in_schema=False)


@router.get("/share", response_class=HTMLResponse)
def share(request: Request, pid: PatientId) -> HTMLResponse:
    return page(request, "share.html", {"page": "share", "pid": pid, "result": None,
                                        "url": ""})


@router.post("/share/upload", response_class=HTMLResponse, dependencies=[Csrf])
async def upload(request: Request, store: Db, pid: PatientId, url: Annotated[str, Form()],
                 token: Annotated[str, Form()]) -> HTMLResponse:
    """The same push as the CLI, device by device; a failure says what to do and keeps
    everything here for the next try."""
    url, token = url.strip(), token.strip()
    lines: list[str] = []
    ok = True
    if not url.startswith(("http://", "https://")):
        ok, lines = False, ["The clinic's address starts with https:// (your clinic gives it "
                            "to you, with the token)."]
    devices = store.devices_of(pid) if ok else []
    if ok and not devices:
        ok, lines = False, ["No device paired yet: pair and sync it first (Device page)."]
    for dev in devices:
        try:
            r = await run_in_threadpool(push_new, store, dev, url, token)
        except UploadError as e:
            ok = False
            lines.append(f"Upload failed: {e}. Everything stays on this computer; try again "
                         "later.")
            break
        lines.append("Nothing new to send." if r is None else
                     f"Sent {r.sent} records ({r.new} new at the clinic) and "
                     f"{r.wearer_entries} diary entries and night corrections.")
    return page(request, "share.html", {"page": "share", "pid": pid, "url": url,
                                        "result": {"ok": ok, "lines": lines}},
                status=200 if ok else 502)


@router.get("/share/export.zip")
def export_zip(store: Db, pid: PatientId) -> Response:
    body, _counts = csv_zip(store, pid)
    return Response(body, media_type="application/zip",
                    headers={"Content-Disposition": attachment(f"wearlog-{pid}.zip")})
