"""The dashboard application: create_app(db_path) -> FastAPI."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from wearlog.store import Store
from wearlog.web import busy
from wearlog.web.deps import LoginRequired
from wearlog.web.errors import ConfigError
from wearlog.web.ratelimit import LoginLimiter
from wearlog.web.routers import api, auth, exports, pages, upload
from wearlog.web.security import BodyLimit, SecurityHeaders, Sessions
from wearlog.web.settings import Settings

HERE = Path(__file__).parent


def _fmt_utc(ts: int | None) -> str:
    if ts is None:
        return "never"
    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def _fmt_num(v: Any, digits: int = 0) -> str:
    return "–" if v is None else f"{v:,.{digits}f}"


def create_app(db_path: str | os.PathLike[str] | None = None,
               settings: Settings | None = None, **overrides: Any) -> FastAPI:
    """The app for one database; the secret comes from the env var or the 0600 file."""
    if settings is None:
        if db_path is None:
            raise ConfigError("create_app needs the database path (or Settings)")
        settings = Settings.for_db(db_path, **overrides)
    _prepare_db(settings.db_path)
    app = FastAPI(
        title="Wearlog clinician dashboard",
        version="0.1.0",
        description="Read-only summaries of pseudonymous patients' wearable data, exports, "
                    "and the device upload endpoint. Informational only; not a diagnosis.",
    )
    app.state.settings = settings
    app.state.sessions = Sessions(settings.secret, settings.session_max_age_s,
                                  settings.secure_cookies)
    app.state.limiter = LoginLimiter(settings.login_max_failures, settings.login_window_s)
    templates = Jinja2Templates(directory=HERE / "templates")
    templates.env.filters["utc"] = _fmt_utc
    templates.env.filters["num"] = _fmt_num
    app.state.templates = templates
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    for r in (auth.router, pages.router, api.router, exports.router, upload.router):
        app.include_router(r)

    @app.exception_handler(LoginRequired)
    async def _to_login(request: Request, exc: LoginRequired) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={_quote(target)}", status_code=303)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if request.url.path.startswith("/api/") or "text/html" not in request.headers.get(
            "accept", ""
        ):
            return JSONResponse({"detail": exc.detail}, exc.status_code, headers=exc.headers)
        return templates.TemplateResponse(
            request, "error.html", {"status": exc.status_code, "detail": exc.detail,
                                    "csrf": "", "user": None},
            status_code=exc.status_code, headers=exc.headers,
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        errors = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
            for e in exc.errors()
        ]
        return JSONResponse({"detail": errors}, 422)

    busy.install(app)  # a locked database answers 503 + Retry-After, never 500
    app.add_middleware(BodyLimit, default=settings.max_body_bytes,
                       overrides={"/api/upload": settings.max_upload_bytes})
    app.add_middleware(SecurityHeaders)
    return app


def _prepare_db(path: Path) -> None:
    """Create / migrate once, before any request. Also create the education links table
    now, so concurrent first views do not race to create it."""
    with Store(path) as store:
        try:
            from wearlog.education.links import ensure_table
        except ImportError:
            return
        ensure_table(store.conn)


def _quote(path: str) -> str:
    from urllib.parse import quote

    return quote(path, safe="/")


def app_from_env() -> FastAPI:
    """Factory for `uvicorn --factory wearlog.web.app:app_from_env` (database from $WEARLOG_DB)."""
    from wearlog.store import resolve_db_path

    return create_app(resolve_db_path())
