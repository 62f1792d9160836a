"""Each linking rule fires on a scenario built for it, with the right numbers.

Scenarios are 28 nights and days of a steady, healthy-looking record ending
on END; each test changes only what its rule looks at.
"""

from __future__ import annotations

import datetime as dt
import statistics
from pathlib import Path
from typing import Any

import pytest

from wearlog.education import (
    DISCLAIMER,
    FIRED,
    INSUFFICIENT,
    NOT_FIRED,
    EducationError,
    MetricsInputError,
    evaluate,
    linked_topics,
    load_rules,
    load_topics,
)

CONTENT = Path(__file__).resolve().parents[2] / "shared" / "content"
TOPICS = load_topics(CONTENT)
RULES = load_rules(CONTENT / "rules.toml", topics=TOPICS)
END = dt.date(2026, 3, 28)
N = 28


def night(i: int, **over: Any) -> dict[str, Any]:
    """Night i (0 = oldest) of a steady record: 90 % efficiency, regular timing."""
    rec = {
        "night": (END - dt.timedelta(days=N - 1 - i)).isoformat(),
        "tib_min": 480, "tst_min": 432, "sol_min": 12, "waso_min": 30, "se_pct": 90.0,
        "awakenings": 4, "midsleep_local": 1620 + (i % 3 - 1) * 15, "valid": True,
    }
    rec.update(over)
    return rec


def day(i: int, **over: Any) -> dict[str, Any]:
    """Day i (0 = oldest): ~7000 steps, 30 min MVPA, 8 h sedentary, mild symptoms."""
    rec = {
        "day": (END - dt.timedelta(days=N - 1 - i)).isoformat(),
        "steps": 7000 + (i % 4) * 150, "sedentary_min": 480, "light_min": 300,
        "moderate_min": 25, "vigorous_min": 5, "mvpa_min": 30, "mvpa_bout_min": 20,
        "longest_active_bout_min": 25, "nap_min": 0, "wear_min": 1400, "valid": True,
        "symptom_events": 2, "high_severity_events": 1 if i == N - 3 else 0,
        "max_severity": 4 if i == N - 3 else 3,
    }
    rec.update(over)
    return rec


RHYTHM = {"IS": 0.7, "IV": 0.6, "RA": 0.85, "L5": 20.0, "M10": 250.0, "L5_onset": 120,
          "M10_onset": 600, "SRI": 82.0, "n_valid_days": 28}


def healthy() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    return [night(i) for i in range(N)], [day(i) for i in range(N)]


def run(nights, days, rhythm=RHYTHM, **kw):
    return {f.rule_id: f for f in evaluate(nights, days, rhythm, rules=RULES, topics=TOPICS, **kw)}


def last(k: int) -> range:
    """Indices of the last k nights/days."""
    return range(N - k, N)


def test_healthy_record_fires_no_concern_rule():
    found = run(*healthy())
    assert set(found) == {r.id for r in RULES}
    assert {f.status for f in found.values()} == {NOT_FIRED}
    for f in found.values():
        assert f.topic_ids == ()
        assert f.window_end == END.isoformat()
        assert "nothing to flag" in f.text


def test_low_sleep_efficiency_fires_with_the_wearers_numbers():
    nights, days = healthy()
    for i in (N - 7, N - 5, N - 3, N - 1):
        nights[i] = night(i, se_pct=78.5)
    f = run(nights, days)["low_sleep_efficiency"]
    assert f.status == FIRED
    assert f.text == "Your sleep efficiency was below 85 % on 4 of the last 7 nights."
    assert f.numbers["count"] == 4 and f.numbers["n_valid"] == 7
    assert f.topic_ids == ("sleep-disturbance", "non-drug-therapies", "personalised-care")
    c = run(nights, days, audience="clinician")["low_sleep_efficiency"]
    assert c.text == ("Sleep efficiency below 85 % on 4 of the last 7 nights "
                      "(7 nights with valid data).")


def test_low_sleep_efficiency_threshold_edges():
    nights, days = healthy()
    nights[N - 1] = night(N - 1, se_pct=85.0)  # at the line is not below it
    nights[N - 2] = night(N - 2, se_pct=84.9)
    nights[N - 3] = night(N - 3, se_pct=84.9)
    f = run(nights, days)["low_sleep_efficiency"]
    assert (f.status, f.numbers["count"]) == (NOT_FIRED, 2)
    nights[N - 4] = night(N - 4, se_pct=60.0)  # a night older than the window does not count
    nights[N - 8] = night(N - 8, se_pct=60.0)
    f = run(nights, days)["low_sleep_efficiency"]
    assert (f.status, f.numbers["count"]) == (FIRED, 3)


