"""`wearlog app`: the wearer's own app in the browser, on this computer only."""

from __future__ import annotations

from pathlib import Path

import click

from wearlog.commands.options import db_option, virtual_option

APP_HOST = "127.0.0.1"


@click.command()
@db_option
@click.option("--patient", "patient_id", help="Whose data to show, when the database holds "
                                               "several wearers (default: its only one).")
@click.option("--port", default=8700, show_default=True, type=click.IntRange(0, 65535),
              help="Port on 127.0.0.1 (0: any free one).")
@click.option("--browser/--no-browser", default=True, show_default=True,
              help="Open the app in the default browser.")
@virtual_option
def app(db_path: str | None, patient_id: str | None, port: int, browser: bool,
        virtual: str | None) -> None:
    """Your nights and days, diary, device and sharing, in your browser; no account.

    Listens on 127.0.0.1 only; the printed address holds a key for this launch (keep it
    to yourself). Ctrl-C stops it. Example: wearlog app --no-browser
    """
    from rich.console import Console

    from wearlog.app import WearerSettings, create_wearer_app
    from wearlog.demo import open_in_browser
    from wearlog.store import StoreError, resolve_db_path
    from wearlog.web.listen import PortInUseError, claim_port, serve_on

    con = Console(highlight=False)
    path = resolve_db_path(db_path)
    if not isinstance(path, Path):  # a server database URL: the app is for this laptop's file
        raise click.ClickException("wearlog app reads this computer's database file: give "
                                   "--db PATH (a file), not a server URL")
    settings = WearerSettings(path, patient_id=patient_id, virtual=virtual)
    try:
        application = create_wearer_app(settings)
        sock = claim_port(APP_HOST, port)
    except (StoreError, PortInUseError) as e:
        raise click.ClickException(str(e)) from e
    url = settings.key.first_url(f"http://{APP_HOST}:{sock.getsockname()[1]}")
    con.print(f"Your Wearlog app: [bold]{url}[/]\n(this address holds this launch's key: "
              "do not share it). Ctrl-C stops the app.", soft_wrap=True)
    try:
        serve_on(application, sock,
                 on_started=(lambda: open_in_browser(url, con)) if browser else None)
    finally:
        sock.close()
    con.print("The app has stopped.")
