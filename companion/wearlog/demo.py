"""The whole system in one run, with no hardware.

1. The unchanged firmware records N simulated days of a virtual wearer (fragmented sleep,
   a few low-activity days, symptom button presses) on the host port.
2. It advertises over a virtual radio (bumble); the companion pairs and syncs it through
   bleak's API into a fresh SQLite file.
3. The analysis computes nights, days and rhythm; the education rules link topics.
4. Optionally, the dashboard serves it with a demo clinician whose one-time password is
   printed.
"""

from __future__ import annotations

import asyncio
import secrets
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console

from wearlog.analysis import analyse_patient
from wearlog.ble.ops import Bluetooth
from wearlog.ble.radio import CentralRadio
from wearlog.education import DISCLAIMER, evaluate, linked_topics, record_links
from wearlog.store import Store
from wearlog.virtual.air import Air
from wearlog.virtual.ble_wearable import BleWearable
from wearlog.virtual.hostport import run_wearer

PATIENT = "P-DEMO-01"
CLINICIAN = "demo-clinician"


@dataclass
class DemoResult:
    workdir: Path
    db_path: Path
    patient_id: str
    device_id: int
    records_synced: int
    nights: list[dict[str, Any]] = field(default_factory=list)
    days: list[dict[str, Any]] = field(default_factory=list)
    topics: list[tuple[str, str, list[str]]] = field(default_factory=list)  # id, title, why
    timings: dict[str, float] = field(default_factory=dict)


def _last_noon(now: float) -> int:
    noon = int(now) // 86400 * 86400 + 12 * 3600
    return noon if noon <= now else noon - 86400


async def _pair_and_sync(app: Any, workdir: Path, store: Store,
                         console: Console) -> tuple[int, int]:
    air = Air()
    wearable = BleWearable(app, workdir / "device-radio", air)
    await wearable.start()
    radio = CentralRadio(link=air.link, keystore_path=workdir / "bonds.json")
    bt = Bluetooth(radio)
    try:
        found = await bt.find(None, timeout=5.0)
        console.print(f"  found {found.name} (battery {found.battery_pct} %, "
                      f"{found.unsynced} records waiting)")
        device_id = await bt.pair(store, found, PATIENT)
        console.print(f"  paired {device_id:#06x} with patient {PATIENT}")
        res = await bt.sync(store, device_id)
        console.print(f"  synced {res.received} records ({res.bytes_in / 1000:.0f} kB) in "
                      f"{res.seconds:.1f} s; the device may now drop them when it needs space")
        return device_id, res.received
    finally:
        await wearable.stop()
        await radio.close()


def run_demo(days: float = 14, seed: int = 1, workdir: Path | None = None,
             console: Console | None = None) -> DemoResult:
    con = console or Console()
    workdir = workdir or Path(tempfile.mkdtemp(prefix="wearlog-demo-"))
    workdir.mkdir(parents=True, exist_ok=True)
    db_path = workdir / "wearlog.db"
    timings: dict[str, float] = {}
    low_days = {d for d in (3, 4, 10) if d < days}
    start = _last_noon(time.time()) - int(days * 86400)

    con.print(f"[bold]1/4[/] Recording {days:g} days of a virtual wearer on the firmware "
              "(simulated clock)…")
    t = time.perf_counter()
    run = run_wearer(days=days, seed=seed, log_dir=workdir / "device-flash", start_utc=start,
                     fragmented_sleep=True, low_activity_days=low_days)
    timings["record_s"] = time.perf_counter() - t
    con.print(f"  {run.app.log.next_seq} records on the device's flash in "
              f"{timings['record_s']:.0f} s")

    con.print("[bold]2/4[/] Pairing and syncing over the virtual BLE link…")
    store = Store(db_path)
    try:
        t = time.perf_counter()
        device_id, synced = asyncio.run(_pair_and_sync(run.app, workdir, store, con))
        timings["sync_s"] = time.perf_counter() - t

        con.print("[bold]3/4[/] Analysing sleep, activity and rhythm…")
        t = time.perf_counter()
        summary = analyse_patient(store, PATIENT)
        timings["analyse_s"] = time.perf_counter() - t

        con.print("[bold]4/4[/] Linking findings to the educational topics…")
        findings = evaluate(summary.nights, summary.days, summary.rhythm, audience="wearer")
        record_links(store.db, PATIENT, findings)
        topics = [(lt.topic.id, lt.topic.title, [f.text for f in lt.findings])
                  for lt in linked_topics(findings)]
    finally:
        store.close()
    result = DemoResult(workdir, db_path, PATIENT, device_id, synced, summary.nights,
                        summary.days, topics, timings)
    print_summary(result, con)
    return result


def print_summary(r: DemoResult, con: Console) -> None:
    valid_n = [n for n in r.nights if n.get("valid") and n.get("tst_min") is not None]
    valid_d = [d for d in r.days if d.get("valid")]
    con.rule("Summary")
    con.print(f"Patient {r.patient_id}, device {r.device_id:#06x}: {len(valid_n)} nights and "
              f"{len(valid_d)} valid days of {len(r.days)} in the record.")
    if valid_n:
        con.print(f"  sleep: median {statistics.median(n['tst_min'] for n in valid_n) / 60:.1f} h "
                  f"asleep, efficiency {statistics.median(n['se_pct'] for n in valid_n):.0f} %, "
                  f"awake after sleep onset {statistics.median(n['waso_min'] for n in valid_n):.0f}"
                  " min (medians)")
    if valid_d:
        con.print(f"  activity: median {statistics.median(d['steps'] for d in valid_d):.0f} "
                  f"steps/day, {statistics.median(d['mvpa_min'] for d in valid_d):.0f} min "
                  "moderate-to-vigorous")
    symptoms = sum(d.get("symptom_events") or 0 for d in r.days)
    con.print(f"  symptom button presses logged: {symptoms}")
    if r.topics:
        con.print("Educational topics linked to these findings:")
        for tid, title, why in r.topics:
            con.print(f"  • [bold]{title}[/] ({tid})")
            for w in why:
                con.print(f"      because: {w}")
    else:
        con.print("No educational topic was linked: no rule found a pattern to point at.")
    con.print(f"[dim]{DISCLAIMER}[/dim]")
    con.print(f"Database: {r.db_path}")


def serve_demo(r: DemoResult, host: str = "127.0.0.1", port: int = 8000,
               console: Console | None = None) -> None:
    """Create a demo clinician with a one-time password and serve until Ctrl-C."""
    import uvicorn

    from wearlog.accounts import Users
    from wearlog.accounts.db import connect
    from wearlog.web import create_app
    from wearlog.web.app import UVICORN_OPTIONS

    con = console or Console()
    password = secrets.token_urlsafe(12)
    conn = connect(str(r.db_path))
    try:
        users = Users(conn)
        users.add(CLINICIAN, "clinician", password, must_change=True)
        users.assign(CLINICIAN, r.patient_id)
    finally:
        conn.close()
    app = create_app(r.db_path)
    con.rule("Dashboard")
    con.print(f"Open [bold]http://{host}:{port}/[/] and sign in as [bold]{CLINICIAN}[/] with the "
              f"one-time password [bold]{password}[/] (valid for this demo's database only). "
              "At that first sign-in you choose your own password; the one-time one then "
              "stops working.")
    con.print("Ctrl-C stops the server.")
    uvicorn.run(app, host=host, port=port, log_level="warning", **UVICORN_OPTIONS)