def test_too_few_valid_nights_is_insufficient_not_fired():
    nights, days = healthy()
    for i in last(7):
        nights[i] = night(i, se_pct=70.0, valid=i >= N - 3)  # 3 valid, all low
    f = run(nights, days)["low_sleep_efficiency"]
    assert f.status == INSUFFICIENT
    assert f.topic_ids == ()
    assert f.text == ("Not enough data to check sleep efficiency: 3 of the last 7 nights had "
                      "usable data, and at least 4 are needed.")


def test_invalid_nights_may_have_missing_metrics():
    nights, days = healthy()
    nights[N - 1] = {"night": nights[N - 1]["night"], "valid": False, "se_pct": None}
    assert run(nights, days)["low_sleep_efficiency"].numbers["n_valid"] == 6


def test_waso_rising_versus_baseline():
    nights, days = healthy()
    for i in last(7):
        nights[i] = night(i, waso_min=50 + (i % 2) * 10)  # mean 54.3 over 7
    f = run(nights, days)["waso_rising"]
    assert f.status == FIRED
    recent = statistics.fmean(50 + (i % 2) * 10 for i in last(7))
    assert f.numbers["recent"] == pytest.approx(recent)
    assert f.numbers["baseline"] == pytest.approx(30.0)
    assert f.text == (f"Over the last 7 nights, you were awake for {recent:.0f} minutes a night "
                      "on average after you first fell asleep. In the 21 nights before, it was "
                      "30 minutes.")
    assert "sleep-disturbance" in f.topic_ids


@pytest.mark.parametrize(("baseline", "recent"), [(30, 40), (100, 120)])
def test_waso_rise_needs_both_absolute_and_relative_change(baseline, recent):
    nights = [night(i, waso_min=recent if i >= N - 7 else baseline) for i in range(N)]
    assert run(nights, healthy()[1])["waso_rising"].status == NOT_FIRED


def test_waso_without_baseline_is_insufficient():
    nights = [night(i, waso_min=90) for i in range(N - 9, N)]  # 2 baseline nights only
    f = run(nights, healthy()[1])["waso_rising"]
    assert f.status == INSUFFICIENT
    assert "7 of the last 7 nights and 2 of the 21 before them" in f.text


def test_irregular_sleep_timing():
    nights, days = healthy()
    for i in last(14):
        nights[i] = night(i, midsleep_local=1560 if i % 2 else 1740)
    f = run(nights, days)["irregular_sleep_timing"]
    sd = statistics.stdev([1560 if i % 2 else 1740 for i in last(14)])
    assert f.status == FIRED and f.numbers["sd"] == pytest.approx(sd)
    assert f"about {sd:.0f} minutes away from your usual time" in f.text


def test_low_sleep_regularity_from_rhythm():
    nights, days = healthy()
    f = run(nights, days, {**RHYTHM, "SRI": 45.2, "n_valid_days": 14})["low_sleep_regularity"]
    assert f.status == FIRED
    assert f.text.startswith("Your sleep regularity score was 45 out of 100 over the last 14 days.")
    few = run(nights, days, {**RHYTHM, "SRI": 45.2, "n_valid_days": 5})["low_sleep_regularity"]
    assert few.status == INSUFFICIENT and "covers 5 valid days" in few.text
    none = run(nights, days, None)["low_sleep_regularity"]
    assert none.status == INSUFFICIENT and "no rhythm summary" in none.text


def test_steps_falling_versus_baseline():
    nights, days = healthy()
    for i in last(7):
        days[i] = day(i, steps=4200)
    f = run(nights, days)["steps_falling"]
    base = statistics.fmean(7000 + (i % 4) * 150 for i in range(N - 7))
    assert f.status == FIRED
    assert f.text == (f"Over the last 7 days you walked 4,200 steps a day on average. In the 21 "
                      f"days before, it was {base:,.0f} a day.")
    assert f.numbers["change_pct"] == pytest.approx(100 * (base - 4200) / base)
    assert f.topic_ids == ("pain-and-fatigue", "non-drug-therapies")


def test_mvpa_falling_versus_baseline():
    nights, days = healthy()
    for i in last(7):
        days[i] = day(i, mvpa_min=12)
    f = run(nights, days)["mvpa_falling"]
    assert f.status == FIRED
    assert "you had 12 minutes a day of brisk activity" in f.text
    assert "you had 30 minutes a day." in f.text


