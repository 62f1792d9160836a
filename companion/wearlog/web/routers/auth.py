"""Sign in and out: CSRF-checked forms, rate-limited, session rotated on sign-in."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from wearlog.accounts.audit import audit
from wearlog.accounts.errors import BadCredentialsError, WeakPasswordError
from wearlog.accounts.users import Users, normalize_username
from wearlog.web.deps import Conn, SignedInUser, get_sessions
from wearlog.web.security import CSRF_FIELD, Sessions

router = APIRouter(include_in_schema=False)
SessionsDep = Annotated[Sessions, Depends(get_sessions)]


def _safe_next(target: str | None) -> str:
    """Only local paths: an open redirect would let a phishing link borrow our login."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/"
    parts = urlsplit(target)
    return "/" if parts.scheme or parts.netloc or "\\" in target else target


def _login_page(request: Request, sessions: Sessions, error: str | None = None,
                status: int = 200, next_: str = "/", headers: dict[str, str] | None = None,
                ) -> HTMLResponse:
    session = sessions.read(request)
    fresh = "c" not in session
    if fresh:
        session = sessions.new()
    resp = request.app.state.templates.TemplateResponse(
        request, "login.html",
        {"csrf": session["c"], "error": error, "next": _safe_next(next_)},
        status_code=status, headers=headers,
    )
    if fresh:  # re-signing a cookie we read would extend it
        sessions.set_cookie(request, resp, session)
    return resp  # type: ignore[no-any-return]


@router.get("/login")
def login_form(request: Request, sessions: SessionsDep, next: str = "/") -> Response:
    return _login_page(request, sessions, next_=next)


@router.post("/login")
def login(
    request: Request, conn: Conn, sessions: SessionsDep,
    username: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=256)] = "",
    csrf_token: Annotated[str, Form(alias=CSRF_FIELD, max_length=100)] = "",
    next: Annotated[str, Form(max_length=500)] = "/",
) -> Response:
    session = sessions.read(request)
    if not sessions.csrf_ok(session, csrf_token):
        return _login_page(request, sessions, "Your sign-in form expired: please try again.",
                           403, next)
    limiter = request.app.state.limiter
    ip = request.client.host if request.client else "?"
    name = normalize_username(username)
    keys = (f"user:{name}", f"ip:{ip}")
    wait = limiter.retry_after(conn, *keys)
    if wait:
        return _login_page(request, sessions,
                           f"Too many failed sign-ins: wait {wait} seconds and try again.",
                           429, next, headers={"Retry-After": str(wait)})
    try:
        user = Users(conn).authenticate(name, password)
    except BadCredentialsError:
        limiter.failed(conn, *keys)
        audit(conn, name[:64] or "?", "login-failed", detail=ip)
        return _login_page(request, sessions, "Wrong username or password.", 401, next)
    limiter.succeeded(conn, keys[0])
    audit(conn, user.username, "login", detail=ip)
    target = _safe_next(next)
    if user.must_change_pw:  # a one-time password: choose one's own before anything else
        target = f"/password?next={quote(target, safe='/')}"
    resp = RedirectResponse(target, status_code=303)
    sessions.set_cookie(request, resp, sessions.sign_in(conn, user.username))
    return resp


@router.post("/logout")
def logout(
    request: Request, conn: Conn, sessions: SessionsDep,
    csrf_token: Annotated[str, Form(alias=CSRF_FIELD, max_length=100)] = "",
) -> Response:
    session = sessions.read(request)
    if not sessions.csrf_ok(session, csrf_token):
        return Response("CSRF token missing or wrong: reload the page and try again.",
                        status_code=403, media_type="text/plain")
    sessions.sign_out(conn, session)  # a copy of the cookie stops working too
    resp = RedirectResponse("/login", status_code=303)
    sessions.set_cookie(request, resp, sessions.new())
    return resp


def _password_page(request: Request, sessions: Sessions, must_change: bool, next_: str,
                   error: str | None = None, status: int = 200) -> HTMLResponse:
    session = sessions.read(request)
    return request.app.state.templates.TemplateResponse(  # type: ignore[no-any-return]
        request, "password.html",
        {"csrf": session.get("c", ""), "error": error, "next": _safe_next(next_),
         "must_change": must_change, "user": None},
        status_code=status,
    )


@router.get("/password")
def password_form(request: Request, user: SignedInUser, sessions: SessionsDep,
                  next: str = "/") -> Response:
    return _password_page(request, sessions, user.must_change_pw, next)


@router.post("/password")
def change_password(
    request: Request, conn: Conn, user: SignedInUser, sessions: SessionsDep,
    current: Annotated[str, Form(max_length=256)] = "",
    new: Annotated[str, Form(max_length=256)] = "",
    confirm: Annotated[str, Form(max_length=256)] = "",
    csrf_token: Annotated[str, Form(alias=CSRF_FIELD, max_length=100)] = "",
    next: Annotated[str, Form(max_length=500)] = "/",
) -> Response:
    """Replace one's password (a one-time one must be replaced before anything else)."""
    session = sessions.read(request)

    def again(error: str, status: int = 400) -> Response:
        return _password_page(request, sessions, user.must_change_pw, next, error, status)

    if not sessions.csrf_ok(session, csrf_token):
        return again("Your form expired: please try again.", 403)
    limiter = request.app.state.limiter
    key = f"user:{user.username}"
    wait = limiter.retry_after(conn, key)
    if wait:
        return again(f"Too many wrong passwords: wait {wait} seconds and try again.", 429)
    try:
        Users(conn).authenticate(user.username, current)
    except BadCredentialsError:
        limiter.failed(conn, key)
        return again("Your current password is not right.")
    if new != confirm:
        return again("The two new passwords differ: type the same one twice.")
    if new == current:
        return again("Choose a password different from the current one.")
    try:
        Users(conn).set_password(user.username, new)  # ends every session, this one too
    except WeakPasswordError as e:
        return again(f"New password: {e}.")
    audit(conn, user.username, "password-changed")
    resp = RedirectResponse(_safe_next(next), status_code=303)
    sessions.set_cookie(request, resp, sessions.sign_in(conn, user.username))
    return resp
