"""`wearlog serve`: run the clinician dashboard."""

from __future__ import annotations

import click

from wearlog.store import resolve_db_path


@click.command()
@click.option("--db", "db_path", type=click.Path(dir_okay=False),
              help="Database file (default: $WEARLOG_DB or the per-user data directory).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Listen address; keep loopback and put an HTTPS proxy in front otherwise.")
@click.option("--port", default=8600, show_default=True, type=int)
@click.option("--trusted-proxy", "trusted_proxies", multiple=True, metavar="ADDRESS",
              help="Address (or network) of your HTTPS reverse proxy; repeatable. Only its "
                   "X-Forwarded-For/-Proto are believed. Default: none.")
def serve(db_path: str | None, host: str, port: int, trusted_proxies: tuple[str, ...]) -> None:
    """Serve the dashboard. Create the first admin before: wearlog user add NAME --role admin.

    The session secret comes from $WEARLOG_SECRET_KEY or is generated once into
    <database>.secret (mode 0600) next to the database.
    """
    import uvicorn

    from wearlog.accounts import Users
    from wearlog.accounts.db import connect
    from wearlog.web import create_app
    from wearlog.web.app import UVICORN_OPTIONS

    path = resolve_db_path(db_path)
    app = create_app(path, trusted_proxies=trusted_proxies)
    conn = connect(str(path))
    try:
        if not Users(conn).list_users():
            click.echo("No accounts yet: create one with `wearlog user add NAME --role admin`.",
                       err=True)
    finally:
        conn.close()
    uvicorn.run(app, host=host, port=port, **UVICORN_OPTIONS)