def test_long_sedentary_days():
    nights, days = healthy()
    for i in (N - 7, N - 6, N - 4, N - 2, N - 1):
        days[i] = day(i, sedentary_min=780)
    days[N - 3] = day(N - 3, sedentary_min=719.5)  # just under 12 h: not counted
    f = run(nights, days)["long_sedentary_days"]
    assert f.status == FIRED
    assert f.text == ("You spent 12 hours or more of your waking day with very little movement "
                      "on 5 of the last 7 days.")


def test_frequent_severe_symptoms_counts_days_even_with_short_wear():
    nights, days = healthy()
    days[N - 1] = day(N - 1, high_severity_events=2)
    days[N - 4] = day(N - 4, high_severity_events=1, valid=False, wear_min=500)
    days[N - 6] = day(N - 6, high_severity_events=1)
    f = run(nights, days)["frequent_severe_symptoms"]
    assert f.status == FIRED
    # day N-3 of the healthy record also has one severe entry
    assert f.text == ("You logged a symptom at severity 4 or 5 on 4 of the last 7 days "
                      "(5 such entries in all).")
    assert f.topic_ids == ("pain-and-fatigue", "personalised-care")


def test_low_wear_counts_short_and_missing_days():
    nights, days = healthy()
    for i in (N - 1, N - 2):
        days[i] = day(i, valid=False, wear_min=600, steps=900)
    del days[N - 5]  # no record at all that day
    found = run(nights, days, as_of=END)
    f = found["low_wear"]
    assert f.status == FIRED
    assert f.text.startswith("Your logger was worn for less than 16 hours on 3 of the last 7 days.")
    assert f.topic_ids == ("wearing-your-logger",)
    # the short days' low step counts are left out rather than read as a fall
    assert found["steps_falling"].status == NOT_FIRED
    assert found["steps_falling"].numbers["n_valid"] == 4
    assert found["steps_falling"].numbers["recent"] > 7000


def test_as_of_moves_every_window():
    nights, days = healthy()
    for i in range(N - 14, N - 7):  # a bad week that ended a week ago
        nights[i] = night(i, se_pct=70.0)
    assert run(nights, days)["low_sleep_efficiency"].status == NOT_FIRED
    earlier = END - dt.timedelta(days=7)
    f = run(nights, days, as_of=earlier.isoformat())["low_sleep_efficiency"]
    assert f.status == FIRED and f.window_end == earlier.isoformat()
    assert f.numbers["count"] == 7


def test_order_of_records_does_not_matter():
    nights, days = healthy()
    for i in last(7):
        nights[i] = night(i, se_pct=70.0)
    assert run(nights, days) == run(nights[::-1], days[::-1])


def test_no_data_at_all_is_insufficient_everywhere():
    found = run([], [], None)
    assert {f.status for f in found.values()} == {INSUFFICIENT}
    assert all(f.window_end is None for f in found.values())


def test_audience_filters_topics_and_drug_topics_are_never_linked():
    nights, days = healthy()
    for i in last(7):
        nights[i] = night(i, se_pct=60.0, waso_min=120, midsleep_local=1400 + 90 * (i % 3))
        days[i] = day(i, steps=1000, mvpa_min=0, sedentary_min=900, high_severity_events=3)
    for audience in ("wearer", "clinician"):
        fired = [f for f in run(nights, days, {**RHYTHM, "SRI": 10.0}, audience=audience).values()
                 if f.fired]
        assert len(fired) >= 7
        for f in fired:
            for tid in f.topic_ids:
                assert audience in TOPICS[tid].audience
                assert TOPICS[tid].linkable
                assert "drug-treatments" not in TOPICS[tid].source_section


def test_linked_topics_group_findings_for_display():
    nights, days = healthy()
    for i in last(7):
        nights[i] = night(i, se_pct=70.0)
        days[i] = day(i, steps=3000)
    findings = evaluate(nights, days, RHYTHM, rules=RULES, topics=TOPICS)
    items = linked_topics(findings, TOPICS)
    by_id = {item.topic.id: item for item in items}
    assert [i.topic.id for i in items][0] == "sleep-disturbance"
    assert {f.rule_id for f in by_id["non-drug-therapies"].findings} == {
        "low_sleep_efficiency", "steps_falling"}
    assert {f.rule_id for f in by_id["pain-and-fatigue"].findings} == {"steps_falling"}
    assert DISCLAIMER  # every view shows it next to these topics


def test_unknown_audience_is_rejected():
    with pytest.raises(EducationError, match="unknown audience"):
        evaluate([], [], audience="patient", rules=RULES, topics=TOPICS)


