"""What the clinician reads: patient-list flags, summary figures, actogram bytes, degradation."""

from __future__ import annotations

import base64
import datetime as dt
import re
import time
from concurrent.futures import ThreadPoolExecutor
from html import escape

import httpx
import numpy as np
import pytest
from fastapi.testclient import TestClient

from wearlog.accounts import Users
from wearlog.pipeline import figures
from wearlog.pipeline.refresh import rebuild_figures
from wearlog.store import Store
from wearlog.testing.database import make_patient
from wearlog.web import create_app, data
from wearlog.web.live import live_server
from wlproto.const import EV_SYMPTOM
from wlproto.records import Epoch, Event

PW = "correct horse battery staple"
NOW = int(time.time())


@pytest.fixture(scope="module")
def env(module_db_location):
    db = module_db_location
    with Store(db) as s:
        make_patient(s, "P-OK", 1, 45, seed=1, symptoms_per_day=0.2)
        make_patient(s, "P-WORSE", 2, 45, seed=2, tst_shift_min=90, recent_nights=7,
                     symptoms_per_day=0.2)
        make_patient(s, "P-GAP", 3, 10, seed=3, end_utc=NOW - 5 * 86400)
        make_patient(s, "P-RAW", 4, 3, seed=4, analysis_rows=False)
        s.add_patient("P-EMPTY")
        s.add_device(5, "P-EMPTY")
        # many high-severity symptom events in the last week for P-OK's neighbour
        s.ingest(4, [Event(10**6 + i, NOW - 3600 * (i + 1), EV_SYMPTOM, 5) for i in range(6)])
        users = Users(s.conn)
        users.add("root", "admin", PW)
    app = create_app(db, secret="s" * 40)
    c = TestClient(app, follow_redirects=False)
    page = c.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    assert c.post("/login", data={"username": "root", "password": PW,
                                  "csrf_token": csrf}).status_code == 303
    return db, c


def rows_by_id(c):
    return {r["patient_id"]: r for r in c.get("/api/patients").json()}


def test_patient_list_flags(env):
    _, c = env
    rows = rows_by_id(c)
    assert rows["P-OK"]["flags"] == []
    assert rows["P-OK"]["sleep_worse"] is False
    assert rows["P-WORSE"]["flags"] == ["sleep worse than baseline"]
    assert rows["P-GAP"]["flags"][0] == "data gap"
    # P-RAW's records wait for the refresh step: no figures are shown as current
    assert rows["P-RAW"]["analysis_status"] == "pending"
    assert rows["P-RAW"]["flags"] == [] and rows["P-RAW"]["wear_hours_7d"] is None
    assert rows["P-EMPTY"]["analysis_status"] == "none"  # enrolled, no records yet
    assert rows["P-EMPTY"]["flags"] == ["data gap"]


def test_wear_hours_are_the_stored_days_of_the_last_week_with_data(env):
    db, c = env
    rows = rows_by_id(c)
    s = c.get("/api/patients/P-OK/summary?days=14").json()
    week = [d["wear_min"] for d in s["days"] if d["day"] > (
        dt.date.fromisoformat(s["last_date"]) - dt.timedelta(days=7)).isoformat()]
    assert rows["P-OK"]["wear_hours_7d"] == round(sum(week) / 60, 1)
    assert 100 < rows["P-OK"]["wear_hours_7d"] <= 168


def test_refresh_analyses_what_was_pending_and_the_list_then_shows_it(db_location):
    db = db_location
    with Store(db) as s:
        make_patient(s, "P-RAW", 4, 3, seed=4, analysis_rows=False)
        s.ingest(4, [Event(10**6 + i, NOW - 3600 * (i + 1), EV_SYMPTOM, 5) for i in range(6)])
        Users(s.conn).add("root", "admin", PW)
        assert [e.patient_id for e in s.pending()] == ["P-RAW"]
    c = TestClient(create_app(db, secret="s" * 40), follow_redirects=False)
    page = c.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    c.post("/login", data={"username": "root", "password": PW, "csrf_token": csrf})
    assert "analysis pending" in c.get("/").text
    assert c.get("/api/patients/P-RAW/summary").json()["analysis_status"] == "pending"
    with Store(db) as s:
        from wearlog.pipeline import refresh

        assert [r.ok for r in refresh(s)] == [True]
        assert s.pending() == []
    row = rows_by_id(c)["P-RAW"]
    assert row["analysis_status"] == "ok"
    assert row["high_severity_7d"] >= 6 and "many high-severity symptoms" in row["flags"]
    summary = c.get("/api/patients/P-RAW/summary").json()
    assert summary["analysis_status"] == "ok" and summary["days"]


