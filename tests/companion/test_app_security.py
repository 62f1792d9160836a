"""The wearer app's protections, one test each: the launch token becomes an HttpOnly
SameSite=Strict cookie; no cookie, no page; a foreign Host header (DNS rebinding) is
refused; every form needs the CSRF token; a cross-origin POST is refused."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from wearlog.app import WearerSettings, create_wearer_app
from wearlog.app.security import COOKIE, LaunchKey, host_ok
from wearlog.store import Store

BASE = "http://127.0.0.1:8700"


@pytest.fixture
def app(tmp_path):
    db = tmp_path / "w.db"
    with Store(db) as s:
        s.add_patient("P-0042", tz="UTC")
    return create_wearer_app(WearerSettings(db))


def signed_in(app) -> TestClient:
    c = TestClient(app, base_url=BASE)
    r = c.get(app.state.settings.key.first_url(BASE), follow_redirects=False)
    assert r.status_code == 303
    return c


def test_first_url_sets_an_httponly_strict_cookie_and_drops_the_token(app):
    c = TestClient(app, base_url=BASE)
    r = c.get(app.state.settings.key.first_url(BASE) + "&days=30", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/?days=30"  # the token leaves the address bar
    cookie = r.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=") and "HttpOnly" in cookie
    assert "samesite=strict" in cookie.lower()
    assert app.state.settings.key.token not in cookie  # the cookie is not the URL token
    assert c.get("/").status_code == 200


def test_without_the_cookie_nothing_is_served(app):
    c = TestClient(app, base_url=BASE)
    for path in ("/", "/diary", "/share", "/share/export.zip", "/device", "/nights/2026-01-01"):
        r = c.get(path)
        assert r.status_code == 403, path
        assert "wearlog app" in r.text
    assert "P-0042" not in c.get("/share/export.zip").text


def test_a_wrong_token_or_cookie_is_refused(app):
    c = TestClient(app, base_url=BASE)
    assert c.get("/?token=guess", follow_redirects=False).status_code == 403
    c.cookies.set(COOKIE, "0" * 64)
    assert c.get("/").status_code == 403


def test_another_launch_key_does_not_open_this_launch(app):
    other = LaunchKey()
    c = TestClient(app, base_url=BASE)
    assert c.get(other.first_url(BASE), follow_redirects=False).status_code == 403
    c.cookies.set(COOKIE, other.cookie)
    assert c.get("/").status_code == 403


def test_dns_rebinding_host_is_refused_even_with_the_cookie(app):
    c = signed_in(app)
    r = c.get("/", headers={"host": "evil.example:8700"})
    assert r.status_code == 421
    assert "P-0042" not in r.text
    r = TestClient(app, base_url="http://evil.example:8700").get(
        app.state.settings.key.first_url("http://evil.example:8700"), follow_redirects=False)
    assert r.status_code == 421 and "set-cookie" not in r.headers


@pytest.mark.parametrize("host,ok", [
    ("127.0.0.1:8700", True), ("localhost:1", True), ("[::1]:8700", True), ("127.0.0.1", True),
    ("LOCALHOST:8700", True), ("127.0.0.1.evil.example", False), ("evil.example", False),
    ("localhost.evil.example:8700", False), ("[::1].evil:80", False), ("", False),
    ("0.0.0.0:8700", False), ("192.168.1.2:8700", False),
])
def test_host_check(host, ok):
    assert host_ok(host) is ok


def test_every_form_needs_the_csrf_token(app):
    c = signed_in(app)
    day = c.get("/diary")
    assert day.status_code == 200
    form = {"day": "", "pain": "3", "fatigue": "4", "sleep_quality": "5", "mood": "6"}
    posts = [("/diary", form), ("/nights/2026-01-01/correct", {"bed": "23:00", "up": "07:00"}),
             ("/nights/2026-01-01/undo", {}), ("/share/upload", {"url": "http://x", "token": "t"}),
             ("/device/scan", {}), ("/device/pair", {"patient_id": "P-1", "tz": "UTC"}),
             ("/device/sync", {"device": "1"}), ("/device/unpair", {"device": "1"})]
    for path, data in posts:
        r = c.post(path, data=data, follow_redirects=False)
        assert r.status_code == 403, path
        r = c.post(path, data={**data, "csrf_token": "forged"}, follow_redirects=False)
        assert r.status_code == 403, path
    with Store(app.state.settings.db_path) as s:
        assert s.diary_between("P-0042") == []


def test_a_cross_origin_post_is_refused_even_with_token_and_cookie(app):
    c = signed_in(app)
    key = app.state.settings.key
    data = {"csrf_token": key.csrf, "day": "", "pain": "1", "fatigue": "1",
            "sleep_quality": "1", "mood": "1"}
    r = c.post("/diary", data=data, headers={"origin": "http://evil.example"},
               follow_redirects=False)
    assert r.status_code == 403
    r = c.post("/diary", data=data, headers={"origin": "http://127.0.0.1:9999"},
               follow_redirects=False)
    assert r.status_code == 403  # another local server's page is another origin
    # "null" is what chromium sends for our own forms under Referrer-Policy: no-referrer
    r = c.post("/diary", data=data, headers={"origin": "null"}, follow_redirects=False)
    assert r.status_code == 303
    r = c.post("/diary", data=data, headers={"origin": BASE}, follow_redirects=False)
    assert r.status_code == 303


def test_pages_carry_the_security_headers(app):
    r = signed_in(app).get("/diary")
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert r.headers["cache-control"] == "no-store"
    assert r.headers["x-frame-options"] == "DENY"
