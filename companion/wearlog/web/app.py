"""The dashboard application: create_app(db_path) -> FastAPI."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import threading
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

import jinja2
from anyio import to_thread
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape
from starlette.exceptions import HTTPException as StarletteHTTPException
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from wearlog.store import DatabaseUrl, DbLocation, Store
from wearlog.store.pool import StorePool
from wearlog.web import busy
from wearlog.web.deps import LoginRequired, PasswordChangeRequired
from wearlog.web.errors import ConfigError
from wearlog.web.ratelimit import LoginLimiter
from wearlog.web.routers import api, auth, exclusions, exports, pages, upload
from wearlog.web.security import BodyLimit, SecurityHeaders, Sessions
from wearlog.web.settings import Settings

HERE = Path(__file__).parent


def _fmt_utc(ts: int | None) -> str:
    if ts is None:
        return "never"
    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def _fmt_num(v: Any, digits: int = 0) -> str:
    return "–" if v is None else f"{v:,.{digits}f}"


def _numcell(v: Any, digits: int = 0) -> Markup:
    """A sortable table cell: the raw value to sort by, the rounded one to read (a filter,
    not a macro: a 90-day page has a thousand of them)."""
    if v is None:
        return Markup('<td data-v="">–</td>')
    return Markup(f'<td data-v="{escape(v)}">{escape(_fmt_num(v, digits))}</td>')


def _plural(n: Any, word: str) -> str:
    """'1 day', '2 days', '1 night': a count with its noun."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _rhythm_value(v: Any, fmt: str) -> str:
    """A rhythm figure as shown: clock time for onsets (minutes after midnight), else digits."""
    if v is None:
        return "–"
    if fmt == "clock":
        m = int(round(float(v))) % 1440
        return f"{m // 60:02d}:{m % 60:02d}"
    return f"{float(v):,.{int(fmt)}f}"


_env: jinja2.Environment | None = None
_env_lock = threading.Lock()


def _template_env() -> jinja2.Environment:
    """The dashboard's templates, compiled once per process and shared by its apps.

    Every template is compiled here, before any request: Jinja compiles a template the
    first time it is asked for, and the first requests of a freshly started server all ask
    at once, each compiling its own copy (a fifth of a second of CPU apiece for the
    patient page's three templates). The files are not watched for changes
    (auto_reload off: no stat of each file on every render); restart to pick up edits."""
    global _env
    with _env_lock:
        if _env is None:
            env = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"),
                                     autoescape=jinja2.select_autoescape(),
                                     auto_reload=False, cache_size=-1)
            env.filters["utc"] = _fmt_utc
            env.filters["num"] = _fmt_num
            env.filters["numcell"] = _numcell
            env.filters["plural"] = _plural
            env.filters["rhythm_value"] = _rhythm_value
            for name in env.list_templates(extensions=["html"]):
                env.get_template(name)
            _env = env
        return _env


