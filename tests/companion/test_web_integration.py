"""The dashboard over the real pipeline: synthetic wearer -> store -> analysis -> education
links -> summary API and page. Nothing is inserted by hand here."""

from __future__ import annotations

import datetime as dt
import re
from html import escape

import pytest
from fastapi.testclient import TestClient

import wearlog.analysis as analysis
import wearlog.education as education
import wearlog.testing.epochs as synthetic
from wearlog.accounts import Users
from wearlog.pipeline.refresh import rebuild_figures
from wearlog.store import Store
from wearlog.web import create_app
from wlproto.const import EV_SYMPTOM

PW = "correct horse battery staple"
START = dt.date(2026, 5, 4)
DAYS = 21


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    db = tmp_path_factory.mktemp("int") / "w.db"
    w = synthetic.make_wearer(DAYS, tz="Europe/Berlin", start=START, seed=5,
                              nonwear_days=(4,), symptom_days=(2, 9, 15))
    with Store(db) as s:
        s.add_patient("P-REAL", tz="Europe/Berlin")
        s.add_device(11, "P-REAL")
        s.ingest(11, w.records)
        summary = analysis.analyse_patient(s, "P-REAL")
        findings = education.evaluate(summary.nights, summary.days, summary.rhythm,
                                      audience="clinician")
        links = education.record_links(s, "P-REAL", findings)
        rebuild_figures(s, "P-REAL")  # the stored summaries list the link history
        Users(s.conn).add("dr.r", "clinician", PW)
        Users(s.conn).assign("dr.r", "P-REAL")
    c = TestClient(create_app(db, secret="i" * 40), follow_redirects=False)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text).group(1)
    assert c.post("/login", data={"username": "dr.r", "password": PW,
                                  "csrf_token": csrf}).status_code == 303
    return c, summary, findings, links


@pytest.fixture(scope="module")
def site_records():
    return synthetic.make_wearer(DAYS, tz="Europe/Berlin", start=START, seed=5,
                                 nonwear_days=(4,), symptom_days=(2, 9, 15)).records


def test_summary_shows_what_analysis_stored(site, site_records):
    c, summary, _, _ = site
    records = site_records
    end = (START + dt.timedelta(days=DAYS - 1)).isoformat()
    s = c.get(f"/api/patients/P-REAL/summary?days=30&end={end}").json()
    assert s["analysis_available"] is True
    stored = {n["night"]: n for n in summary.nights}
    assert {n["night"] for n in s["nights"]} == set(stored) & {
        d["date"] for d in s["completeness"]}
    for n in s["nights"]:
        assert n["tst_min"] == pytest.approx(stored[n["night"]]["tst_min"])
    assert s["rhythm"]["available"] is True
    assert 0 < s["rhythm"]["IS"] <= 1
    ev_symptoms = [r for r in records if getattr(r, "etype", None) == EV_SYMPTOM]
    assert len(s["symptoms"]) == len(ev_symptoms) > 0


def test_linked_topics_from_education_are_shown_with_their_findings(site):
    c, _, findings, links = site
    s = c.get("/api/patients/P-REAL/summary").json()
    fired = [f for f in findings if f.fired and f.topic_ids]
    assert len(s["topics"]["items"]) >= links  # viewing records this range's links too
    assert fired, "the scenario is built so that rules fire; none did"
    titles = {k: t.title for k, t in education.load_topics().items()}
    # the refresh step records links of its own (per range): find one of ours
    item = next(i for i in s["topics"]["items"] if i["finding"] in {f.text for f in fired})
    assert item["title"] in titles.values()
    html = c.get("/patients/P-REAL").text
    assert f"because: {escape(item['finding'])}" in html
    assert education.DISCLAIMER in html
