"""The database file on disk: created owner-only, and checked before anything writes to it.

It holds health data, password hashes and pairing keys, so new files (and the
folders made for them) are readable by their owner only. A file that is not a
Wearlog database, or one written by a newer Wearlog, is refused before a
single byte of it changes (no WAL switch, no new tables).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path

from wearlog.store.errors import NotWearlogDatabaseError, SchemaTooNewError

FILE_MODE = 0o600
DIR_MODE = 0o700
_SQLITE_MAGIC = b"SQLite format 3\x00"


def create_private(path: Path) -> None:
    """Make `path` (and missing parent folders) owner-only if it does not exist yet."""
    if not path.parent.exists():
        path.parent.mkdir(parents=True, mode=DIR_MODE, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, FILE_MODE))


def stored_version(path: Path) -> int | None:
    """Schema version of an existing file, read without changing it (None: new or empty).

    Raises NotWearlogDatabaseError for anything that is not an empty file, an empty
    SQLite database or a Wearlog database.
    """
    if not path.exists() or path.stat().st_size == 0:
        return None
    with path.open("rb") as f:
        if f.read(len(_SQLITE_MAGIC)) != _SQLITE_MAGIC:
            raise NotWearlogDatabaseError(
                f"{path} is not a Wearlog database (not an SQLite file): choose another --db")
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as e:
        raise NotWearlogDatabaseError(f"{path} cannot be read as a database ({e})") from e
    try:
        names = {r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")}
        if "schema_version" not in names:
            if names:
                raise NotWearlogDatabaseError(
                    f"{path} is not a Wearlog database (it holds other tables: "
                    f"{', '.join(sorted(names)[:3])}…); choose another --db")
            return None
        return int(conn.execute("SELECT MAX(version) FROM schema_version").fetchone()[0] or 0)
    except sqlite3.DatabaseError as e:
        raise NotWearlogDatabaseError(f"{path} is not a Wearlog database ({e})") from e
    finally:
        conn.close()


def check_version(path: Path, latest: int) -> None:
    """Refuse, before opening for writing, a file this Wearlog cannot own."""
    version = stored_version(path)
    if version is not None and version > latest:
        raise SchemaTooNewError(
            f"{path} was written by a newer Wearlog (schema v{version}, this one knows "
            f"v{latest}): upgrade Wearlog; the file was not changed")
