"""Real browser (Debian's headless chromium via Playwright): sign in, open a patient, and
check that the charts and the actogram are drawn from the data. Screenshots go to
test-artifacts/ (gitignored)."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from tests.e2e.chromium import CHROMIUM
from wearlog.accounts import Users
from wearlog.store import Store
from wearlog.testing.database import make_patient
from wearlog.web import create_app
from wearlog.web.live import live_server

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
PW = "correct horse battery staple"
END_UTC = 1_795_300_000  # 2026-11-21 22:26 UTC

pytestmark = pytest.mark.skipif(
    not os.path.exists(CHROMIUM), reason="needs Debian's chromium: apt-get install -y chromium")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    db = tmp_path_factory.mktemp("e2e") / "wearlog.db"
    with Store(db) as s:
        # a fixed end (not now): the same data, and the same linked topics, on any day;
        # this end links six topics in the 14-day range, the fullest printout seen
        make_patient(s, "P-0042", 1, 90, seed=7, symptoms_per_day=0.5,
                     invalid_days=(-5, -9, -40), diary_days=30, end_utc=END_UTC)
        make_patient(s, "P-0099", 2, 5, seed=8, end_utc=END_UTC)
        users = Users(s.conn)
        users.add("dr.a", "clinician", PW)
        users.assign("dr.a", "P-0042")
        users.add("dr.b", "clinician", PW)
        users.assign("dr.b", "P-0099")  # a patient without diary entries
        users.add("dr.once", "clinician", "one-time secret 123", must_change=True)
        users.assign("dr.once", "P-0042")
        # a clinic-size list for the admin: 70 more patients without data (flagged)
        for i in range(70):
            s.add_patient(f"L-{i:03d}")
        users.add("dr.admin", "admin", PW)
    app = create_app(db, secret="e" * 48)
    with live_server(app) as url:
        yield url


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
    nights = page.evaluate(
        "fetch('/api/patients/P-0042/summary?days=14').then(r => r.json())"
        ".then(s => s.nights.filter(n => n.tst_min !== null))")
    counted = sum(1 for n in nights if n["valid"])
    # TST and SE per counted night, and the TST of the others as points
    assert rendered["chart-sleep"] == 2 * counted + (len(nights) - counted)
    assert rendered["chart-activity"] > 0 and rendered["chart-complete"] == 14
    diary = page.evaluate("fetch('/api/patients/P-0042/wearer?days=14').then(r => r.json())"
                          ".then(w => w.diary)")
    assert 10 <= len(diary) < 14  # one day in seven left out by the sample wearer
    assert rendered["chart-diary"] == 4 * len(diary)  # four ratings per entry
    # uPlot drew real pixels
    for cid in ("chart-sleep", "chart-activity", "chart-symptoms", "chart-diary"):
        assert page.locator(f"#{cid} canvas").count() == 1
        assert _ink(page, f"#{cid} canvas") > 200, cid
    bars = int(page.get_attribute("#actogram", "data-bars"))
    assert bars > 1000
    assert page.get_attribute("#actogram", "data-rows") == "14"
    assert _ink(page, "#actogram") > 5000
    assert "not medical advice" in page.inner_text("main")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dashboard-summary-14d.png"), full_page=True)


def test_patient_without_diary_has_no_diary_chart(page, site):
    sign_in(page, site, user="dr.b")
    page.goto(site + "/patients/P-0099?days=14")
    page.wait_for_selector("#summary[data-charts-ready='1']", timeout=60_000)
    assert page.locator("#chart-diary").count() == 0
    assert page.locator("#chart-sleep canvas").count() == 1
    assert "No diary entries or night corrections" in page.inner_text("#wearer-entries")


def test_ninety_day_actogram_draw_time_is_recorded(page, site):
    sign_in(page, site)
    page.goto(site + "/patients/P-0042?days=90")
    page.wait_for_selector("#summary[data-actogram-ready]", timeout=60_000)
    assert page.get_attribute("#actogram", "data-rows") == "90"
    marks = int(page.get_attribute("#actogram", "data-symptom-marks"))
    assert marks > 0
    # Speed is not asserted here (it depends on the machine): the figure is kept as an
    # artifact and reported in docs/dashboard.md.
    ms = int(page.get_attribute("#actogram", "data-draw-ms"))
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "actogram-90d-draw-ms.txt").write_text(f"{ms}\n")
    print(f"90-day actogram drawn in {ms} ms")
    assert "drawn in" not in page.inner_text("main")
    page.screenshot(path=str(ARTIFACTS / "dashboard-summary-90d.png"), full_page=True)
    page.locator("#actogram").screenshot(path=str(ARTIFACTS / "actogram-90d.png"))


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


CHARTS = ("chart-sleep", "chart-waso", "chart-symptoms", "chart-diary", "chart-activity",
          "chart-complete")


def _open(page, site, days, width=1100):
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{site}/patients/P-0042?days={days}")
    page.wait_for_selector("#summary[data-charts-ready='1']", timeout=60_000)
    page.wait_for_selector("#summary[data-actogram-ready]", timeout=60_000)


@pytest.mark.parametrize(("days", "width"), [(14, 1100), (90, 1100), (30, 420)])
def test_the_same_date_has_the_same_x_on_every_chart(page, site, days, width):
    sign_in(page, site)
    _open(page, site, days, width)
    xs = page.evaluate(
        """(ids) => window.wearlogSummaryDays().map(t =>
             ids.map(id => window.WearlogTimeAxis.pageX(id, t)))""", list(CHARTS))
    assert len(xs) == days
    for row in xs:
        assert None not in row
        assert max(row) - min(row) <= 1.0, row
    # and the dates are spread across the plot (not all at one x)
    assert xs[-1][0] - xs[0][0] > 100


def test_invalid_days_are_shaded_and_not_joined(page, site):
    sign_in(page, site)
    _open(page, site, 14)
    s = page.evaluate("fetch('/api/patients/P-0042/summary?days=14').then(r => r.json())")
    bad_days = [i for i, d in enumerate(s["days"]) if not d["valid"]]
    bad_nights = [i for i, n in enumerate(s["nights"]) if not n["valid"]]
    assert len(bad_days) == 2 and bad_nights
    assert int(page.get_attribute("#chart-activity", "data-marks")) == len(bad_days)
    assert int(page.get_attribute("#chart-sleep", "data-marks")) == len(bad_nights)
    steps = page.evaluate("window.wearlogCharts['chart-activity'].data[1]")
    shown = page.evaluate("window.wearlogCharts['chart-activity'].data[4]")  # not counted
    for i in bad_days:
        assert steps[i] is None  # the line breaks there
        assert shown[i] == s["days"][i]["steps"]  # the value is still shown, as a point
    assert page.locator("#day-table tr.invalid").count() == len(bad_days)
    assert int(page.get_attribute("#chart-sleep", "data-symptom-marks")) == len(s["symptoms"])


@pytest.mark.parametrize("days", [14, 30, 90])
def test_actogram_shading_marks_and_key(page, site, days):
    sign_in(page, site)
    _open(page, site, days)
    acto = page.locator("#actogram")
    for attr in ("data-sleep-px", "data-nonwear-px", "data-bed-marks", "data-bars"):
        assert int(acto.get_attribute(attr)) > 0, attr
    # a sleep window (sample: 23:00 to 07:00 UTC) is shaded: 03:00 on the second row's left
    # half is light blue or a (short) bar, never white
    rgb = page.evaluate(
        """() => { const c = document.getElementById('actogram'), d = c.dataset;
           const label = c.width < 560 ? 40 : 52, pw = c.width - label - 8;
           const x = label + Math.round(3 / 48 * pw), y = 20 + Number(d.rowHeight) + 1;
           return Array.from(c.getContext('2d').getImageData(x, y, 1, 1).data).slice(0, 3); }""")
    assert rgb in ([207, 226, 243], [31, 59, 115]), rgb
    key = page.inner_text("#actogram-key")
    for word in ("Sleep window", "bed", "up", "Symptom", "Not worn", "No data", "linear"):
        assert word in key
    every = int(acto.get_attribute("data-label-every"))
    row_h = int(acto.get_attribute("data-row-height"))
    assert every * row_h >= 13  # date labels never overlap
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"dashboard-summary-{days}d.png"), full_page=True)
    acto.screenshot(path=str(ARTIFACTS / f"actogram-{days}d.png"))


def test_narrow_screen_fits(page, site):
    sign_in(page, site)
    _open(page, site, 90, width=420)
    for el in ("actogram", "chart-sleep"):
        right = page.evaluate(f"document.getElementById('{el}').getBoundingClientRect().right")
        assert right <= 420, el
    assert int(page.get_attribute("#actogram", "data-label-every")) > 1
    page.screenshot(path=str(ARTIFACTS / "dashboard-summary-90d-narrow.png"), full_page=True)


def test_night_table_sorts(page, site):
    sign_in(page, site)
    _open(page, site, 14)
    table = page.locator("#night-table")
    assert "sample data" in table.inner_text()
    table.get_by_role("columnheader", name="TST min").click()
    vals = [float(v) for v in page.eval_on_selector_all(
        "#night-table tbody tr td:nth-of-type(4)", "tds => tds.map(t => t.dataset.v)") if v]
    assert vals == sorted(vals) and len(vals) > 5
    table.get_by_role("columnheader", name="TST min").press("Enter")
    vals = [float(v) for v in page.eval_on_selector_all(
        "#night-table tbody tr td:nth-of-type(4)", "tds => tds.map(t => t.dataset.v)") if v]
    assert vals == sorted(vals, reverse=True)


def _pdf_pages(pdf: Path) -> int:
    counts = re.findall(rb"/Type\s*/Pages\b.*?/Count (\d+)|/Count (\d+)", pdf.read_bytes(), re.S)
    return max(int(a or b) for a, b in counts)


@pytest.mark.parametrize("paper", ["A4", "Letter"])
def test_print_is_one_page_whatever_the_window_width(page, site, tmp_path, paper):
    sign_in(page, site)
    pages, images = [], []
    for width in (1280, 733):
        _open(page, site, 14, width)
        page.emulate_media(media="print")
        assert page.locator("nav.exports").is_hidden()
        assert page.locator("#print-footer").is_visible()
        footer = page.inner_text("#print-footer")
        assert "P-0042" in footer and "printed" in footer and "not medical advice" in footer
        for cid in CHARTS:  # every chart and its legend is laid out on paper
            assert page.locator(f"#{cid} canvas").first.is_visible(), cid
            assert page.locator(f"#{cid} .u-legend").is_visible(), cid
        assert page.locator("#actogram").is_visible()
        assert page.locator("#actogram-key").is_visible()
        assert "drawn in" not in page.inner_text("main")
        assert page.locator("#topics-now li").count() >= 3  # the fullest page we print
        pdf = tmp_path / f"summary-{paper}-{width}.pdf"
        page.pdf(path=str(pdf), format=paper, print_background=True)
        pages.append(_pdf_pages(pdf))
        images.append(len(re.findall(rb"/Subtype\s*/Image", pdf.read_bytes())))
        ARTIFACTS.mkdir(exist_ok=True)
        shutil.copy(pdf, ARTIFACTS / f"dashboard-print-{paper}-{width}px.pdf")
        page.screenshot(path=str(ARTIFACTS / f"dashboard-print-{paper}-{width}px.png"),
                        full_page=True)
        page.emulate_media(media="screen")
    assert pages == [1, 1], f"{paper}: pages at 1280 and 733 px windows: {pages}"
    assert images[0] == images[1] and images[0] >= len(CHARTS) + 1, images


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


def test_fhir_link_downloads_a_file(page, site):
    sign_in(page, site)
    _open(page, site, 14)
    with page.expect_download() as dl:
        page.get_by_role("link", name="FHIR R4").click()
    assert dl.value.suggested_filename == "P-0042-fhir.json"
    r = page.request.get(site + "/api/patients/P-0042/export/fhir")
    assert r.headers["content-type"] == "application/fhir+json"
    assert r.headers["content-disposition"].startswith('attachment; filename="P-0042-fhir.json"')
    again = page.request.get(site + "/api/patients/P-0042/export/fhir")
    ids = [e["resource"]["id"] for e in r.json()["entry"]]
    assert ids == [e["resource"]["id"] for e in again.json()["entry"]]
    assert any(e["resource"].get("code", {}).get("coding", [{}])[0].get("code") == "symptom-event"
               for e in r.json()["entry"])


@pytest.mark.skipif(not AXE.exists(), reason="needs axe-core: npm ci")
def test_patient_list_pages_and_search_by_keyboard(browser, site):
    """72 patients: 50 on the first page, flagged first; the search box and the pager
    work from the keyboard; axe-core finds no serious or critical violation."""
    # bypass_csp: only so the test can inject axe-core; the page itself runs under it
    ctx = browser.new_context(viewport={"width": 1100, "height": 900}, bypass_csp=True)
    page = ctx.new_page()
    try:
        sign_in(page, site, user="dr.admin")
        rows = page.locator("table.patients tbody tr")
        assert rows.count() == 50
        assert "72 patients" in page.inner_text("#list-count")
        page.get_by_label("Find a patient by ID").focus()
        page.keyboard.type("l-06")
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r".*\?q=l-06$"))
        assert [rows.nth(i).get_attribute("data-patient") for i in range(rows.count())] \
            == [f"L-{i:03d}" for i in range(60, 70)]
        page.goto(site + "/")
        nav = page.get_by_role("navigation", name="Pages")
        assert nav.get_by_role("link", name="Page 1").get_attribute("aria-current") == "page"
        nav.get_by_role("link", name="Next").focus()
        page.keyboard.press("Enter")
        page.wait_for_url(site + "/?page=2")
        assert rows.count() == 22
        page.add_script_tag(path=str(AXE))
        result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
        bad = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
               for v in result["violations"] if v["impact"] in ("serious", "critical")]
        assert bad == []
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "patient-list-page-2.png"), full_page=True)
    finally:
        ctx.close()


def test_exclude_and_restore_a_night_by_its_button(page, site):
    """Each row's button submits the table's shared form (form= attribute) with its day."""
    sign_in(page, site, user="dr.b")
    page.goto(site + "/patients/P-0099?days=14")
    row = page.locator("#night-table tbody tr").first
    night = row.get_attribute("data-night")
    try:
        row.get_by_role("button", name=f"Exclude {night} from the figures").click()
        page.wait_for_url(re.compile(r".*/patients/P-0099.*"))
        row = page.locator(f'#night-table tr[data-night="{night}"]')
        assert "excluded" in (row.get_attribute("class") or "")
    finally:
        button = page.get_by_role("button", name=f"Count {night} again")
        if button.count():
            button.click()
            page.wait_for_url(re.compile(r".*/patients/P-0099.*"))
    row = page.locator(f'#night-table tr[data-night="{night}"]')
    assert "excluded" not in (row.get_attribute("class") or "")
    assert row.get_by_role("button", name=f"Exclude {night} from the figures").count() == 1