def test_patient_list_page_shows_flags_and_unknowns(env):
    _, c = env
    html = c.get("/").text
    assert "sleep worse than baseline" in html
    assert "analysis pending" in html  # P-RAW and P-EMPTY


@pytest.mark.parametrize("days", [14, 30, 90])
def test_summary_range_and_means_come_from_the_rows(env, days):
    db, c = env
    s = c.get(f"/api/patients/P-OK/summary?days={days}").json()
    assert s["range_days"] == days and len(s["completeness"]) == days
    with Store(db) as st:
        tst = [r[0] for r in st.conn.execute(
            "SELECT tst_min FROM nights WHERE patient_id='P-OK' AND valid=1 "
            "AND night BETWEEN ? AND ?", (s["first_date"], s["last_date"]))]
    assert len(s["nights"]) == len(tst) > 0
    assert s["means"]["tst_min"] == pytest.approx(sum(tst) / len(tst), abs=0.05)
    assert s["disclaimer"].startswith("This is educational information, not medical advice")


def test_invalid_range_is_rejected(env):
    _, c = env
    assert c.get("/api/patients/P-OK/summary?days=7").status_code == 422
    assert c.get("/patients/P-OK?days=365").status_code == 422
    for end in ("0001-01-02", "9999-12-31", "2026-02-30"):  # found by the fuzz test: was a 500
        for path in ("summary", "actogram", "epochs"):
            r = c.get(f"/api/patients/P-OK/{path}?days=90&end={end}")
            assert r.status_code == 422, (path, end)
            assert r.json()["detail"][0]["loc"] == ["query", "end"]
    assert c.get("/patients/P-OK?end=0001-01-01").status_code == 422
    assert c.get("/api/patients/P-OK/summary?end=2026-01-31").json()["last_date"] == "2026-01-31"


def test_completeness_counts_nonwear_as_missing(env):
    _, c = env
    s = c.get("/api/patients/P-OK/summary?days=30").json()
    full = [d for d in s["completeness"][:-1] if d["present_pct"] == 100.0]
    assert full, "sample days are complete"
    assert any(d["worn_pct"] < 100 for d in full)  # some afternoons are off-wrist
    assert s["completeness"][-1]["present_pct"] < 100  # today is still going on


def test_actogram_bytes_decode_to_the_stored_epochs(env):
    db, c = env
    a = c.get("/api/patients/P-OK/actogram?days=14").json()
    vals = np.frombuffer(base64.b64decode(a["values_b64"]), dtype=np.uint8)
    assert vals.size == 14 * 2880
    with Store(db) as s:
        start = figures.local_midnight_utc(
            dt.date.fromisoformat(a["dates"][0]), data.patient_tz(s, "P-OK"))
        rows = s.conn.execute(
            "SELECT utc, enmo_dmg, flags FROM epochs WHERE device_id=1 AND utc>=? AND utc<?",
            (start, start + 14 * 86400)).fetchall()
    worn = [(u, e) for u, e, f in rows if not f & 4]
    assert a["epochs_with_data"] == len(worn) == int((vals != 255).sum())
    u, e = max(worn, key=lambda r: r[1])
    idx = (u - start) // 30
    assert vals[idx] == max(vals[vals != 255])
    assert vals[idx] == round(min(254, np.log1p(e) / np.log1p(2000) * 254))


def test_summary_page_without_analysis_says_so(env):
    _, c = env
    html = c.get("/patients/P-RAW").text
    assert "analysis pending: new records arrived and have not been analysed yet" in html
    assert "not medical advice" in html
    raw = c.get("/api/patients/P-RAW/summary").json()
    assert raw["analysis_available"] is False and raw["analysis_status"] == "pending"
    assert raw["nights"] == [] and raw["means"]["tst_min"] is None  # nothing stale shown
    empty = c.get("/api/patients/P-EMPTY/summary").json()
    assert empty["rhythm"]["available"] is False
    assert empty["rhythm"]["reason"] == "no analysed data yet"
    assert empty["findings"] == {"available": False, "reason": "no analysed data yet",
                                 "items": []}
    assert "Educational links for this range not available: no analysed data yet" in (
        c.get("/patients/P-EMPTY").text)


