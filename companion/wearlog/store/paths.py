"""Where the database lives: --db, then $WEARLOG_DB, then the user's data directory.

A SQLite file is a Path; a PostgreSQL database is a DatabaseUrl (postgresql://...).
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

ENV_VAR = "WEARLOG_DB"


class DatabaseUrl(str):
    """A PostgreSQL database named by its URL (where a Path names a SQLite file)."""

    def exists(self) -> bool:
        return True  # the server says otherwise when connecting, in one line

    def __repr__(self) -> str:
        from wearlog.store.pg import redact

        return f"DatabaseUrl({redact(str.__str__(self))!r})"


DbLocation = Path | DatabaseUrl


def is_database_url(location: object) -> bool:
    return isinstance(location, str) and location.startswith(("postgresql://", "postgres://"))


def location(value: str | os.PathLike[str]) -> DbLocation:
    """A --db value as what it names: a PostgreSQL URL, or a SQLite file path."""
    if isinstance(value, DatabaseUrl | Path):
        return value
    return DatabaseUrl(value) if is_database_url(value) else Path(value)


def default_db_path() -> Path:
    """The per-user default, so a clinician never has to think about it."""
    return Path(platformdirs.user_data_dir("wearlog", appauthor=False)) / "wearlog.db"


def resolve_db_path(explicit: str | os.PathLike[str] | None = None) -> DbLocation:
    if explicit:
        return location(explicit)
    env = os.environ.get(ENV_VAR)
    if env:
        return location(env)
    return default_db_path()
