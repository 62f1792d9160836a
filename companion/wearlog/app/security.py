"""What keeps the wearer's app private on a shared laptop, with no account.

- a random token per launch, in the first URL only, becomes an HttpOnly SameSite=Strict
  cookie: other local users and other websites do not have it;
- the Host header must name this machine's loopback: a DNS-rebinding page (evil.example
  resolving to 127.0.0.1) is refused before it reaches a route;
- every form carries a CSRF token tied to the launch, and a cross-origin POST is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from urllib.parse import urlencode

from starlette.datastructures import URL, Headers, QueryParams
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

COOKIE = "wl_wearer"
TOKEN_PARAM = "token"
CSRF_FIELD = "csrf_token"
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "[::1]"})


class LaunchKey:
    """The per-launch secret and what is derived from it (cookie value, CSRF token)."""

    def __init__(self, token: str | None = None) -> None:
        self.token = token or secrets.token_urlsafe(32)
        self.cookie = self._derive("cookie")
        self.csrf = self._derive("csrf")

    def _derive(self, purpose: str) -> str:
        return hmac.new(self.token.encode(), purpose.encode(), hashlib.sha256).hexdigest()

    def first_url(self, base: str) -> str:
        """The URL to open once: it carries the token, which becomes the cookie."""
        return f"{base.rstrip('/')}/?{urlencode({TOKEN_PARAM: self.token})}"

    def token_ok(self, supplied: str | None) -> bool:
        return bool(supplied) and hmac.compare_digest(self.token, str(supplied))

    def cookie_ok(self, supplied: str | None) -> bool:
        return bool(supplied) and hmac.compare_digest(self.cookie, str(supplied))

    def csrf_ok(self, supplied: str | None) -> bool:
        return bool(supplied) and hmac.compare_digest(self.csrf, str(supplied))


def host_ok(host_header: str | None) -> bool:
    """A loopback name (any port): not a name an outside page could make resolve here."""
    if not host_header:
        return False
    host = host_header.strip().lower()
    if host.startswith("["):  # [v6]:port
        close = host.find("]")
        name, port = host[:close + 1], host[close + 1:]
        port = port[1:] if port.startswith(":") else ("x" if port else "")
    else:
        name, _, port = host.partition(":")
    if port and not port.isdigit():
        return False
    return name in LOOPBACK_HOSTS


class WearerGate:
    """Host check, then the launch token (URL -> cookie), then the cookie on every request."""

    def __init__(self, app: ASGIApp, key: LaunchKey) -> None:
        self.app = app
        self.key = key

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        response: Response | None = None
        if not host_ok(headers.get("host")):
            response = PlainTextResponse(
                "This address is not the wearer app's: open the one `wearlog app` printed "
                "(http://127.0.0.1:PORT/...).", status_code=421)
        else:
            url = URL(scope=scope)
            token = QueryParams(scope.get("query_string", b"")).get(TOKEN_PARAM)
            if token is not None and self.key.token_ok(token):
                clean = url.remove_query_params(TOKEN_PARAM)
                response = RedirectResponse(clean.path + (f"?{clean.query}" if clean.query
                                                          else ""), status_code=303)
                response.set_cookie(COOKIE, self.key.cookie, httponly=True, samesite="strict",
                                    path="/")
            elif not self.key.cookie_ok(_cookie(headers)):
                response = PlainTextResponse(
                    "Open the address that `wearlog app` printed on your computer: it "
                    "contains the key for this launch (run `wearlog app` again if you "
                    "closed it).", status_code=403)
            elif scope["method"] not in ("GET", "HEAD") and not _same_origin(headers):
                response = PlainTextResponse("Refused: this form was sent from another site.",
                                             status_code=403)
        if response is not None:
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _cookie(headers: Headers) -> str | None:
    for part in headers.get("cookie", "").split(";"):
        name, _, value = part.strip().partition("=")
        if name == COOKIE:
            return value
    return None


def _same_origin(headers: Headers) -> bool:
    """No Origin, "null" (what browsers send for our own forms under Referrer-Policy
    no-referrer; the SameSite cookie and the CSRF token guard those), or our own origin."""
    origin = headers.get("origin")
    if origin is None or origin == "null":
        return True
    host = origin.split("://", 1)[-1]
    return host_ok(host) and host == headers.get("host", "").lower()
