"""The session-signing secret: from $WEARLOG_SECRET_KEY, else a 0600 file next to the database.

Generated on first run, never a default and never in the repository.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from wearlog.accounts.errors import AccountError

ENV_SECRET = "WEARLOG_SECRET_KEY"
MIN_SECRET_CHARS = 32


def secret_path(db_path: str | os.PathLike[str]) -> Path:
    p = Path(db_path)
    return p.with_name(p.name + ".secret")


def load_or_create_secret(db_path: str | os.PathLike[str]) -> str:
    env = os.environ.get(ENV_SECRET)
    if env:
        if len(env) < MIN_SECRET_CHARS:
            raise AccountError(
                f"${ENV_SECRET} must have at least {MIN_SECRET_CHARS} characters; "
                "generate one with: python -c 'import secrets; print(secrets.token_urlsafe(48))'"
            )
        return env
    path = secret_path(db_path)
    if path.exists():
        mode = path.stat().st_mode & 0o777
        if mode & 0o077:
            raise AccountError(
                f"{path} is readable by other users (mode {mode:o}): run chmod 600 {path}"
            )
        value = path.read_text().strip()
        if len(value) < MIN_SECRET_CHARS:
            raise AccountError(f"{path} holds a too-short secret: delete it to generate a new one")
        return value
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    # O_EXCL: two servers starting at once cannot both write; mode 0600 from creation.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return load_or_create_secret(db_path)
    with os.fdopen(fd, "w") as f:
        f.write(value + "\n")
    return value
