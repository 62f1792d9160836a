"""`wearlog demo`: the main job end to end, with a virtual wearable."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import click

DEMO_HOST = "127.0.0.1"


@click.command()
@click.option("--days", default=14.0, show_default=True, type=click.FloatRange(1, 90),
              help="Days of wear to simulate.")
@click.option("--seed", default=1, show_default=True, help="Scenario seed.")
@click.option("--dir", "workdir", type=click.Path(file_okay=False),
              help="Where to keep the demo's device flash and database (default: a new "
                   "temporary folder, deleted when the served demo stops).")
@click.option("--serve/--no-serve", default=True, show_default=True,
              help="Serve the dashboard afterwards (until Ctrl-C).")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535),
              help="Dashboard port (checked before anything is recorded).")
@click.option("--app-port", type=click.IntRange(1, 65535),
              help="Port of the wearer's own app, served beside the dashboard "
                   "(default: the dashboard's port + 1).")
@click.option("--browser/--no-browser", default=True, show_default=True,
              help="Open the dashboard and the wearer's app in the default browser, if "
                   "there is one.")
def demo(days: float, seed: int, workdir: str | None, serve: bool, port: int,
         app_port: int | None, browser: bool) -> None:
    """Record, pair, sync, analyse and show a virtual wearer's data.

    Example: wearlog demo --days 14 --no-serve
    """
    from rich.console import Console

    from wearlog.demo import print_next_steps, run_demo, serve_demo
    from wearlog.web.listen import PortInUseError, claim_port

    con = Console(highlight=False)  # no colouring of every number and path
    # Claim the port first: a busy port is found in a second, not after the recording,
    # and no other server can take it meanwhile.
    app_port = app_port or (port + 1 if port < 65535 else port - 1)
    try:
        sock = claim_port(DEMO_HOST, port) if serve else None
    except PortInUseError as e:
        raise click.ClickException(str(e)) from None
    try:
        app_sock = claim_port(DEMO_HOST, app_port) if serve else None
    except PortInUseError as e:
        if sock is not None:
            sock.close()
        raise click.ClickException(str(e).replace("--port", "--app-port")) from None
    temporary = workdir is None
    folder = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix="wearlog-demo-"))
    finished = False
    try:
        result = run_demo(days=days, seed=seed, workdir=folder, console=con)
        if sock is None:
            print_next_steps(result, con)
        else:
            serve_demo(result, sock, open_browser=browser, removed_on_exit=temporary,
                       console=con, app_sock=app_sock)
            con.print("\nThe dashboard has stopped.")
        finished = True
    except KeyboardInterrupt:
        con.print("\nStopped.")
    finally:
        for s in (sock, app_sock):
            if s is not None:
                s.close()
        # A temporary folder goes once the served demo stops, or when the demo did not
        # finish (its data is incomplete); after --no-serve it stays for the next steps.
        if temporary and (serve or not finished):
            shutil.rmtree(folder, ignore_errors=True)
            con.print(f"Deleted the demo's temporary folder {folder}.", soft_wrap=True)
    if not finished:
        raise SystemExit(130)
