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
import os
import secrets
import shutil
import socket
import sys
import tempfile
import time
import webbrowser
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from wearlog.ble.ops import Bluetooth
from wearlog.ble.radio import CentralRadio
from wearlog.education import DISCLAIMER
from wearlog.pipeline import refresh
from wearlog.pipeline.figures import means, summary_dict, wearer_topics
from wearlog.pipeline.refresh import stored
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


def _bar(con: Console, counter: str) -> Progress:
    """A progress line that stays on screen when done; `counter` formats the count."""
    return Progress(TextColumn("  {task.description}"), BarColumn(bar_width=30),
                    TextColumn(counter), TimeElapsedColumn(), console=con)


def _spinner(con: Console) -> Progress:
    return Progress(TextColumn("  {task.description}"), SpinnerColumn(finished_text="done"),
                    TimeElapsedColumn(), console=con)


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
        with _bar(console, "{task.completed:.0f}/{task.total:.0f} records") as bar:
            task = bar.add_task("syncing", total=found.unsynced or None)

            def shown(received: int, total: int, _bytes: int) -> None:
                bar.update(task, completed=received, total=total)

            res = await bt.sync(store, device_id, progress=shown)
            bar.update(task, completed=res.received, total=res.received)
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
    con.print("[bold]Wearlog demo[/]: the unchanged firmware on a virtual wearer, a virtual "
              "Bluetooth link, no hardware.")
    con.print(f"Working folder: {workdir}")
    db_path = workdir / "wearlog.db"
    timings: dict[str, float] = {}
    low_days = {d for d in (3, 4, 10) if d < days}
    start = _last_noon(time.time()) - int(days * 86400)

    con.print(f"[bold]1/4[/] Recording {days:g} day{'' if days == 1 else 's'} of a virtual "
              "wearer on the firmware (simulated clock)")
    t = time.perf_counter()
    with _bar(con, "day {task.fields[day]}/{task.total:g}") as bar:
        task = bar.add_task("recording", total=days, day=0)

        def shown(sim_s: float) -> None:  # whole simulated days done, as the bar shows
            bar.update(task, completed=min(days, sim_s / 86400), day=int(sim_s // 86400))

        run = run_wearer(days=days, seed=seed, log_dir=workdir / "device-flash",
                         start_utc=start, fragmented_sleep=True, low_activity_days=low_days,
                         progress=shown)
    timings["record_s"] = time.perf_counter() - t
    con.print(f"  {run.app.log.next_seq} records on the device's flash in "
              f"{timings['record_s']:.0f} s")

    con.print("[bold]2/4[/] Pairing and syncing over the virtual BLE link")
    store = Store(db_path)
    try:
        t = time.perf_counter()
        device_id, synced = asyncio.run(_pair_and_sync(run.app, workdir, store, con))
        timings["sync_s"] = time.perf_counter() - t

        con.print("[bold]3/4[/] Sleep, activity and rhythm (the sync's refresh step analysed "
                  "them)")
        t = time.perf_counter()
        with _spinner(con) as spin:
            task = spin.add_task("nights, days and rhythm", total=1)
            refresh(store, PATIENT)  # nothing is left queued after a good sync: a no-op then
            summary = stored(store, PATIENT)
            spin.update(task, completed=1)
        timings["analyse_s"] = time.perf_counter() - t

        con.print("[bold]4/4[/] Educational topics (the refresh step linked them)")
        # what the wearer's own app shows: the stored 14-day summary's topics in the
        # wearer's wording (read only: the refresh step recorded the links)
        view = wearer_topics(summary_dict(store, PATIENT, 14))
        topics = [(t["topic_id"], t["title"], t["findings"]) for t in view["items"]]
        add_demo_diary(store, PATIENT, seed)
    finally:
        store.close()
    result = DemoResult(workdir, db_path, PATIENT, device_id, synced, summary.nights,
                        summary.days, topics, timings)
    print_summary(result, con)
    return result


DIARY_DAYS = 5


def add_demo_diary(store: Store, patient_id: str, seed: int, days: int = DIARY_DAYS) -> int:
    """A few diary days for the demo wearer (yesterday back), as the app would store
    them; today is left for the person trying the app."""
    import datetime as dt
    import random
    from zoneinfo import ZoneInfo

    rng = random.Random(seed)
    today = dt.datetime.now(ZoneInfo(store.patient(patient_id)["tz"])).date()
    notes = ["stiff in the morning", None, "foggy, poor night", None, "a better day"]
    rows = [{"day": (today - dt.timedelta(days=i)).isoformat(), "pain": rng.randint(3, 8),
             "fatigue": rng.randint(4, 9), "sleep_quality": rng.randint(2, 7),
             "mood": rng.randint(3, 7), "stiffness_min": rng.choice([None, 15, 30, 45]),
             "note": notes[(i - 1) % len(notes)], "updated_utc": int(time.time())}
            for i in range(1, days + 1)]
    return store.save_diary(patient_id, rows)


def print_summary(r: DemoResult, con: Console) -> None:
    valid_n = [n for n in r.nights if n.get("valid") and n.get("tst_min") is not None]
    valid_d = [d for d in r.days if d.get("valid")]
    con.rule("Summary")
    con.print(f"Patient {r.patient_id}, device {r.device_id:#06x}: {len(valid_n)} nights and "
              f"{len(valid_d)} valid days of {len(r.days)} in the record.")
    m = means(r.nights, r.days)  # the convention every view uses (docs/analysis.md)

    def f(key: str, scale: float = 1.0, nd: int = 0) -> str:
        return "–" if m[key] is None else f"{(m[key] or 0.0) / scale:.{nd}f}"

    if valid_n:
        con.print(f"  sleep: {f('tst_min', 60, 1)} h asleep, efficiency {f('se_pct')} %, "
                  f"awake after sleep onset {f('waso_min')} min (means of the valid nights)")
    if valid_d:
        con.print(f"  activity: {f('steps')} steps/day, {f('mvpa_min')} min "
                  "moderate-to-vigorous (means of the valid days)")
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


def program_name() -> str:
    """How the person reaches `wearlog`: the bare name when it is on PATH, else the path used."""
    used = Path(sys.argv[0])
    on_path = shutil.which("wearlog")
    if used.name == "wearlog" and (on_path is None or Path(on_path).resolve() != used.resolve()):
        return str(used)
    return "wearlog"


def print_next_steps(r: DemoResult, con: Console, url: str | None = None,
                     removed_on_exit: bool = False, wearer_url: str | None = None) -> None:
    """What a person would try next: their report, the dashboard, a real board, the docs."""
    wl = program_name()
    con.rule("Next steps")
    if wearer_url:
        con.print(f"  • The wearer's app: [bold]{wearer_url}[/]", soft_wrap=True)
    con.print("  • The wearer's report in the terminal:")
    con.print(f"      {wl} report --db {r.db_path} --patient {r.patient_id}", soft_wrap=True)
    if url:
        con.print(f"  • The clinician dashboard: [bold]{url}[/] (sign-in above)")
    else:
        con.print(f"  • The clinician dashboard: run `{wl} demo` without --no-serve")
    con.print("  • A real board: put the firmware on it (docs/flashing.md), then")
    con.print(f"      {wl} pair --patient P-0042 --tz Europe/Berlin\n      {wl} sync",
              soft_wrap=True)
    con.print("  • More: README.md, docs/ble.md (pairing and sync), docs/analysis.md, "
              "docs/dashboard.md")
    if url is None:
        con.print(f"The demo's files are in {r.workdir}; delete the folder when you are done "
                  f"(rm -r {r.workdir}).", soft_wrap=True)
    elif removed_on_exit:
        con.print(f"Ctrl-C stops the server and deletes the demo's temporary folder "
                  f"{r.workdir} (to keep one, run the demo with --dir FOLDER).", soft_wrap=True)
    else:
        con.print(f"Ctrl-C stops the server; the demo's files stay in {r.workdir}.")


def open_in_browser(url: str, con: Console) -> None:
    """Open url in the default graphical browser if there is one; never fail without one.

    A text-mode browser would take over this terminal, so without a display (and no
    $BROWSER chosen) nothing is opened.
    """
    headless = (sys.platform.startswith(("linux", "freebsd", "openbsd", "netbsd"))
                and not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"))
    opened = False
    if os.environ.get("BROWSER") or not headless:
        try:
            opened = webbrowser.open(url)
        except webbrowser.Error:
            opened = False
    if opened:
        con.print(f"Opened {url} in your browser.")
    else:
        con.print(f"No browser to open here: go to {url} yourself.")


def serve_demo(r: DemoResult, sock: socket.socket, open_browser: bool = True,
               removed_on_exit: bool = False, console: Console | None = None,
               app_sock: socket.socket | None = None) -> None:
    """Create a demo clinician with a one-time password and serve on `sock` until Ctrl-C.

    `sock` is the port claimed before the demo recorded anything, so the URL printed
    is ours (never another server's).
    """
    from wearlog.accounts import Users
    from wearlog.store import Store
    from wearlog.web import create_app
    from wearlog.web.listen import serve_on

    con = console or Console()
    host, port = sock.getsockname()[:2]
    url = f"http://{host}:{port}/"
    password = secrets.token_urlsafe(12)
    with Store(r.db_path) as store:
        users = Users(store.conn)
        users.add(CLINICIAN, "clinician", password, must_change=True)
        users.assign(CLINICIAN, r.patient_id)
    app = create_app(r.db_path)
    con.rule("Dashboard")
    con.print(f"Open [bold]{url}[/] and sign in as [bold]{CLINICIAN}[/]\nwith the "
              f"one-time password [bold]{password}[/] (valid for this demo's database only).\n"
              "At that first sign-in you choose your own password; the one-time one then "
              "stops working.",
              soft_wrap=True)
    wearer_url = None
    stop_wearer = None
    if app_sock is not None:  # the wearer's own app beside the dashboard
        from wearlog.app import WearerSettings, create_wearer_app
        from wearlog.web.listen import serve_in_thread

        settings = WearerSettings(r.db_path, patient_id=r.patient_id)
        wearer_app = create_wearer_app(settings)
        a_host, a_port = app_sock.getsockname()[:2]
        wearer_url = settings.key.first_url(f"http://{a_host}:{a_port}")
        stop_wearer = serve_in_thread(wearer_app, app_sock)
        con.rule("The wearer's own app")
        con.print(f"Open [bold]{wearer_url}[/]\n(the wearer's nights and days, diary with a "
                  f"few days filled in, device and sharing; `wearlog app` shows it for your own "
                  "data).", soft_wrap=True)
    print_next_steps(r, con, url=url, removed_on_exit=removed_on_exit, wearer_url=wearer_url)

    def open_both() -> None:
        open_in_browser(url, con)
        if wearer_url:
            open_in_browser(wearer_url, con)

    try:
        serve_on(app, sock, on_started=open_both if open_browser else None)
    finally:
        if stop_wearer is not None:
            stop_wearer()
