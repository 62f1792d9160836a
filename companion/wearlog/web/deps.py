"""Request dependencies: the database connection, the signed-in user, patient access."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from starlette.concurrency import run_in_threadpool

from wearlog.accounts.audit import audit
from wearlog.accounts.errors import UnknownUserError
from wearlog.accounts.users import User, Users
from wearlog.store import DatabaseUrl, Store
from wearlog.store.pool import StorePool
from wearlog.web.security import Sessions
from wearlog.web.settings import Settings


class LoginRequired(Exception):
    """Raised by page dependencies; the app turns it into a redirect to /login."""


class PasswordChangeRequired(Exception):
    """A signed-in user with a one-time password; the app redirects pages to /password."""


# The dependencies that do no I/O are coroutines: FastAPI runs a plain function in a
# worker thread, and each such hop costs the event loop more than the function's work.
async def get_settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


async def get_sessions(request: Request) -> Sessions:
    return request.app.state.sessions  # type: ignore[no-any-return]


async def _lend(pool: StorePool) -> Store:
    """A pooled handle: an idle one without leaving the event loop, else a new one opened
    in a worker thread (opening reads the disk)."""
    store = pool.take()
    return store if store is not None else await run_in_threadpool(pool.open)


async def get_conn(request: Request) -> AsyncIterator[sqlite3.Connection]:
    """The request's writable connection (SQLite connections are not used by two requests
    at once), for sign-in, tokens and the audit log; the app migrated the database at
    start. SQLite: from the app's pool of open handles; PostgreSQL: from psycopg's pool."""
    pool: StorePool | None = request.app.state.writers
    if pool is None:
        store = await run_in_threadpool(Store.session, request.app.state.settings.db_path)
        try:
            yield store.conn
        finally:
            await run_in_threadpool(store.close)
        return
    store = await _lend(pool)
    try:
        yield store.conn
    finally:
        pool.give_back(store)


async def get_reader(request: Request,
                     conn: Annotated[sqlite3.Connection, Depends(get_conn)]
                     ) -> AsyncIterator[Store]:
    """The read-only handle views read stored results through (lent for the request
    only: read everything before returning, see wearlog.store.pool)."""
    settings: Settings = request.app.state.settings
    if isinstance(settings.db_path, DatabaseUrl):  # the request's one pooled connection
        yield Store.over(conn, settings.db_path)
        return
    pool: StorePool = request.app.state.readers
    store = await _lend(pool)
    try:
        yield store
    finally:
        pool.give_back(store)


Conn = Annotated[sqlite3.Connection, Depends(get_conn)]
Reader = Annotated[Store, Depends(get_reader)]


def session_user(request: Request, conn: sqlite3.Connection, sessions: Sessions) -> User | None:
    session = sessions.read(request)
    request.state.session = session  # the page's CSRF token comes from it (one check)
    name = sessions.username(conn, session)
    if name is None:  # no sign-in, signed out, expired, or the account was removed
        return None
    try:
        return Users(conn).get(name)
    except UnknownUserError:
        return None


def api_user(request: Request, conn: Conn,
             sessions: Annotated[Sessions, Depends(get_sessions)]) -> User:
    user = session_user(request, conn, sessions)
    if user is None:
        raise HTTPException(401, "sign in at /login first", headers={"WWW-Authenticate": "Cookie"})
    if user.must_change_pw:
        raise HTTPException(403, "choose your own password first at /password")
    return user


def signed_in_user(request: Request, conn: Conn,
                   sessions: Annotated[Sessions, Depends(get_sessions)]) -> User:
    """Any signed-in user, one-time password or not (the password form itself)."""
    user = session_user(request, conn, sessions)
    if user is None:
        raise LoginRequired
    return user


async def page_user(user: Annotated[User, Depends(signed_in_user)]) -> User:
    if user.must_change_pw:
        raise PasswordChangeRequired
    return user


ApiUser = Annotated[User, Depends(api_user)]
PageUser = Annotated[User, Depends(page_user)]
SignedInUser = Annotated[User, Depends(signed_in_user)]


FIRST_DATE = dt.date(2000, 1, 1)
LAST_DATE = dt.date(2100, 12, 31)


async def range_end(end: dt.date | None = None) -> dt.date | None:
    """Last day of a summary range (default today); dates far outside any recording are refused."""
    if end is not None and not FIRST_DATE <= end <= LAST_DATE:
        raise RequestValidationError([{
            "loc": ("query", "end"), "type": "value_error",
            "msg": f"end must be a date between {FIRST_DATE} and {LAST_DATE}",
        }])
    return end


End = Annotated[dt.date | None, Depends(range_end)]


def check_patient(conn: sqlite3.Connection, user: User, patient_id: str) -> str:
    """404 for patients the user may not see, exactly as for ones that do not exist;
    the refused attempt is audited (someone probing other clinicians' patients shows)."""
    if not Users(conn).can_access(user, patient_id):
        audit(conn, user.username, "refused", patient_id[:64], "not among the user's patients")
        raise HTTPException(404, f"no patient {patient_id!r} among your patients")
    return patient_id
