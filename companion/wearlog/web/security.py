"""Security headers, request-size limits, signed sessions and CSRF tokens.

Pure ASGI middlewares (no BaseHTTPMiddleware) so streaming and limits stay cheap.
"""

from __future__ import annotations

import hmac
import json
import secrets
import sqlite3
import time
from collections.abc import Callable
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from wearlog.store.web_sessions import create_session, end_session, session_username

SESSION_COOKIE = "wl_session"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]


class SecurityHeaders:
    """Adds the headers above to every response; no-store on everything but static files."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope["path"].startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                headers += [(k, v) for k, v in HEADERS if k not in names]
                if scope.get("scheme") == "https":
                    headers.append((b"strict-transport-security", b"max-age=31536000"))
                if not static:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyLimit:
    """413 for bodies over the limit (upload has its own, larger one), checked while reading."""

    def __init__(self, app: ASGIApp, default: int, overrides: dict[str, int]) -> None:
        self.app = app
        self.default = default
        self.overrides = overrides

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.overrides.get(scope["path"], self.default)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await _too_large(send, limit)
            return
        seen = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    # an HTTPException, so FastAPI's body reader passes it on as a 413
                    raise _TooLarge(413, _too_large_detail(limit))
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _TooLarge:
            if not started:
                await _too_large(send, limit)


class _TooLarge(HTTPException):
    pass


def _too_large_detail(limit: int) -> str:
    return f"request body larger than {limit} bytes: send smaller batches"


async def _too_large(send: Send, limit: int) -> None:
    body = json.dumps({"detail": _too_large_detail(limit)})
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body.encode()})


class Sessions:
    """Signed (not encrypted) cookie with the CSRF token and, once signed in, the token of a
    server-side session (store/web_sessions.py): its lifetime counts from sign-in, and
    sign-out, a password change or the account's removal end it."""

    def __init__(self, secret: str, max_age_s: int, secure: bool | None) -> None:
        self.serializer = URLSafeTimedSerializer(secret, salt="wearlog-session")
        self.max_age_s = max_age_s
        self.secure = secure
        self.clock: Callable[[], float] = time.time  # tests move it forward

    def read(self, request: Request) -> dict[str, Any]:
        raw = request.cookies.get(SESSION_COOKIE)
        if not raw:
            return {}
        try:
            data = self.serializer.loads(raw, max_age=self.max_age_s)
        except BadSignature:
            return {}
        return data if isinstance(data, dict) else {}

    def new(self) -> dict[str, Any]:
        """An anonymous session: only a CSRF token for the sign-in form."""
        return {"c": secrets.token_urlsafe(24)}

    def sign_in(self, conn: sqlite3.Connection, username: str) -> dict[str, Any]:
        """A fresh session (new CSRF token too) for a user who just proved the password."""
        token = create_session(conn, username, int(self.clock()), self.max_age_s)
        return {**self.new(), "s": token}

    def username(self, conn: sqlite3.Connection, session: dict[str, Any]) -> str | None:
        token = session.get("s")
        if not isinstance(token, str):
            return None
        return session_username(conn, token, int(self.clock()))

    def sign_out(self, conn: sqlite3.Connection, session: dict[str, Any]) -> None:
        token = session.get("s")
        if isinstance(token, str):
            end_session(conn, token)

    def set_cookie(self, request: Request, response: Any, session: dict[str, Any]) -> None:
        secure = self.secure if self.secure is not None else request.url.scheme == "https"
        response.set_cookie(
            SESSION_COOKIE, self.serializer.dumps(session), max_age=self.max_age_s,
            httponly=True, samesite="strict", secure=secure, path="/",
        )

    @staticmethod
    def csrf_ok(session: dict[str, Any], supplied: str | None) -> bool:
        expected = session.get("c")
        return bool(expected and supplied) and hmac.compare_digest(str(expected), str(supplied))