def test_summary_page_shows_figures_and_disclaimer(env):
    _, c = env
    html = c.get("/patients/P-OK?days=30").text
    s = c.get("/api/patients/P-OK/summary?days=30").json()
    assert f"{s['means']['tst_min']:,.0f} min" in html
    assert html.count("not medical advice") >= 1
    assert 'aria-current="page">30 days' in html
    if s["rhythm"]["available"]:
        assert f"{s['rhythm']['IS']:,.2f}" in html
    else:
        assert "Rhythm figures not available" in html


def test_linked_topics_are_listed_with_their_finding(env):
    db, c = env
    with Store(db) as s:
        s.add_links([{"patient_id": "P-OK", "topic_id": "sleep-hygiene",
                      "rule_id": "short-sleep",
                      "finding_text": "Sleep averaged 5.9 h over the last 14 nights",
                      "window_end": "2026-11-20", "linked_at": "2026-11-21T08:00:00Z"}])
        rebuild_figures(s, "P-OK")  # the stored summaries carry the link history
    s = c.get("/api/patients/P-OK/summary").json()
    assert s["topics"]["available"] is True
    # The refresh step may have added links of its own: find ours.
    mine = [i for i in s["topics"]["items"] if i["rule_id"] == "short-sleep"]
    assert [i["finding"] for i in mine] == ["Sleep averaged 5.9 h over the last 14 nights"]
    html = c.get("/patients/P-OK").text
    assert "because: Sleep averaged 5.9 h over the last 14 nights" in html
    assert c.get("/api/patients/P-RAW/summary").json()["topics"]["items"] == []


def test_education_rules_run_on_the_range_and_links_are_recorded(env):
    db, c = env
    s = c.get("/api/patients/P-WORSE/summary?days=14").json()
    assert s["findings"]["available"] is True
    items = s["findings"]["items"]
    assert items, "7 nights shortened by 90 min should fire a sleep rule"
    texts = [t for i in items for t in i["findings"]]
    assert any("sleep" in t.lower() for t in texts)
    with Store(db) as st:
        recorded = st.conn.execute(
            "SELECT DISTINCT topic_id FROM linked_topics WHERE patient_id='P-WORSE'").fetchall()
    # recorded at refresh, for every standard range (so at least this range's topics)
    assert {r[0] for r in recorded} >= {i["topic_id"] for i in items}
    again = c.get("/api/patients/P-WORSE/summary?days=14").json()
    assert len(again["topics"]["items"]) == len(s["topics"]["items"])  # idempotent
    html = c.get("/patients/P-WORSE?days=14").text
    assert f"<strong>{escape(items[0]['title'])}</strong>" in html


def test_epochs_from_unset_clock_are_not_shown_until_anchored(tmp_path):
    with Store(tmp_path / "w.db") as s:
        s.add_patient("P-U")
        s.add_device(9, "P-U")
        s.ingest(9, [Epoch(i, 100 + 30 * i, 0x02, 500) for i in range(10)])
        a = data.actogram(s, "P-U", 14, None)
    assert a["epochs_with_data"] == 0


def test_concurrent_first_views_do_not_fail(db_location):
    """The bench found 500s: twenty first views raced to create `linked_topics`."""
    db = db_location
    with Store(db) as s:
        make_patient(s, "P-C", 1, 20, seed=9, tst_shift_min=120, recent_nights=10)
        Users(s.conn).add("root", "admin", PW)
    with live_server(create_app(db, secret="c" * 40)) as url:
        clients = [httpx.Client(base_url=url) for _ in range(10)]
        for cl in clients:
            page = cl.get("/login")
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
            cl.post("/login", data={"username": "root", "password": PW, "csrf_token": csrf})
        with ThreadPoolExecutor(10) as pool:
            codes = list(pool.map(
                lambda cl: [cl.get(f"/api/patients/P-C/summary?days={d}").status_code
                            for d in (14, 30, 14)], clients))
        for cl in clients:
            cl.close()
    assert codes == [[200, 200, 200]] * 10
    with Store(db) as s:
        dup = s.conn.execute(
            "SELECT COUNT(*) - COUNT(DISTINCT topic_id || rule_id || window_end || finding_text) "
            "FROM linked_topics").fetchone()[0]
    assert dup == 0


