"""Server settings in one place; the secret never has a default."""

from __future__ import annotations

import dataclasses
import os

from wearlog.accounts.errors import AccountError
from wearlog.accounts.secret import ENV_SECRET, load_or_create_secret
from wearlog.store.paths import DatabaseUrl, DbLocation, location


@dataclasses.dataclass(frozen=True)
class Settings:
    db_path: DbLocation  # a SQLite file, or a PostgreSQL URL
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
    # Threads that run the blocking endpoints (database reads, page rendering) at once.
    # Few on purpose: they share one interpreter lock, and 40 (anyio's default) spent
    # more CPU handing it round than rendering (a 90-day page: 5.2 ms of server CPU and
    # p95 160-230 ms at 20 clients with 40; 3.2-4.4 ms and 67-94 ms with 4; docs/dashboard.md).
    # More than one, so one slow request (an upload's ingest, a wait for a busy
    # database) does not hold up every view.
    request_threads: int = 4

    @classmethod
    def for_db(cls, db_path: str | os.PathLike[str], **kw: object) -> Settings:
        path = location(db_path)
        secret = kw.pop("secret", None)
        if not secret and isinstance(path, DatabaseUrl) and not os.environ.get(ENV_SECRET):
            # several servers share one database: the secret cannot live next to a file
            raise AccountError(
                f"a PostgreSQL database needs the session secret in ${ENV_SECRET} (the same "
                "for every server process); generate one with: "
                "python -c 'import secrets; print(secrets.token_urlsafe(48))'")
        secret = secret or load_or_create_secret(path)
        return cls(db_path=path, secret=str(secret), **kw)  # type: ignore[arg-type]