@pytest.mark.parametrize(
    ("nights", "message"),
    [
        ({"night": "2026-03-01"}, "expected a list of dicts"),
        (["2026-03-01"], r"nights\[0\]: expected a dict"),
        ([{"valid": True}], "missing the 'night' key"),
        ([night(0, night="03/01/2026")], "not an ISO date"),
        ([night(0, night=dt.datetime(2026, 3, 1, 22, 0))], "got a datetime"),
        ([night(0), night(0)], "appears twice"),
        ([night(0, valid="yes")], "'valid' must be true or false"),
        ([night(0, valid=2)], "'valid' must be true or false"),
        ([night(0, se_pct="90")], "'se_pct' must be a finite number"),
        ([night(0, se_pct=float("nan"))], "'se_pct' must be a finite number"),
        ([night(0, waso_min=None)], "'waso_min' must be a finite number"),
        ([night(0, midsleep_local=True)], "'midsleep_local' must be a finite number"),
    ],
)
def test_bad_nightly_input_is_a_specific_error(nights, message):
    with pytest.raises(MetricsInputError, match=message):
        evaluate(nights, [], rules=RULES, topics=TOPICS)


def test_bad_rhythm_and_as_of_are_specific_errors():
    with pytest.raises(MetricsInputError, match="'SRI' must be a finite number"):
        evaluate([], [], {"SRI": "high"}, rules=RULES, topics=TOPICS)
    with pytest.raises(MetricsInputError, match="rhythm: expected a dict"):
        evaluate([], [], [1, 2], rules=RULES, topics=TOPICS)  # type: ignore[arg-type]
    with pytest.raises(MetricsInputError, match="as_of"):
        evaluate([], [], as_of="yesterday", rules=RULES, topics=TOPICS)


def test_default_rules_and_topics_load_from_shared_content():
    nights, days = healthy()
    assert [f.rule_id for f in evaluate(nights, days, RHYTHM)] == [r.id for r in RULES]


def test_findings_export_as_plain_json():
    import json

    nights = [night(i, waso_min=0 if i < N - 7 else 40) for i in range(N)]
    found = run(nights, healthy()[1])
    waso = found["waso_rising"]
    assert waso.status == FIRED and waso.numbers["change_pct"] is None
    clinician = run(nights, healthy()[1], audience="clinician")["waso_rising"]
    assert "(+40 min, +n/a %; n = 7 / 21 valid nights)" in clinician.text
    exported = json.loads(json.dumps([f.to_dict() for f in found.values()], allow_nan=False))
    by_id = {d["rule_id"]: d for d in exported}
    assert by_id["waso_rising"]["numbers"]["change_pct"] is None
    assert by_id["waso_rising"]["numbers"]["recent"] == 40
    assert by_id["waso_rising"]["topic_ids"] == list(waso.topic_ids)
    assert by_id["waso_rising"]["text"] == waso.text


def test_render_findings_shows_why_each_topic_and_the_disclaimer():
    from wearlog.education import render_findings

    nights, days = healthy()
    for i in last(7):
        nights[i] = night(i, se_pct=70.0)
    found = evaluate(nights, days, None, rules=RULES, topics=TOPICS)
    wearer = render_findings(found, TOPICS)
    assert "### Sleep problems in fibromyalgia" in wearer
    assert "- Your sleep efficiency was below 85 % on 7 of the last 7 nights." in wearer
    assert "## Not enough data to check" in wearer and "no rhythm summary" in wearer
    assert wearer.rstrip().endswith(DISCLAIMER)
    assert "(low_sleep_efficiency)" not in wearer
    clinician = evaluate(nights, days, None, audience="clinician", rules=RULES, topics=TOPICS)
    text = render_findings(clinician, TOPICS, audience="clinician")
    assert "(7 nights with valid data). (low_sleep_efficiency)" in text
    quiet = render_findings(evaluate(*healthy(), RHYTHM, rules=RULES, topics=TOPICS), TOPICS)
    assert quiet.startswith("Nothing in this period linked to a topic.")
    assert DISCLAIMER in quiet
    with pytest.raises(EducationError, match="unknown audience"):
        render_findings(found, TOPICS, audience="everyone")


def test_validity_may_come_as_0_1_integers_or_numpy_bools():
    import numpy as np

    nights, days = healthy()
    as_ints = [{**n, "valid": int(n["valid"])} for n in nights]
    as_np = [{**n, "valid": np.bool_(n["valid"]), "se_pct": np.float64(n["se_pct"])}
             for n in nights]
    assert run(as_ints, days) == run(nights, days) == run(as_np, days)
