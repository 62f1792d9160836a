"""`wearlog serve`: run the clinician dashboard."""

from __future__ import annotations

import os

import click

from wearlog.store import ENV_VAR, resolve_db_path


@click.command()
@click.option("--db", "db_path", type=click.Path(dir_okay=False),
              help="Database: a SQLite file, or postgresql://USER@HOST/DB (default: "
                   "$WEARLOG_DB or the per-user data directory).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Listen address; keep loopback and put an HTTPS proxy in front otherwise.")
@click.option("--port", default=8600, show_default=True, type=int)
@click.option("--trusted-proxy", "trusted_proxies", multiple=True, metavar="ADDRESS",
              help="Address (or network) of your HTTPS reverse proxy; repeatable. Only its "
                   "X-Forwarded-For/-Proto are believed. Default: none.")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Server processes. Sign-ins, sign-outs and the login limit live in the "
                   "database, so every process sees the same ones.")
def serve(db_path: str | None, host: str, port: int, trusted_proxies: tuple[str, ...],
          workers: int) -> None:
    """Serve the dashboard. Create the first admin before: wearlog user add NAME --role admin.

    The session secret comes from $WEARLOG_SECRET_KEY or is generated once into
    <database>.secret (mode 0600) next to a SQLite database; a PostgreSQL database needs
    $WEARLOG_SECRET_KEY (the same for every server process).
    """
    import uvicorn

    from wearlog.accounts import Users
    from wearlog.accounts.errors import AccountError
    from wearlog.store import Store, StoreError
    from wearlog.web import create_app
    from wearlog.web.app import ENV_PROXIES, UVICORN_OPTIONS

    path = resolve_db_path(db_path)
    try:  # migrates once, and creates the secret file, before any worker starts
        app = create_app(path, trusted_proxies=trusted_proxies)
        with Store.session(path) as store:
            if not Users(store.conn).list_users():
                click.echo("No accounts yet: create one with "
                           "`wearlog user add NAME --role admin`.", err=True)
    except (StoreError, AccountError) as e:  # a newer or foreign database: one line
        raise click.ClickException(str(e)) from e
    if workers == 1:
        uvicorn.run(app, host=host, port=port, **UVICORN_OPTIONS)
        return
    # each worker process builds its own app (and connection pool) from the environment
    os.environ[ENV_VAR] = str(path)
    os.environ[ENV_PROXIES] = ",".join(trusted_proxies)
    uvicorn.run("wearlog.web.app:app_from_env", factory=True, workers=workers, host=host,
                port=port, **UVICORN_OPTIONS)
