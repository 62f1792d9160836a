"""A wearer walks through the app in a real browser (Debian's headless chromium via
Playwright): pair a virtual wearable (bumble, `wearlog device virtual` in its own
process), sync with the progress bar reaching 100 %, fill today's diary by keyboard only,
correct last night's bed time and see its figures change, open a topic, upload to a live
clinic dashboard and see the diary and the correction there as the clinician.

Every wearer page is checked with axe-core (node_modules, injected by the test): no
serious or critical violation; at 640 CSS px wide (1280 px at 200 % zoom) nothing scrolls
sideways; nothing moves. Screenshots of every page go to test-artifacts/ (gitignored).
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest

from tests.e2e.chromium import CHROMIUM
from tests.virtual_device import virtual_device
from wearlog.accounts import Users, create_token
from wearlog.app import WearerSettings, create_wearer_app
from wearlog.app.routers.device import laptop_tz
from wearlog.store import Store
from wearlog.web import create_app
from wearlog.web.live import live_server

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "wearer-app"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
WEARLOG = Path(sys.executable).with_name("wearlog")
PID = "P-0042"
PW = "correct horse battery staple"

pytestmark = [
    pytest.mark.skipif(not os.path.exists(CHROMIUM),
                       reason="needs Debian's chromium: apt-get install -y chromium"),
    pytest.mark.skipif(not AXE.exists(), reason="needs axe-core: npm ci"),
]


@pytest.fixture(scope="module")
def wearable(tmp_path_factory):
    """2.5 days recorded on the unchanged firmware, advertising on a virtual radio (so at
    least one whole night is in it, whatever the hour the test runs)."""
    with virtual_device(tmp_path_factory.mktemp("device"), 2.5, start_timeout_s=300) as addr:
        yield addr


def _context(browser, base: str):
    # bypass_csp: only so the test can inject axe-core; the app's own pages run under it
    ctx = browser.new_context(viewport={"width": 1100, "height": 900}, bypass_csp=True,
                              reduced_motion="reduce")
    outside: list[str] = []
    ctx.route("**/*", lambda route: route.continue_() if route.request.url.startswith(base)
              else (outside.append(route.request.url), route.abort()))
    page = ctx.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return ctx, page, outside, errors


def check(page, name: str) -> None:
    """axe-core: no serious/critical violations; reflow at 200 % zoom; no motion;
    a screenshot."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    bad = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
           for v in result["violations"] if v["impact"] in ("serious", "critical")]
    assert bad == [], f"{name}: {bad}"
    assert page.evaluate("document.getAnimations().length") == 0, name
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    page.set_viewport_size({"width": 640, "height": 900})  # 1280 px at 200 % zoom
    try:
        wide = page.evaluate("document.documentElement.scrollWidth - "
                             "document.documentElement.clientWidth")
        assert wide <= 0, f"{name}: scrolls {wide}px sideways at 200 % zoom"
        page.screenshot(path=str(ARTIFACTS / f"{name}-zoom200.png"), full_page=True)
    finally:
        page.set_viewport_size({"width": 1100, "height": 900})


