"""Real browser (Debian's headless chromium via Playwright): sign in, open a patient, and
check that the charts and the actogram are drawn from the data. Screenshots go to
test-artifacts/ (gitignored)."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from wearlog.accounts import Users
from wearlog.store import Store
from wearlog.web import create_app
from wearlog.web.live import live_server
from wearlog.web.sample_data import make_patient

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PW = "correct horse battery staple"

pytestmark = pytest.mark.skipif(
    not os.path.exists(CHROMIUM), reason="needs Debian's chromium: apt-get install -y chromium")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    db = tmp_path_factory.mktemp("e2e") / "wearlog.db"
    with Store(db) as s:
        make_patient(s, "P-0042", 1, 90, seed=7, symptoms_per_day=0.5)
        make_patient(s, "P-0099", 2, 5, seed=8)
        users = Users(s.conn)
        users.add("dr.a", "clinician", PW)
        users.assign("dr.a", "P-0042")
        users.add("dr.once", "clinician", "one-time secret 123", must_change=True)
        users.assign("dr.once", "P-0042")
    app = create_app(db, secret="e" * 48)
    with live_server(app) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser, site):
    ctx = browser.new_context(viewport={"width": 1100, "height": 900})
    # Offline: any request that is not to our own server fails the test.
    outside: list[str] = []
    ctx.route("**/*", lambda route: route.continue_() if route.request.url.startswith(site)
              else (outside.append(route.request.url), route.abort()))
    pg = ctx.new_page()
    errors: list[str] = []
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.console_errors = errors  # type: ignore[attr-defined]
    yield pg
    ctx.close()
    assert outside == [], f"requests left the server: {outside}"
    assert errors == [], f"browser console errors (CSP violations show here): {errors}"


def sign_in(page, site, user="dr.a", password=PW):
    page.goto(site + "/")
    assert "/login" in page.url
    page.get_by_label("Username").fill(user)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(site + "/")


def test_sign_in_open_patient_and_charts_render(page, site):
    sign_in(page, site)
    rows = page.locator("table.patients tbody tr")
    assert rows.count() == 1  # P-0099 belongs to nobody here
    page.get_by_role("link", name="P-0042").click()
    page.wait_for_selector("#summary[data-charts-ready='1']", timeout=60_000)
    page.wait_for_selector("#summary[data-actogram-ready]", timeout=60_000)
    rendered = page.evaluate("window.wearlogRendered")
    n_nights = int(page.evaluate(
        "fetch('/api/patients/P-0042/summary?days=14').then(r => r.json())"
        ".then(s => s.nights.filter(n => n.tst_min !== null).length)"))
    assert rendered["chart-sleep"] == 2 * n_nights  # TST and SE per night
    assert rendered["chart-activity"] > 0 and rendered["chart-complete"] == 14
    # uPlot drew real pixels
    for cid in ("chart-sleep", "chart-activity", "chart-symptoms"):
        assert page.locator(f"#{cid} canvas").count() == 1
        assert _ink(page, f"#{cid} canvas") > 200, cid
    bars = int(page.get_attribute("#actogram", "data-bars"))
    assert bars > 1000
    assert page.get_attribute("#actogram", "data-rows") == "14"
    assert _ink(page, "#actogram") > 5000
    assert "not medical advice" in page.inner_text("main")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dashboard-summary-14d.png"), full_page=True)


def test_ninety_day_actogram_draws_quickly(page, site):
    sign_in(page, site)
    page.goto(site + "/patients/P-0042?days=90")
    page.wait_for_selector("#summary[data-actogram-ready]", timeout=60_000)
    assert page.get_attribute("#actogram", "data-rows") == "90"
    ms = int(page.get_attribute("#actogram", "data-draw-ms"))
    assert ms < 1000, f"90-day actogram took {ms} ms to draw"
    marks = int(page.get_attribute("#actogram", "data-symptom-marks"))
    assert marks > 0
    print(f"90-day actogram drawn in {ms} ms")
    page.screenshot(path=str(ARTIFACTS / "dashboard-summary-90d.png"), full_page=True)


def test_keyboard_only_sign_in(page, site):
    page.goto(site + "/login")
    page.wait_for_function("document.activeElement && document.activeElement.id === 'username'")
    page.keyboard.type("dr.a")  # username has autofocus
    page.keyboard.press("Tab")
    page.keyboard.type(PW)
    assert page.input_value("#password") == PW
    page.keyboard.press("Enter")
    page.wait_for_url(site + "/", timeout=60_000)
    assert page.get_by_role("link", name="P-0042").is_visible()


def test_other_clinicians_patient_is_not_shown(page, site):
    sign_in(page, site)
    resp = page.goto(site + "/patients/P-0099")
    assert resp.status == 404
    assert "among your patients" in page.inner_text("main")
    page.console_errors.remove(  # the 404 itself is logged by the browser, as expected
        "Failed to load resource: the server responded with a status of 404 (Not Found)")


def test_print_layout_is_one_page(page, site, tmp_path):
    sign_in(page, site)
    page.goto(site + "/patients/P-0042?days=14")
    page.wait_for_selector("#summary[data-actogram-ready]", timeout=60_000)
    page.emulate_media(media="print")
    assert page.locator("nav.exports").is_hidden()
    pdf = tmp_path / "summary.pdf"
    page.pdf(path=str(pdf), format="A4")
    counts = re.findall(rb"/Type\s*/Pages\b.*?/Count (\d+)|/Count (\d+)", pdf.read_bytes(), re.S)
    pages = max(int(a or b) for a, b in counts)
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copy(pdf, ARTIFACTS / "dashboard-summary-print.pdf")
    assert pages == 1, f"print summary has {pages} pages"


def test_one_time_password_asks_for_own_password_first(page, site):
    page.goto(site + "/patients/P-0042")
    page.get_by_label("Username").fill("dr.once")
    page.get_by_label("Password").fill("one-time secret 123")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(re.escape(site) + r"/password\?next=.*"))
    assert "one-time password" in page.inner_text("main")
    page.get_by_label("Current password").fill("one-time secret 123")
    page.get_by_label("New password (12 characters or more)").fill("my own passphrase 7")
    page.get_by_label("New password again").fill("my own passphrase 7")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dashboard-one-time-password.png"), full_page=True)
    page.get_by_role("button", name="Save password").click()
    page.wait_for_url(site + "/patients/P-0042")
    page.wait_for_selector("#summary[data-charts-ready='1']", timeout=15_000)


def test_bad_range_in_the_address_gets_a_styled_page(page, site):
    sign_in(page, site)
    resp = page.goto(site + "/patients/P-0042?days=7")
    assert resp.status == 422
    main = page.inner_text("main")
    assert "'days'" in main and "Back to your patients" in main
    # the site's stylesheet applied (not the browser's raw JSON viewer)
    assert page.evaluate("getComputedStyle(document.body).fontFamily") != "monospace"
    assert page.locator("link[href='/static/css/app.css']").count() == 1
    page.screenshot(path=str(ARTIFACTS / "dashboard-bad-query.png"), full_page=True)
    page.console_errors.remove(
        "Failed to load resource: the server responded with a status of 422 "
        "(Unprocessable Entity)")


def _ink(page, selector: str) -> int:
    """Non-white, non-transparent pixels on a canvas."""
    return int(page.evaluate(
        """(sel) => { const c = document.querySelector(sel);
           const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
           let n = 0; for (let i = 0; i < d.length; i += 4)
             if (d[i+3] > 0 && (d[i] < 240 || d[i+1] < 240 || d[i+2] < 240)) n++;
           return n; }""", selector))
