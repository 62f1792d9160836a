"""Who may see what: the authorisation matrix, sessions, CSRF, rate limiting, headers."""

from __future__ import annotations

import re
import sqlite3
from html import unescape
from pathlib import Path
from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient

from tests.conftest import copy_database
from wearlog.accounts import Users, audit_entries, create_token, revoke_token
from wearlog.accounts.errors import AccountError
from wearlog.store import Store
from wearlog.testing.database import make_patient
from wearlog.web import create_app
from wearlog.web.security import SESSION_COOKIE

PW = "correct horse battery staple"


@pytest.fixture(scope="module")
def template_db(module_db_location):
    """Built once per module and backend (argon2 and 2 x 14 days of epochs take a while),
    copied per test."""
    db = module_db_location
    with Store(db) as store:
        make_patient(store, "P-A", 1, 14, seed=1)
        make_patient(store, "P-B", 2, 14, seed=2)
        users = Users(store.conn)
        users.add("dr.a", "clinician", PW)
        users.assign("dr.a", "P-A")
        users.add("dr.b", "clinician", PW)
        users.assign("dr.b", "P-B")
        users.add("root", "admin", PW)
    return db


@pytest.fixture
def env(tmp_path, monkeypatch, template_db, request):
    if isinstance(template_db, Path):
        monkeypatch.delenv("WEARLOG_SECRET_KEY", raising=False)
        db = copy_database(template_db, tmp_path)
    else:  # PostgreSQL: every server process takes the secret from the environment
        monkeypatch.setenv("WEARLOG_SECRET_KEY", "e" * 48)
        db = copy_database(template_db, tmp_path, request.getfixturevalue("pg_server"))
    store = Store(db)
    users = Users(store.conn)
    app = create_app(db)
    yield SimpleNamespace(db=db, store=store, app=app, users=users)
    store.close()