def test_the_earlier_rhythm_is_stored_with_the_summary_and_the_page_only_reads_it(
        env, monkeypatch):
    """The rhythm of the days before the range is computed at refresh and stored in the
    summary: the page shows it without reading any activity profile."""
    from wearlog.analysis.config import AnalysisConfig

    db, c = env
    body = c.get("/api/patients/P-OK/summary?days=14").json()
    earlier = body["earlier_rhythm"]
    assert earlier["available"] and earlier["rhythm"]["IS"] is not None, earlier
    first = dt.date.fromisoformat(body["first_date"])
    assert earlier["last"] == (first - dt.timedelta(days=1)).isoformat()
    with Store.reader(db) as s:
        assert figures.earlier_rhythm(s, "P-OK", 14, first, AnalysisConfig()) == earlier

    def no_profiles(*_a, **_k):
        raise AssertionError("a GET of the page read activity profiles")

    monkeypatch.setattr(Store, "profiles_between", no_profiles)
    page = c.get("/patients/P-OK?days=14")
    assert page.status_code == 200, page.text[:500]
    assert f"({earlier['first']} to {earlier['last']})" in page.text
    assert "No earlier values" not in page.text


def test_the_row_tables_are_rendered_once_per_stored_summary(env):
    """The night and day tables are kept per stored summary: the same bytes give the same
    object; other bytes (a new refresh) render anew."""
    from wearlog.web import patient_view

    db, c = env
    templates = c.app.state.templates
    with Store.reader(db) as s:
        body = figures.summary_for(s, "P-OK", 14)
    assert isinstance(body, bytes)
    import json as _json

    summary = _json.loads(body)
    first = patient_view.row_tables(templates.env, summary, body)
    assert patient_view.row_tables(templates.env, summary, body) is first
    assert first.count('<tr class="') == len(summary["nights"]) + len(summary["days"])
    changed = dict(summary, nights=summary["nights"][:-1])
    other = patient_view.row_tables(templates.env, changed, body + b" ")
    assert other is not first and other.count('<tr class="') == first.count('<tr class="') - 1


def test_requests_wanting_the_same_new_tables_render_them_once(env, monkeypatch):
    """Twenty requests at once for a summary whose tables are not kept yet (the first views
    after a start or a refresh): one renders, the others wait for it and get the same HTML;
    its parsed JSON is kept the same way (one parse per stored summary)."""
    import threading

    from wearlog.web import patient_view

    db, c = env
    env_ = c.app.state.templates.env
    with Store.reader(db) as s:
        body = figures.summary_for(s, "P-WORSE", 30)
    assert isinstance(body, bytes)
    body += b"\n" * 3  # bytes no other test has kept
    summary = patient_view.stored_summary(body)
    assert patient_view.stored_summary(body) is summary
    renders = []
    real = patient_view._render_tables
    gate = threading.Barrier(20)

    def counted(e, s):
        renders.append(1)
        time.sleep(0.2)  # long enough for every other request to arrive meanwhile
        return real(e, s)

    monkeypatch.setattr(patient_view, "_render_tables", counted)

    def one(_):
        gate.wait()
        return patient_view.row_tables(env_, summary, body)

    with ThreadPoolExecutor(20) as pool:
        got = list(pool.map(one, range(20)))
    assert len(renders) == 1
    assert all(g is got[0] for g in got)
    assert got[0].count('<tr class="') == len(summary["nights"]) + len(summary["days"])
    assert patient_view._rendering == {}


def test_templates_are_compiled_before_the_first_request(env, monkeypatch):
    """Every template is compiled when the app is made and shared by the process's apps:
    the first requests of a fresh server (all at once) compile nothing."""
    import jinja2

    db, c = env
    compiled = []
    real = jinja2.Environment.compile

    def counted(self, *a, **k):
        compiled.append(a[1] if len(a) > 1 else k.get("name"))
        return real(self, *a, **k)

    monkeypatch.setattr(jinja2.Environment, "compile", counted)
    app = create_app(db, secret="s" * 40)
    assert app.state.templates.env is c.app.state.templates.env
    login = TestClient(app).get("/login")
    assert login.status_code == 200 and 'name="csrf_token"' in login.text
    assert c.get("/patients/P-OK?days=14").status_code == 200
    assert c.get("/").status_code == 200
    assert compiled == []
