"""From a synthetic wearer's records, through the store and the real analysis,
to findings, rendered text and linked_topics rows in the same SQLite file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from wearlog.analysis import analyse_patient
from wearlog.education import (
    DISCLAIMER,
    FIRED,
    INSUFFICIENT,
    evaluate,
    links_for_patient,
    record_links,
    render_findings,
)
from wearlog.store import Store
from wearlog.testing.epochs import make_wearer

TZ = "Europe/London"
DAYS = 30
SYMPTOM_DAYS = (20, 22, 24, 26, 28, 29)


@pytest.fixture(scope="module")
def analysed(tmp_path_factory: pytest.TempPathFactory):
    path = tmp_path_factory.mktemp("pipeline") / "wearlog.db"
    store = Store(path)
    store.add_patient("P-0001", TZ)
    store.add_device(1, "P-0001")
    wearer = make_wearer(DAYS, tz=TZ, seed=3, symptom_days=SYMPTOM_DAYS)
    store.ingest(1, wearer.records)
    summary = analyse_patient(store, "P-0001")
    store.close()
    return path, wearer, summary


def test_real_analysis_output_is_accepted_and_judged(analysed):
    _, _, summary = analysed
    found = {f.rule_id: f for f in evaluate(summary.nights, summary.days, summary.rhythm)}
    # 30 days of steady wear: every rule has enough data to decide.
    assert all(f.status != INSUFFICIENT for f in found.values()), [
        f.text for f in found.values() if f.status == INSUFFICIENT
    ]
    assert found["low_sleep_regularity"].numbers["n_valid"] == summary.rhythm["n_valid_days"]
    assert found["low_wear"].status != FIRED


def test_severe_symptom_count_matches_the_wearers_button_presses(analysed):
    _, wearer, summary = analysed
    found = {f.rule_id: f for f in evaluate(summary.nights, summary.days, summary.rhythm)}
    zone = ZoneInfo(TZ)
    last_day = dt.date.fromisoformat(summary.days[-1]["day"])
    window = {last_day - dt.timedelta(days=k) for k in range(7)}
    severe_days = {
        dt.datetime.fromtimestamp(utc, zone).date()
        for utc, severity in wearer.truth.symptoms if severity >= 4
    } & window
    severe_presses = sum(
        1 for utc, severity in wearer.truth.symptoms
        if severity >= 4 and dt.datetime.fromtimestamp(utc, zone).date() in window
    )
    f = found["frequent_severe_symptoms"]
    assert f.numbers["count"] == len(severe_days)
    assert f.numbers["total"] == severe_presses
    assert (f.status == FIRED) == (len(severe_days) >= 3)


def test_links_land_in_the_wearlog_database_with_their_reasons(analysed):
    path, _, summary = analysed
    findings = evaluate(summary.nights, summary.days, summary.rhythm)
    fired = [f for f in findings if f.fired]
    assert fired, "the synthetic wearer should trigger at least one rule"
    now = dt.datetime(2026, 4, 19, 8, 0, tzinfo=dt.UTC)
    added = record_links(Path(path), "P-0001", findings, now=now)
    assert added == sum(len(f.topic_ids) for f in fired)
    rows = links_for_patient(path, "P-0001")
    assert {(r["rule_id"], r["topic_id"]) for r in rows} == {
        (f.rule_id, t) for f in fired for t in f.topic_ids
    }
    assert all(r["window_end"] == summary.days[-1]["day"] for r in rows)
    # the analysis tables are still there next to linked_topics
    store = Store(path)
    assert store.patient("P-0001")["tz"] == TZ
    store.close()
    text = render_findings(findings)
    assert all(f.text in text for f in fired) and DISCLAIMER in text
