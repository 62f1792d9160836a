"""Server settings in one place; the secret never has a default."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from wearlog.accounts.secret import load_or_create_secret


@dataclasses.dataclass(frozen=True)
class Settings:
    db_path: Path
    secret: str
    # None: Secure cookies when the request arrived over HTTPS (proxy headers honoured).
    secure_cookies: bool | None = None
    # Reverse proxies whose X-Forwarded-For/-Proto are believed (addresses or networks);
    # empty: none, the client address is the socket's (the login limiter keys on it).
    trusted_proxies: tuple[str, ...] = ()
    session_max_age_s: int = 8 * 3600
    login_max_failures: int = 5
    login_window_s: int = 300
    max_upload_bytes: int = 8 * 1024 * 1024
    max_body_bytes: int = 64 * 1024
    max_upload_records: int = 50_000

    @classmethod
    def for_db(cls, db_path: str | os.PathLike[str], **kw: object) -> Settings:
        path = Path(db_path)
        secret = kw.pop("secret", None) or load_or_create_secret(path)
        return cls(db_path=path, secret=str(secret), **kw)  # type: ignore[arg-type]
