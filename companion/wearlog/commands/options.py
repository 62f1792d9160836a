"""Options shared by several commands (one definition, so help texts agree)."""

from __future__ import annotations

import click

from wearlog.store import Store, StoreError, resolve_db_path

db_option = click.option(
    "--db", "db_path", type=click.Path(dir_okay=False), envvar="WEARLOG_DB",
    help="Database file (default: $WEARLOG_DB or the per-user data directory).",
)

virtual_option = click.option(
    "--virtual", "virtual", metavar="HOST:PORT", envvar="WEARLOG_VIRTUAL",
    help="Reach a virtual wearable (`wearlog device virtual`) instead of Bluetooth.",
)


def open_store(db_path: str | None) -> Store:
    """The store at --db; a file it cannot own (newer, foreign) is refused in one line."""
    path = resolve_db_path(db_path)
    try:
        return Store(path)
    except StoreError as e:
        raise click.ClickException(str(e)) from e
