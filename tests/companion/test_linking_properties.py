"""Property-based checks of evaluate() and record_links() on random records.

The rules' counts and means are recomputed here independently from the raw
dicts, so a window off by one, a validity slip or a wrong comparison shows up.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import statistics
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import event, given, settings
from hypothesis import strategies as st

from wearlog.education import (
    FIRED,
    INSUFFICIENT,
    NOT_FIRED,
    MetricsInputError,
    evaluate,
    links_for_patient,
    load_rules,
    load_topics,
    record_links,
)
from wearlog.store import Store

CONTENT = Path(__file__).resolve().parents[2] / "shared" / "content"
TOPICS = load_topics(CONTENT)
RULES = load_rules(CONTENT / "rules.toml", topics=TOPICS)
START = dt.date(2026, 1, 1)
SPAN = 40

# Sparse records (mostly "insufficient") and dense ones (rules get to decide).
offsets = st.sets(st.integers(0, SPAN - 1), max_size=SPAN) | st.sets(
    st.integers(0, SPAN - 1), min_size=SPAN - 6, max_size=SPAN
)
finite = {"allow_nan": False, "allow_infinity": False}
validity = st.sampled_from([True, True, True, True, False])
# Recent records are scaled by a random factor so "change vs baseline" can go
# either way, not only drift around the mean.
shifts = st.floats(0.2, 2.5, **finite)
SHIFTED = ("waso_min", "steps", "mvpa_min")


def _stamp(key: str, offs: set[int], recs: tuple[dict[str, Any], ...], shift: float):
    out = []
    for o, r in zip(sorted(offs), recs, strict=True):
        r = {key: (START + dt.timedelta(days=o)).isoformat(), **r}
        if o >= SPAN - 7:
            for k in SHIFTED:
                if k in r:
                    r[k] = type(r[k])(r[k] * shift)
        out.append(r)
    return out


def nights_for(offs: set[int]) -> st.SearchStrategy[list[dict[str, Any]]]:
    one = {
        "tib_min": st.integers(0, 720), "tst_min": st.integers(0, 720),
        "sol_min": st.integers(0, 120), "waso_min": st.floats(10, 60, **finite),
        "se_pct": st.floats(70, 100, **finite), "awakenings": st.integers(0, 40),
        "midsleep_local": st.integers(1500, 1750) | st.integers(900, 2200),
        "valid": validity,
    }
    return st.builds(
        lambda recs, shift: _stamp("night", offs, recs, shift),
        st.tuples(*[st.fixed_dictionaries(one) for _ in offs]), shifts,
    )


def days_for(offs: set[int]) -> st.SearchStrategy[list[dict[str, Any]]]:
    one = {
        "steps": st.integers(4000, 9000), "sedentary_min": st.integers(300, 800),
        "light_min": st.integers(0, 600), "moderate_min": st.integers(0, 120),
        "vigorous_min": st.integers(0, 60), "mvpa_min": st.floats(10, 60, **finite),
        "mvpa_bout_min": st.integers(0, 120), "longest_active_bout_min": st.integers(0, 120),
        "nap_min": st.integers(0, 180), "wear_min": st.integers(0, 1440),
        "valid": validity, "symptom_events": st.integers(0, 10),
        "high_severity_events": st.sampled_from([0, 0, 0, 1, 2]), "max_severity": st.integers(0, 5),
    }
    return st.builds(
        lambda recs, shift: _stamp("day", offs, recs, shift),
        st.tuples(*[st.fixed_dictionaries(one) for _ in offs]), shifts,
    )


rhythms = st.none() | st.fixed_dictionaries(
    {"SRI": st.floats(-100, 100, **finite), "n_valid_days": st.integers(0, 40)}
)
records = st.tuples(offsets.flatmap(nights_for), offsets.flatmap(days_for), rhythms)


def expected(rule, nights, days, rhythm, end):
    """(status, numbers subset) for one rule, computed from scratch."""
    if rule.kind == "rhythm_below":
        if rhythm is None or rhythm["n_valid_days"] < rule["min_valid"]:
            return INSUFFICIENT, {}
        return (FIRED if rhythm["SRI"] < rule["threshold"] else NOT_FIRED), {}
    key = "night" if rule.series == "nights" else "day"
    recs = {dt.date.fromisoformat(r[key]): r for r in (nights if key == "night" else days)}

    def window(length, offset=0):
        if end is None:
            return []
        return [end - dt.timedelta(days=offset + k) for k in range(length)]

    def used(dates):
        keep = rule.params.get("include_invalid", False)
        return [recs[d] for d in dates if d in recs and (recs[d]["valid"] or keep)]

    if rule.kind == "count_not_valid":
        dates = window(rule["window"])
        present = [d for d in dates if d in recs]
        count = sum(1 for d in dates if d not in recs or not recs[d]["valid"])
        if len(present) < rule["min_present"]:
            return INSUFFICIENT, {}
        return (FIRED if count >= rule["min_count"] else NOT_FIRED), {"count": count}
    if rule.kind in ("count_below", "count_at_least"):
        vals = [r[rule.metric] for r in used(window(rule["window"]))]
        below = rule.kind == "count_below"
        count = sum(1 for v in vals if (v < rule["threshold"] if below else v >= rule["threshold"]))
        nums = {"count": count, "n_valid": len(vals)}
        if len(vals) < rule["min_valid"]:
            return INSUFFICIENT, nums
        return (FIRED if count >= rule["min_count"] else NOT_FIRED), nums
    if rule.kind == "spread_above":
        vals = [r[rule.metric] for r in used(window(rule["window"]))]
        if len(vals) < max(2, rule["min_valid"]):
            return INSUFFICIENT, {"n_valid": len(vals)}
        sd = statistics.stdev(vals)
        return (FIRED if sd >= rule["threshold"] else NOT_FIRED), {"n_valid": len(vals)}
    assert rule.kind == "change_vs_baseline"
    recent = [r[rule.metric] for r in used(window(rule["window"]))]
    base = [r[rule.metric] for r in used(window(rule["baseline_window"], rule["window"]))]
    nums = {"n_valid": len(recent), "n_baseline": len(base)}
    if len(recent) < rule["min_valid"] or len(base) < rule["min_baseline_valid"]:
        return INSUFFICIENT, nums
    r_mean, b_mean = statistics.fmean(recent), statistics.fmean(base)
    change = r_mean - b_mean if rule["direction"] == "rise" else b_mean - r_mean
    rel_ok = 100 * change / abs(b_mean) >= rule["min_rel_change"] if b_mean else change > 0
    fired = change >= rule["min_abs_change"] and rel_ok
    return (FIRED if fired else NOT_FIRED), nums


def newest(nights, days):
    dates = [dt.date.fromisoformat(r["night"]) for r in nights]
    dates += [dt.date.fromisoformat(r["day"]) for r in days]
    return max(dates) if dates else None


@given(records, st.sampled_from(["wearer", "clinician"]))
def test_every_finding_matches_an_independent_recount(data, audience):
    nights, days, rhythm = data
    found = evaluate(nights, days, rhythm, audience=audience, rules=RULES, topics=TOPICS)
    assert [f.rule_id for f in found] == [r.id for r in RULES]
    end = newest(nights, days)
    for rule, f in zip(RULES, found, strict=True):
        status, nums = expected(rule, nights, days, rhythm, end)
        event(f"{rule.id}: {status}")  # shown by --hypothesis-show-statistics
        assert f.status == status, (rule.id, f.numbers)
        for key, value in nums.items():
            assert f.numbers[key] == value, (rule.id, key)
        if f.fired:
            assert f.topic_ids and all(audience in TOPICS[t].audience for t in f.topic_ids)
            if "count" in f.numbers:
                assert f" {f.numbers['count']} of the last {f.numbers['window']} " in f.text
        else:
            assert f.topic_ids == ()


@given(records, st.randoms(use_true_random=False))
def test_record_order_does_not_change_findings(data, rnd: random.Random):
    nights, days, rhythm = data
    shuffled_n, shuffled_d = nights[:], days[:]
    rnd.shuffle(shuffled_n)
    rnd.shuffle(shuffled_d)
    assert evaluate(nights, days, rhythm, rules=RULES, topics=TOPICS) == evaluate(
        shuffled_n, shuffled_d, rhythm, rules=RULES, topics=TOPICS
    )


@given(
    offsets.filter(bool).flatmap(nights_for),
    st.data(),
    st.sampled_from(["se_pct", "waso_min", "midsleep_local"]),
    st.sampled_from(["90", None, math.nan, math.inf, True, [90]]),
)
def test_a_bad_value_on_a_valid_night_is_reported_with_its_date(nights, data, key, bad):
    i = data.draw(st.integers(0, len(nights) - 1))
    nights[i] = {**nights[i], "valid": True, key: bad}
    try:
        evaluate(nights, [], rules=RULES, topics=TOPICS)
    except MetricsInputError as exc:
        assert nights[i]["night"] in str(exc) and repr(key) in str(exc)
    else:
        raise AssertionError("bad value accepted")


@settings(max_examples=40, deadline=None)
@given(records)
def test_record_links_keeps_every_fired_topic_once(data):
    nights, days, rhythm = data
    found = evaluate(nights, days, rhythm, rules=RULES, topics=TOPICS, as_of=START + dt.timedelta(
        days=SPAN - 1))
    want = {(f.rule_id, t) for f in found if f.fired for t in f.topic_ids}
    with tempfile.TemporaryDirectory() as tmp:
        db = Store(Path(tmp) / "w.db")
        now = dt.datetime(2026, 2, 10, tzinfo=dt.UTC)
        assert record_links(db, "P-7", found, now=now) == len(want)
        assert record_links(db, "P-7", found, now=now) == 0
        rows = links_for_patient(db, "P-7")
        assert {(r["rule_id"], r["topic_id"]) for r in rows} == want
        texts = {f.rule_id: f.text for f in found}
        assert all(r["finding_text"] == texts[r["rule_id"]] for r in rows)
        db.close()
