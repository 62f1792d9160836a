"""Request dependencies of the wearer app: the database, the wearer, the CSRF check."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import Depends, Form, HTTPException, Request

from wearlog.app.main import WearerSettings
from wearlog.app.security import CSRF_FIELD
from wearlog.store import Store
from wearlog.store.pool import StorePool


def get_settings(request: Request) -> WearerSettings:
    return request.app.state.settings  # type: ignore[no-any-return]


Settings = Annotated[WearerSettings, Depends(get_settings)]


def get_store(request: Request) -> Iterator[Store]:
    """The request's handle, lent from the app's pool (wearlog.store.pool: opening one per
    request parsed the schema each time) and given back after the response was built."""
    pool: StorePool = request.app.state.stores
    store = pool.take() or pool.open()
    try:
        yield store
    finally:
        pool.give_back(store)


Db = Annotated[Store, Depends(get_store)]


def wearer_id(settings: Settings, store: Db) -> str | None:
    """The wearer of this database: the one given at launch, else its only patient."""
    if settings.patient_id:
        return settings.patient_id
    ids = store.patient_ids()
    return ids[0] if len(ids) == 1 else None


Wearer = Annotated[str | None, Depends(wearer_id)]


def need_wearer(pid: Wearer) -> str:
    if pid is None:
        raise HTTPException(409, "No wearer yet: pair your device first (Device page), or "
                                 "start with `wearlog app --patient ID`.")
    return pid


PatientId = Annotated[str, Depends(need_wearer)]


def check_csrf(settings: Settings, csrf_token: Annotated[str, Form(alias=CSRF_FIELD)] = ""
               ) -> None:
    """Every form posts the launch's CSRF token: refused (403) without it."""
    if not settings.key.csrf_ok(csrf_token):
        raise HTTPException(403, "This form has expired or came from elsewhere: reload the "
                                 "page and send it again.")


Csrf = Depends(check_csrf)


def today(store: Store, patient_id: str) -> dt.date:
    """Today in the wearer's time zone."""
    return dt.datetime.now(ZoneInfo(store.patient(patient_id)["tz"])).date()