def csrf_of(html: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m, "form without a CSRF token"
    return m.group(1)


def login(app, username: str, password: str = PW) -> TestClient:
    c = TestClient(app, follow_redirects=False)
    page = c.get("/login")
    r = c.post("/login", data={"username": username, "password": password,
                               "csrf_token": csrf_of(page.text), "next": "/"})
    assert r.status_code == 303, r.text
    return c


PATIENT_URLS = [
    "/patients/{p}",
    "/api/patients/{p}/summary",
    "/api/patients/{p}/actogram",
    "/api/patients/{p}/epochs",
    "/api/patients/{p}/export/epochs.csv",
    "/api/patients/{p}/export/nights.csv",
    "/api/patients/{p}/export/days.csv",
    "/api/patients/{p}/export/events.csv",
    "/api/patients/{p}/export/fhir",
    "/api/patients/{p}/export/clinician/nights.csv",
    "/api/patients/{p}/export/clinician/events.csv",
]


@pytest.mark.parametrize("url", PATIENT_URLS)
def test_anonymous_is_sent_to_login_or_401(env, url):
    c = TestClient(env.app, follow_redirects=False)
    r = c.get(url.format(p="P-A"))
    if url.startswith("/api/"):
        assert r.status_code == 401
        assert "sign in" in r.json()["detail"]
    else:
        assert r.status_code == 303
        assert r.headers["location"].startswith("/login?next=/patients/P-A")


@pytest.mark.parametrize("url", PATIENT_URLS)
def test_clinician_reads_own_patient_but_not_anothers(env, url):
    a = login(env.app, "dr.a")
    assert a.get(url.format(p="P-A")).status_code == 200
    other = a.get(url.format(p="P-B"))
    assert other.status_code == 404
    missing = a.get(url.format(p="P-NOPE"))
    assert missing.status_code == 404  # same answer: existence is not revealed
    assert "P-B" not in a.get("/").text


def test_patient_list_shows_only_assigned(env):
    a = login(env.app, "dr.a")
    ids = [r["patient_id"] for r in a.get("/api/patients").json()]
    assert ids == ["P-A"]
    root = login(env.app, "root")
    # both, whatever their order (flagged first: a flag may depend on the hour the
    # template was built; the order itself is tested in test_web_patient_list.py)
    assert sorted(r["patient_id"] for r in root.get("/api/patients").json()) == ["P-A", "P-B"]


def test_unassigning_takes_effect_immediately(env):
    a = login(env.app, "dr.a")
    assert a.get("/api/patients/P-A/summary").status_code == 200
    env.users.unassign("dr.a", "P-A")
    assert a.get("/api/patients/P-A/summary").status_code == 404


def test_views_and_exports_are_audited(env):
    a = login(env.app, "dr.a")
    a.get("/patients/P-A?days=30")
    a.get("/api/patients/P-A/export/nights.csv")
    a.get("/api/patients/P-A/export/fhir")
    a.get("/api/patients/P-B/summary")  # refused: only the refusal is recorded for P-B
    rows = audit_entries(env.store.conn, "P-A")
    actions = [(r["actor"], r["action"], r["detail"]) for r in rows]
    assert ("dr.a", "view", actions[-1][2]) == actions[-1] and "30 d" in actions[-1][2]
    assert ("dr.a", "export", "csv nights") in actions
    assert ("dr.a", "export", "fhir") in actions
    assert [r["action"] for r in audit_entries(env.store.conn, "P-B")] == ["refused"]


def test_wrong_password_and_unknown_user_look_the_same(env):
    c = TestClient(env.app, follow_redirects=False)
    csrf = csrf_of(c.get("/login").text)
    r1 = c.post("/login", data={"username": "dr.a", "password": "wrong password!!",
                                "csrf_token": csrf})
    r2 = c.post("/login", data={"username": "nobody", "password": "wrong password!!",
                                "csrf_token": csrf})
    assert r1.status_code == r2.status_code == 401
    assert "Wrong username or password" in r1.text and "Wrong username or password" in r2.text
    assert SESSION_COOKIE in c.cookies
    assert c.get("/api/patients").status_code == 401


def test_login_without_csrf_token_is_refused(env):
    c = TestClient(env.app, follow_redirects=False)
    c.get("/login")
    r = c.post("/login", data={"username": "dr.a", "password": PW, "csrf_token": "forged"})
    assert r.status_code == 403
    assert c.get("/api/patients").status_code == 401


def test_logout_needs_csrf_and_ends_the_session(env):
    a = login(env.app, "dr.a")
    assert a.post("/logout", data={"csrf_token": "nope"}).status_code == 403
    assert a.get("/api/patients").status_code == 200
    token = csrf_of(a.get("/").text)
    assert a.post("/logout", data={"csrf_token": token}).status_code == 303
    assert a.get("/api/patients").status_code == 401


def test_login_is_rate_limited(env):
    c = TestClient(env.app, follow_redirects=False)
    csrf = csrf_of(c.get("/login").text)
    codes = [c.post("/login", data={"username": "dr.a", "password": f"guess number {i}",
                                    "csrf_token": csrf}).status_code for i in range(6)]
    assert codes[:5] == [401] * 5
    assert codes[5] == 429
    # even the right password is refused while locked out
    r = c.post("/login", data={"username": "dr.a", "password": PW, "csrf_token": csrf})
    assert r.status_code == 429
    assert int(r.headers["retry-after"]) > 0


def test_password_change_signs_out_existing_sessions(env):
    a = login(env.app, "dr.a")
    assert a.get("/api/patients").status_code == 200
    env.users.set_password("dr.a", "a brand new passphrase")
    assert a.get("/api/patients").status_code == 401
    login(env.app, "dr.a", "a brand new passphrase")


def test_removed_user_session_stops_working(env):
    a = login(env.app, "dr.a")
    env.users.remove("dr.a")
    assert a.get("/api/patients").status_code == 401


def test_tampered_session_cookie_is_ignored(env):
    a = login(env.app, "dr.a")
    value = a.cookies[SESSION_COOKIE]
    a.cookies.clear()
    a.cookies.set(SESSION_COOKIE, value[:-2] + ("AA" if value[-2:] != "AA" else "BB"))
    assert a.get("/api/patients").status_code == 401


def test_session_from_another_secret_is_refused(env, tmp_path):
    a = login(env.app, "dr.a")
    other = create_app(env.db, secret="x" * 48)
    c = TestClient(other)
    c.cookies.set(SESSION_COOKIE, a.cookies[SESSION_COOKIE])
    assert c.get("/api/patients").status_code == 401


def test_cookie_attributes(env):
    c = TestClient(env.app, follow_redirects=False)
    page = c.get("/login")
    r = c.post("/login", data={"username": "dr.a", "password": PW,
                               "csrf_token": csrf_of(page.text)})
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    assert "secure" not in cookie  # plain http on loopback
    https = TestClient(env.app, base_url="https://testserver", follow_redirects=False)
    page = https.get("/login")
    assert "; secure" in page.headers["set-cookie"].lower()
    assert page.headers["strict-transport-security"].startswith("max-age=")


def test_open_redirect_after_login_is_refused(env):
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        c = TestClient(env.app, follow_redirects=False)
        csrf = csrf_of(c.get("/login").text)
        r = c.post("/login", data={"username": "dr.a", "password": PW, "csrf_token": csrf,
                                   "next": target})
        assert r.headers["location"] == "/"


@pytest.mark.parametrize("url", ["/login", "/", "/api/patients", "/static/css/app.css"])
def test_security_headers_everywhere(env, url):
    r = TestClient(env.app, follow_redirects=False).get(url)
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "no-referrer"


def test_pages_have_no_inline_script_and_no_external_assets(env):
    a = login(env.app, "dr.a")
    html = a.get("/patients/P-A").text
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert scripts, "summary page should load its scripts"
    for attrs, body in scripts:
        assert 'src="/static/' in attrs and body.strip() == ""
    assert not re.search(r'(src|href)="(https?:)?//', html)
    for asset in re.findall(r'(?:src|href)="(/static/[^"]+)"', html):
        assert a.get(asset).status_code == 200, asset


def test_upload_token_of_one_patient_cannot_write_anothers_device(env):
    token_a = create_token(env.store.conn, 1)
    c = TestClient(env.app)
    before = env.store.counts()
    r = c.post("/api/upload", headers={"Authorization": f"Bearer {token_a}"},
               json={"device_id": 2, "epochs": [{"seq": 10**6, "time": 1_800_000_000}]})
    assert r.status_code == 403
    assert env.store.counts() == before


def test_clinician_session_cannot_upload(env):
    a = login(env.app, "dr.a")
    r = a.post("/api/upload", json={"device_id": 1, "epochs": []})
    assert r.status_code == 401


def test_revoked_token_is_refused(env):
    token = create_token(env.store.conn, 1)
    c = TestClient(env.app)
    body = {"device_id": 1, "epochs": []}
    assert c.post("/api/upload", headers={"Authorization": f"Bearer {token}"},
                  json=body).status_code == 200
    revoke_token(env.store.conn, token)
    r = c.post("/api/upload", headers={"Authorization": f"Bearer {token}"}, json=body)
    assert r.status_code == 401
    assert "revoked" in r.json()["detail"]


def test_session_secret_file_is_private(env, monkeypatch):
    if not isinstance(env.db, Path):  # no file next to a server database: the env var, or
        monkeypatch.delenv("WEARLOG_SECRET_KEY")  # a clear refusal
        with pytest.raises(AccountError, match="WEARLOG_SECRET_KEY"):
            create_app(env.db)
        return
    secret_file = env.db.with_name(env.db.name + ".secret")
    assert secret_file.exists()
    assert secret_file.stat().st_mode & 0o777 == 0o600
    conn = sqlite3.connect(env.db)
    try:
        dumped = "\n".join(conn.iterdump())
    finally:
        conn.close()
    assert secret_file.read_text().strip() not in dumped


# --- issue 14 items 2-5: account identity, limiter, session lifetime, audit gaps -----------

def test_recreated_user_does_not_inherit_a_removed_users_cookie(env):
    """A cookie of a removed account must not come back with a new account of that name."""
    old = login(env.app, "dr.a")
    env.users.remove("dr.a")
    env.users.add("dr.a", "clinician", "another person's passphrase")
    env.users.assign("dr.a", "P-B")
    assert old.get("/api/patients").status_code == 401
    assert old.get("/api/patients/P-B/summary").status_code == 401


def _attempt(app, jar, username, password, ip):
    c = TestClient(app, client=(ip, 50000), cookies=jar, follow_redirects=False)
    csrf = csrf_of(c.get("/login").text)
    return c.post("/login", data={"username": username, "password": password,
                                  "csrf_token": csrf})


def test_limiter_and_login_see_one_username_however_it_is_spelled(env):
    """Failures under different spellings from different addresses lock the one account."""
    jar = TestClient(env.app).get("/login").cookies
    spellings = ["dr.a", " dr.a", "DR.A", "dr.a\u00a0", "\uff44\uff52.\uff41"]
    codes = [_attempt(env.app, jar, name, f"wrong guess {i}!!", f"10.0.0.{i}").status_code
             for i, name in enumerate(spellings)]
    assert codes == [401] * 5
    r = _attempt(env.app, jar, "\u00a0Dr.A", PW, "10.0.1.1")
    assert r.status_code == 429
    # after the window, the same odd spelling signs in as the one account
    env.app.state.limiter.succeeded(env.store.conn, "user:dr.a")
    r = _attempt(env.app, jar, "\u00a0\uff24r.A ", PW, "10.0.1.2")
    assert r.status_code == 303


def test_forwarded_for_is_ignored_unless_a_proxy_is_configured(env):
    import httpx

    from wearlog.web.live import live_server

    def failed_ip(app) -> str:
        with live_server(app) as url, httpx.Client(base_url=url) as c:
            csrf = csrf_of(c.get("/login").text)
            c.post("/login", data={"username": "dr.a", "password": "wrong guess!!!",
                                   "csrf_token": csrf},
                   headers={"X-Forwarded-For": "203.0.113.9"})
        rows = [r for r in audit_entries(env.store.conn) if r["action"] == "login-failed"]
        return str(rows[0]["detail"])

    assert failed_ip(env.app) == "127.0.0.1"
    proxied = create_app(env.db, trusted_proxies=("127.0.0.1",))
    assert failed_ip(proxied) == "203.0.113.9"


def test_session_has_an_absolute_lifetime_that_login_page_does_not_extend(env):
    sessions = env.app.state.sessions
    t0 = 1_900_000_000.0
    sessions.clock = lambda: t0
    a = login(env.app, "dr.a")
    lifetime = sessions.max_age_s
    sessions.clock = lambda: t0 + lifetime - 60
    page = a.get("/login")
    assert page.status_code == 200
    assert "set-cookie" not in page.headers  # reading the login page re-signs nothing
    assert a.get("/api/patients").status_code == 200
    sessions.clock = lambda: t0 + lifetime + 1
    assert a.get("/api/patients").status_code == 401


def test_copied_cookie_stops_working_after_logout(env):
    a = login(env.app, "dr.a")
    copied = a.cookies[SESSION_COOKIE]
    token = csrf_of(a.get("/").text)
    assert a.post("/logout", data={"csrf_token": token}).status_code == 303
    thief = TestClient(env.app)
    thief.cookies.set(SESSION_COOKIE, copied)
    assert thief.get("/api/patients").status_code == 401


def test_actogram_epochs_and_refusals_are_audited(env):
    a = login(env.app, "dr.a")
    assert a.get("/api/patients/P-A/actogram?days=30").status_code == 200
    assert a.get("/api/patients/P-A/epochs").status_code == 200
    details = [(r["actor"], r["action"], r["detail"])
               for r in audit_entries(env.store.conn, "P-A")]
    assert ("dr.a", "view", "api actogram 30 d") in details
    assert ("dr.a", "view", "api epochs 14 d") in details
    assert a.get("/api/patients/P-B/summary").status_code == 404
    assert a.get("/patients/P-B").status_code == 404
    refused = [r for r in audit_entries(env.store.conn) if r["action"] == "refused"]
    assert [(r["actor"], r["patient_id"]) for r in refused] == [("dr.a", "P-B")] * 2


@pytest.mark.parametrize("query", ["days=7", "days=abc", "end=2024-13-01", "end=1900-01-01"])
def test_html_page_answers_bad_query_with_a_styled_page(env, query):
    a = login(env.app, "dr.a")
    r = a.get(f"/patients/P-A?{query}", headers={"accept": "text/html,*/*"})
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("text/html")
    assert '<link rel="stylesheet" href="/static/' in r.text
    assert "Back to your patients" in r.text
    param = query.split("=")[0]
    assert f"'{param}'" in unescape(r.text)
    # the JSON API keeps its machine-readable answer
    api = a.get(f"/api/patients/P-A/summary?{query}", headers={"accept": "text/html"})
    assert api.status_code == 422 and api.json()["detail"][0]["loc"][-1] == param


# --- issue 14 item 6: a one-time password is good for one sign-in ---------------------------

def _change_password(c, current, new, confirm=None, next_="/"):
    form = c.get(f"/password?next={next_}")
    assert form.status_code == 200
    return c.post("/password", data={"csrf_token": csrf_of(form.text), "current": current,
                                     "new": new, "confirm": confirm or new, "next": next_})


def test_one_time_password_must_be_replaced_at_first_sign_in(env):
    env.users.add("dr.new", "clinician", "one time secret 42", must_change=True)
    env.users.assign("dr.new", "P-A")
    c = TestClient(env.app, follow_redirects=False)
    csrf = csrf_of(c.get("/login").text)
    r = c.post("/login", data={"username": "dr.new", "password": "one time secret 42",
                               "csrf_token": csrf, "next": "/patients/P-A"})
    assert r.status_code == 303 and r.headers["location"].startswith("/password")
    # nothing but the change form until the password is changed
    assert c.get("/patients/P-A").headers["location"].startswith("/password")
    assert c.get("/api/patients").status_code == 403
    bad = _change_password(c, "one time secret 42", "short")
    assert bad.status_code == 400 and "12 characters" in bad.text
    same = _change_password(c, "one time secret 42", "one time secret 42")
    assert same.status_code == 400
    r = _change_password(c, "one time secret 42", "my own long passphrase", next_="/patients/P-A")
    assert r.status_code == 303 and r.headers["location"] == "/patients/P-A"
    assert c.get("/patients/P-A").status_code == 200
    # the one-time password is spent
    again = TestClient(env.app, follow_redirects=False)
    csrf = csrf_of(again.get("/login").text)
    r = again.post("/login", data={"username": "dr.new", "password": "one time secret 42",
                                   "csrf_token": csrf})
    assert r.status_code == 401
    login(env.app, "dr.new", "my own long passphrase")


def test_password_change_needs_the_current_password_and_csrf(env):
    a = login(env.app, "dr.a")
    assert _change_password(a, "not my password!", "a brand new passphrase").status_code == 400
    form = a.get("/password")
    r = a.post("/password", data={"csrf_token": "forged", "current": PW,
                                  "new": "a brand new passphrase",
                                  "confirm": "a brand new passphrase"})
    assert r.status_code == 403
    assert csrf_of(form.text)
    login(env.app, "dr.a")  # unchanged


# --- several server processes (issue 15): what one process knows, every process knows ------

def test_login_limit_and_sign_out_hold_across_server_processes(env):
    """Two apps on one database stand for two workers: failures counted by one lock the
    account on the other, and a sign-out on one ends the cookie on the other."""
    other = create_app(env.db, secret=env.app.state.settings.secret)
    jar = TestClient(env.app).get("/login").cookies
    codes = [_attempt(env.app if i % 2 else other, jar, "dr.b", f"wrong guess {i}!!",
                      f"10.0.2.{i}").status_code for i in range(5)]
    assert codes == [401] * 5
    assert _attempt(other, jar, "dr.b", PW, "10.0.3.1").status_code == 429
    assert _attempt(env.app, jar, "dr.b", PW, "10.0.3.2").status_code == 429

    first = login(env.app, "dr.a")
    second = TestClient(other, cookies=first.cookies, follow_redirects=False)
    assert second.get("/api/patients").status_code == 200
    csrf = csrf_of(first.get("/").text)
    assert first.post("/logout", data={"csrf_token": csrf}).status_code == 303
    assert second.get("/api/patients").status_code == 401