def create_app(db_path: str | os.PathLike[str] | None = None,
               settings: Settings | None = None, **overrides: Any) -> FastAPI:
    """The app for one database; the secret comes from the env var or the 0600 file."""
    if settings is None:
        if db_path is None:
            raise ConfigError("create_app needs the database path (or Settings)")
        settings = Settings.for_db(db_path, **overrides)
    _prepare_db(settings.db_path)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # the worker threads of this process's event loop (sync endpoints and
        # dependencies run there): see Settings.request_threads
        to_thread.current_default_thread_limiter().total_tokens = settings.request_threads
        yield
        for pool in (app.state.writers, app.state.readers):  # the handles kept open
            if pool is not None:
                pool.close()

    app = FastAPI(
        lifespan=lifespan,
        title="Wearlog clinician dashboard",
        version="0.1.0",
        description="Read-only summaries of pseudonymous patients' wearable data, exports, "
                    "and the device upload endpoint. Informational only; not a diagnosis.",
        # Swagger UI and ReDoc load their scripts from a CDN (which our CSP blocks, and
        # which a clinic network may not reach): off. /openapi.json serves the schema.
        docs_url=None, redoc_url=None,
    )
    app.state.settings = settings
    # SQLite: open handles kept for reuse by requests (PostgreSQL pools in psycopg)
    sqlite = not isinstance(settings.db_path, DatabaseUrl)
    app.state.writers = StorePool(settings.db_path, readonly=False) if sqlite else None
    app.state.readers = StorePool(settings.db_path, readonly=True) if sqlite else None
    app.state.sessions = Sessions(settings.secret, settings.session_max_age_s,
                                  settings.secure_cookies)
    app.state.limiter = LoginLimiter(settings.login_max_failures, settings.login_window_s)
    templates = Jinja2Templates(env=_template_env())
    app.state.templates = templates
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    for r in (auth.router, pages.router, exclusions.router, api.router, exports.router,
              upload.router):
        app.include_router(r)

    @app.exception_handler(LoginRequired)
    async def _to_login(request: Request, exc: LoginRequired) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={_quote(target)}", status_code=303)

    @app.exception_handler(PasswordChangeRequired)
    async def _to_password(request: Request, exc: PasswordChangeRequired) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/password?next={_quote(target)}", status_code=303)

    def wants_html(request: Request) -> bool:
        return not request.url.path.startswith("/api/") and "text/html" in request.headers.get(
            "accept", "")

    def error_page(request: Request, status: int, detail: str,
                   headers: Mapping[str, str] | None = None) -> Response:
        return templates.TemplateResponse(
            request, "error.html", {"status": status, "detail": detail, "csrf": "",
                                    "user": None},
            status_code=status, headers=headers,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if not wants_html(request):
            return JSONResponse({"detail": exc.detail}, exc.status_code, headers=exc.headers)
        return error_page(request, exc.status_code, str(exc.detail), exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        errors = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
            for e in exc.errors()
        ]
        if wants_html(request):  # a person typed or edited the address: say what to fix
            return error_page(request, 422, "; ".join(
                f"'{e['loc'][-1]}': {e['msg']}" if e["loc"] else str(e["msg"])
                for e in errors) + ". Pick a range from the page instead.")
        return JSONResponse({"detail": errors}, 422)

    busy.install(app)  # a locked database answers 503 + Retry-After, never 500
    app.add_middleware(BodyLimit, default=settings.max_body_bytes,
                       overrides={"/api/upload": settings.max_upload_bytes})
    app.add_middleware(SecurityHeaders)
    if settings.trusted_proxies:  # outermost: everything inside sees the real client
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=list(settings.trusted_proxies))
    return app


# How uvicorn must run the app: forwarded headers are the app's business (Settings).
# With --workers, uvicorn's supervisor kills a worker that has not answered its ping
# within timeout_worker_healthcheck (default 5 s) and drops the requests it was serving
# ("Server disconnected"); a busy worker on a loaded machine can take longer than 5 s to
# answer, so a worker is declared hung only after a minute (bench/dashboard_bench.py).
UVICORN_OPTIONS: dict[str, Any] = {"proxy_headers": False, "server_header": False,
                                   "timeout_worker_healthcheck": 60}


def _prepare_db(path: DbLocation) -> None:
    """Create / migrate once, before any request (requests then open it as migrated);
    results an earlier analysis method made are queued for re-analysis, so the pages say
    "analysis pending" rather than show them as current."""
    from wearlog.pipeline import requeue_other_methods

    with Store(path) as store:
        requeue_other_methods(store)


def _quote(path: str) -> str:
    from urllib.parse import quote

    return quote(path, safe="/")


def app_from_env() -> FastAPI:
    """Factory for `uvicorn --factory wearlog.web.app:app_from_env` (database from $WEARLOG_DB,
    proxies from the comma-separated $WEARLOG_TRUSTED_PROXIES)."""
    from wearlog.store import resolve_db_path

    proxies = tuple(p.strip() for p in os.environ.get(ENV_PROXIES, "").split(",") if p.strip())
    return create_app(resolve_db_path(), trusted_proxies=proxies)


ENV_PROXIES = "WEARLOG_TRUSTED_PROXIES"
