"""Per-device upload tokens: random, shown once, stored as SHA-256, revocable, one patient.

The token is 256 random bits, so a fast hash is enough (no dictionary to guard against);
comparison is constant-time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sqlite3
from dataclasses import dataclass

from wearlog.accounts.errors import AccountError, InvalidTokenError, RevokedTokenError
from wearlog.store import accounts as q

PREFIX = "wlt_"


@dataclass(frozen=True)
class DeviceToken:
    token_id: str
    device_id: int
    patient_id: str


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(conn: sqlite3.Connection, device_id: int, label: str | None = None) -> str:
    """New token for one registered device, scoped to that device's patient; returned once."""
    owner = q.device_owner(conn, device_id)
    if owner is None:
        raise AccountError(f"no device {device_id}: enrol it (`wearlog enrol PATIENT "
                           f"{device_id} --tz ZONE`) or pair it before creating a token")
    token_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    q.insert_token(conn, token_id, device_id, owner, _digest(secret), label)
    return f"{PREFIX}{token_id}_{secret}"


def verify_token(conn: sqlite3.Connection, token: str) -> DeviceToken:
    if not isinstance(token, str) or not token.startswith(PREFIX) or token.count("_") < 2:
        raise InvalidTokenError("malformed device token: expected 'wlt_<id>_<secret>'")
    token_id, _, secret = token[len(PREFIX):].partition("_")
    row = q.token_row(conn, token_id)
    if row is None or not hmac.compare_digest(row[2], _digest(secret)):
        raise InvalidTokenError("unknown device token: create one with `wearlog token create`")
    if row[3] is not None:
        raise RevokedTokenError(f"device token {token_id} was revoked: create a new one")
    q.token_used(conn, token_id)
    return DeviceToken(token_id, int(row[0]), str(row[1]))


def revoke_token(conn: sqlite3.Connection, token_id: str) -> None:
    if token_id.startswith(PREFIX):  # accept the whole token too
        token_id = token_id[len(PREFIX):].partition("_")[0]
    if q.revoke_token(conn, token_id) is None:
            raise InvalidTokenError(f"no device token {token_id!r}: see `wearlog token list`")


def list_tokens(conn: sqlite3.Connection) -> list[dict[str, object]]:
    return q.token_rows(conn)
