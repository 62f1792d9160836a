"""Where the database lives: --db, then $WEARLOG_DB, then the user's data directory."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

ENV_VAR = "WEARLOG_DB"


def default_db_path() -> Path:
    """The per-user default, so a clinician never has to think about it."""
    return Path(platformdirs.user_data_dir("wearlog", appauthor=False)) / "wearlog.db"


def resolve_db_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    if explicit:
        return Path(explicit)
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env)
    return default_db_path()
