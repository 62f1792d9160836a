"""Per-device upload tokens: random, shown once, stored as SHA-256, revocable, one patient.

The token is 256 random bits, so a fast hash is enough (no dictionary to guard against);
comparison is constant-time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sqlite3
import time
from dataclasses import dataclass

from wearlog.accounts.db import transaction
from wearlog.accounts.errors import AccountError, InvalidTokenError, RevokedTokenError

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
    row = conn.execute(
        "SELECT patient_id FROM devices WHERE device_id=?", (device_id,)
    ).fetchone()
    if row is None:
        raise AccountError(f"no device {device_id}: pair it or add it before creating a token")
    token_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    with transaction(conn):
        conn.execute(
            "INSERT INTO device_tokens (token_id, device_id, patient_id, token_hash, label, "
            "created_utc) VALUES (?,?,?,?,?,?)",
            (token_id, device_id, row[0], _digest(secret), label, int(time.time())),
        )
    return f"{PREFIX}{token_id}_{secret}"


def verify_token(conn: sqlite3.Connection, token: str) -> DeviceToken:
    if not isinstance(token, str) or not token.startswith(PREFIX) or token.count("_") < 2:
        raise InvalidTokenError("malformed device token: expected 'wlt_<id>_<secret>'")
    token_id, _, secret = token[len(PREFIX):].partition("_")
    row = conn.execute(
        "SELECT device_id, patient_id, token_hash, revoked_utc FROM device_tokens "
        "WHERE token_id=?", (token_id,),
    ).fetchone()
    if row is None or not hmac.compare_digest(row[2], _digest(secret)):
        raise InvalidTokenError("unknown device token: create one with `wearlog token create`")
    if row[3] is not None:
        raise RevokedTokenError(f"device token {token_id} was revoked: create a new one")
    with transaction(conn):
        conn.execute(
            "UPDATE device_tokens SET last_used_utc=? WHERE token_id=?",
            (int(time.time()), token_id),
        )
    return DeviceToken(token_id, int(row[0]), str(row[1]))


def revoke_token(conn: sqlite3.Connection, token_id: str) -> None:
    if token_id.startswith(PREFIX):  # accept the whole token too
        token_id = token_id[len(PREFIX):].partition("_")[0]
    with transaction(conn):
        cur = conn.execute(
            "UPDATE device_tokens SET revoked_utc=? WHERE token_id=? AND revoked_utc IS NULL",
            (int(time.time()), token_id),
        )
    if cur.rowcount == 0:
        exists = conn.execute(
            "SELECT 1 FROM device_tokens WHERE token_id=?", (token_id,)
        ).fetchone()
        if exists is None:
            raise InvalidTokenError(f"no device token {token_id!r}: see `wearlog token list`")


def list_tokens(conn: sqlite3.Connection) -> list[dict[str, object]]:
    cols = ("token_id", "device_id", "patient_id", "label", "created_utc", "revoked_utc",
            "last_used_utc")
    rows = conn.execute(f"SELECT {', '.join(cols)} FROM device_tokens ORDER BY created_utc")
    return [dict(zip(cols, r, strict=True)) for r in rows]
