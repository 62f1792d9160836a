"""A busy database is a moment to wait, not a server error: 503 with Retry-After.

SQLite allows one writer; while a long import or another program writes, a request
that must write (an upload, a token's last use) can time out on the lock. The client
is told to retry instead of being shown a 500.
"""

from __future__ import annotations

import sqlite3

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from wearlog.store import StoreBusyError

RETRY_AFTER_S = 5
MESSAGE = "the database is busy (another program is writing to it): try again in a few seconds"


def is_busy(e: BaseException) -> bool:
    if isinstance(e, StoreBusyError):
        return True
    text = str(e).lower()
    return isinstance(e, sqlite3.OperationalError) and ("locked" in text or "busy" in text)


def busy_response(request: Request) -> Response:
    headers = {"Retry-After": str(RETRY_AFTER_S)}
    accept = request.headers.get("accept", "")
    if not request.url.path.startswith("/api/") and "text/html" in accept:
        templates = request.app.state.templates
        return templates.TemplateResponse(
            request, "error.html", {"status": 503, "detail": MESSAGE, "csrf": "", "user": None},
            status_code=503, headers=headers)
    return JSONResponse({"detail": MESSAGE}, 503, headers=headers)


def install(app: FastAPI) -> None:
    """Answer busy-database errors from any route with 503 + Retry-After."""

    async def handler(request: Request, exc: Exception) -> Response:
        if not is_busy(exc):
            raise exc
        return busy_response(request)

    app.add_exception_handler(StoreBusyError, handler)
    app.add_exception_handler(sqlite3.OperationalError, handler)