def test_a_wearer_walks_through_the_app(browser, wearable, tmp_path):
    db = tmp_path / "wearer.db"
    settings = WearerSettings(db, virtual=wearable)
    app = create_wearer_app(settings)
    with live_server(app) as base:
        ctx, page, outside, errors = _context(browser, base)
        page.goto(settings.key.first_url(base))
        assert page.url == base + "/"  # the key left the address bar for a cookie
        assert "Welcome" in page.inner_text("h1")
        check(page, "01-welcome")

        # Device: scan, then pair with the time zone preselected from this computer
        page.get_by_role("link", name="Device", exact=True).click()
        page.get_by_role("button", name="Look for devices nearby").click()
        page.wait_for_selector("text=WL-", timeout=60_000)
        assert page.input_value("#tz") == laptop_tz()
        check(page, "02-device-scan")
        page.get_by_label(re.compile("Your ID")).fill(PID)
        page.get_by_role("button", name="Pair").click()
        page.wait_for_selector("text=Paired", timeout=90_000)
        device_hex = re.search(r"Paired (0x[0-9a-f]+)", page.inner_text("main")).group(1)

        # Sync: the progress bar, fed by server-sent events, reaches 100 %
        page.get_by_role("button", name=f"Sync {device_hex} now").click()
        page.wait_for_function(
            "document.getElementById('sync') && "
            "document.getElementById('sync').dataset.state === 'done'", timeout=180_000)
        assert page.get_attribute("#sync-progress", "value") == "100"
        assert "records received" in page.inner_text("#sync-status")
        check(page, "03-device-synced")

        # My nights and days: figures from the analysis, in plain words
        page.get_by_role("link", name="My nights and days", exact=True).click()
        assert "Time awake in the night" in page.inner_text("main")
        check(page, "04-nights")

        # Diary by keyboard only: arrows pick a rating, Tab moves on, Enter saves
        page.get_by_role("link", name="Fill in today's diary").click()
        page.focus("#pain-0")
        ratings = {"pain": 6, "fatigue": 7, "sleep_quality": 3, "mood": 5}
        for i, (key, v) in enumerate(ratings.items()):
            if i:
                page.keyboard.press("Tab")
            page.keyboard.press("Space")  # checks the focused 0
            for _ in range(v):
                page.keyboard.press("ArrowRight")
            assert page.is_checked(f"#{key}-{v}"), key
        page.keyboard.press("Tab")
        page.keyboard.type("25")
        page.keyboard.press("Tab")
        page.keyboard.type("stiff hands, foggy")
        page.keyboard.press("Tab")
        page.keyboard.press("Enter")
        page.wait_for_selector("text=Saved.")
        check(page, "05-diary")

        # Correct last night's bed time and see its figures change
        page.get_by_role("link", name="My nights and days", exact=True).click()
        last = page.locator("table.rows tbody tr").filter(has=page.locator("td:not([colspan])"))
        night = last.first.locator("th a").inner_text()
        last.first.locator("th a").click()
        before = page.inner_text("#night-inbed")
        check(page, "06-night")
        bed = page.input_value("#bed")
        h, m = map(int, bed.split(":"))
        earlier = f"{(h - 1) % 24:02d}:{m:02d}"  # an hour before what was detected
        page.fill("#bed", earlier)
        page.get_by_role("button", name="Save my correction").click()
        page.wait_for_selector("text=You corrected this night")
        after = page.inner_text("#night-inbed")
        assert after != before, (before, after)
        check(page, "07-night-corrected")

        # A topic, in full, with the educational note
        page.goto(base + "/")
        links = page.locator("ul.topics a")
        if links.count():
            links.first.click()
        else:  # too few nights for a rule: open one from the library
            from wearlog.education.topics import load_topics

            tid = next(t.id for t in load_topics().values() if t.for_audience("wearer"))
            page.goto(f"{base}/topics/{tid}")
        assert "clinician" in page.inner_text("main").lower()
        check(page, "08-topic")

        # Share with a live clinic dashboard, then look as the clinician
        clinic_db = tmp_path / "clinic.db"
        with Store(db) as s:
            device_id = s.devices_of(PID)[0]
        with Store(clinic_db) as s:
            s.add_patient(PID, laptop_tz())
            s.add_device(device_id, PID)
            token = create_token(s.conn, device_id, "home")
            Users(s.conn).add("dr.a", "clinician", PW)
            Users(s.conn).assign("dr.a", PID)
        with live_server(create_app(clinic_db, secret="c" * 48)) as clinic:
            page.get_by_role("link", name="Share", exact=True).click()
            check(page, "09-share")
            page.get_by_label("Clinic address").fill(clinic)
            page.get_by_label("Upload token").fill(token)
            page.get_by_role("button", name="Send to my clinic").click()
            page.wait_for_selector("text=diary entries and night corrections", timeout=60_000)
            assert "Sent" in page.inner_text("main")
            check(page, "10-shared")

            doc = browser.new_context(viewport={"width": 1100, "height": 900})
            dp = doc.new_page()
            dp.goto(clinic + "/login")
            dp.get_by_label("Username").fill("dr.a")
            dp.get_by_label("Password").fill(PW)
            dp.get_by_role("button", name="Sign in").click()
            dp.wait_for_url(clinic + "/")
            dp.goto(f"{clinic}/patients/{PID}")
            section = dp.inner_text("#wearer-entries")
            assert "stiff hands, foggy" in section
            # the night's row, flagged as the wearer's correction, with the new bed time
            assert re.search(rf"corrected bed \S+ {earlier}, up ", section), section
            assert night in section
            # and the diary on the charts' shared time axis: four ratings per entry
            dp.wait_for_selector("#summary[data-charts-ready='1']", timeout=60_000)
            assert dp.evaluate("window.wearlogRendered['chart-diary']") >= 4
            dp.screenshot(path=str(ARTIFACTS / "11-clinician-sees-diary.png"), full_page=True)
            doc.close()
        ctx.close()
    assert outside == [], f"requests left the app: {outside}"
    assert errors == [], f"browser console errors: {errors}"
