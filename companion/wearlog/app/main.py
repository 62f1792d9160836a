"""create_wearer_app(settings) -> FastAPI: the same stack as the dashboard, its own
routers and templates, and no accounts (app/security.py says what protects it)."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from wearlog.app.security import LaunchKey, WearerGate
from wearlog.store import Store
from wearlog.store.pool import StorePool
from wearlog.web import busy
from wearlog.web.security import SecurityHeaders

HERE = Path(__file__).parent


@dataclass
class WearerSettings:
    db_path: Path
    key: LaunchKey = field(default_factory=LaunchKey)
    patient_id: str | None = None  # None: the one patient of this database
    virtual: str | None = None  # host:port of a virtual radio (tests, demo)


def create_wearer_app(settings: WearerSettings) -> FastAPI:
    from wearlog.app.routers import device, diary, nights, share
    from wearlog.pipeline import requeue_other_methods

    with Store(settings.db_path) as store:  # create / migrate once, before any request
        requeue_other_methods(store)  # results of an earlier analysis method: pending

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        app.state.stores.close()  # the handles kept open for requests

    app = FastAPI(title="Wearlog, your own app", docs_url=None, redoc_url=None,
                  openapi_url=None, lifespan=lifespan)
    app.state.settings = settings
    # open handles kept for reuse by requests, as the dashboard does (wearlog.store.pool)
    app.state.stores = StorePool(settings.db_path, readonly=False)
    templates = Jinja2Templates(directory=HERE / "templates")
    templates.env.filters["hours"] = hours
    templates.env.filters["clock"] = clock
    app.state.templates = templates
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    for r in (nights.router, diary.router, share.router, device.router):
        app.include_router(r)

    @app.exception_handler(StarletteHTTPException)
    async def _error(request: Request, exc: StarletteHTTPException) -> Response:
        return templates.TemplateResponse(
            request, "error.html", {"status": exc.status_code, "detail": str(exc.detail),
                                    "csrf": settings.key.csrf, "page": ""},
            status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        fields = sorted({str(e.get("loc", ("", ""))[-1]) for e in exc.errors()})
        return templates.TemplateResponse(
            request, "error.html", {"status": 422, "detail": "Please fill in or correct: "
                                    + ", ".join(f.replace("_", " ") for f in fields) + ".",
                                    "csrf": settings.key.csrf, "page": ""}, status_code=422)

    busy.install(app)
    app.add_middleware(WearerGate, key=settings.key)
    app.add_middleware(SecurityHeaders)
    return app


def hours(minutes: float | None) -> str:
    """'7 h 05 min' for 425 minutes: hours first, as a person says it."""
    if minutes is None:
        return "–"
    m = int(round(float(minutes)))
    return f"{m // 60} h {m % 60:02d} min" if m >= 60 else f"{m} min"


def clock(utc: int | None, tz: str) -> str:
    """Local clock time (24 h) of a UTC second in the wearer's zone."""
    if utc is None:
        return "–"
    return dt.datetime.fromtimestamp(int(utc), ZoneInfo(tz)).strftime("%H:%M")


def page(request: Request, name: str, ctx: dict[str, object], status: int = 200
         ) -> HTMLResponse:
    """Render a wearer page with the launch's CSRF token and the disclaimer."""
    from wearlog.pipeline.figures import disclaimer

    s: WearerSettings = request.app.state.settings
    full = {"csrf": s.key.csrf, "disclaimer": disclaimer(), **ctx}
    return request.app.state.templates.TemplateResponse(  # type: ignore[no-any-return]
        request, name, full, status_code=status)
