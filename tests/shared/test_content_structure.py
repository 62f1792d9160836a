"""shared/content: every topic and rule is complete and refers to real things."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wearlog.education import (
    ContentError,
    RuleError,
    load_rules,
    load_sections,
    load_topics,
    render_topic,
)
from wearlog.education.metrics import metric_keys
from wearlog.education.rules import parse_rule
from wearlog.education.topics import AUDIENCES, DISCLAIMER, content_dir

CONTENT = Path(__file__).resolve().parents[2] / "shared" / "content"
TOPICS = load_topics(CONTENT)
SECTIONS = load_sections(CONTENT)
RULES = load_rules(CONTENT / "rules.toml", topics=TOPICS)


def test_default_content_dir_is_this_checkout():
    assert content_dir() == CONTENT


def test_content_dir_env_override_missing_folder_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("WEARLOG_CONTENT_DIR", str(tmp_path / "nope"))
    with pytest.raises(ContentError, match="WEARLOG_CONTENT_DIR"):
        load_topics()


def test_there_are_topics_and_rules():
    assert len(TOPICS) >= 12
    assert len(RULES) >= 8


@pytest.mark.parametrize("topic_id", sorted(TOPICS))
def test_topic_has_every_required_field(topic_id):
    t = TOPICS[topic_id]
    assert t.id == t.path.stem
    assert t.title.strip() and t.summary.strip() and t.body.strip()
    assert len(t.summary) < 220, "summary should be one short line"
    assert t.audience and set(t.audience) <= set(AUDIENCES)
    assert t.source_section and set(t.source_section) <= set(SECTIONS)
    for metric in t.related_metrics:
        assert any(metric in metric_keys(s) for s in ("nights", "days", "rhythm")), metric


@pytest.mark.parametrize("topic_id", sorted(TOPICS))
def test_article_topics_name_key_terms(topic_id):
    t = TOPICS[topic_id]
    if "wearlog" in t.source_section:
        assert t.source_section == ("wearlog",)
        assert "not part of the fibromyalgia article" in t.body
    else:
        assert len(t.key_terms) >= 2


def test_every_article_section_is_covered_by_a_topic():
    cited = {s for t in TOPICS.values() for s in t.source_section}
    article_sections = {s.id for s in SECTIONS.values() if s.paragraph is not None}
    assert article_sections - {"sources"} <= cited


REQUIRED_CONCEPTS = [
    "widespread pain", "fatigue", "sleep", "low-grade", "systemic inflammation",
    "central sensitisation", "IL-6", "TNF-α", "lymphocytes", "macrophages",
    "oxidative stress", "cytokine inhibitors", "NSAIDs", "side effects",
    "interferon alpha", "cytokine modulators", "further research", "physical therapy",
    "cognitive behavioural therapy", "occupational therapy", "stress management",
    "personalised", "multidisciplinary", "evolving",
]


@pytest.mark.parametrize("concept", REQUIRED_CONCEPTS)
def test_article_concept_is_covered(concept):
    text = " ".join(t.summary + " " + t.body for t in TOPICS.values()).lower()
    text = re.sub(r"\s+", " ", text)
    if concept == "further research":
        assert "more studies are needed" in text or "further studies" in text
    else:
        assert concept.lower() in text


def test_drug_topics_are_for_clinicians_framed_as_research_and_never_linked():
    drug = [t for t in TOPICS.values() if "drug-treatments" in t.source_section]
    assert {t.id for t in drug} == {"anti-inflammatory-drugs", "immunomodulators"}
    for t in drug:
        assert t.audience == ("clinician",)
        assert t.linkable is False
        assert re.search(r"studied|under study", t.title)
        assert "never links it to a patient's data" in " ".join(t.body.split())
    drug_names = re.compile(r"nsaid|interferon|inhibitor|immunomodulat", re.I)
    for t in TOPICS.values():
        if "wearer" in t.audience:
            assert not drug_names.search(t.summary + t.body), t.id


def test_every_rule_refers_to_existing_topics_and_metrics():
    ids = [r.id for r in RULES]
    assert len(ids) == len(set(ids))
    for rule in RULES:
        assert rule.metric in metric_keys(rule.series)
        assert rule.topics and set(rule.topics) <= set(TOPICS)
        assert all(TOPICS[t].linkable for t in rule.topics)
        assert any("wearer" in TOPICS[t].audience for t in rule.topics)
        assert len(rule.rationale.split()) >= 20, f"{rule.id}: explain the thresholds"


def test_rules_cover_the_findings_the_brief_asks_for():
    by_metric = {(r.metric, r.kind) for r in RULES}
    assert ("se_pct", "count_below") in by_metric
    assert ("waso_min", "change_vs_baseline") in by_metric
    assert ("steps", "change_vs_baseline") in by_metric
    assert ("mvpa_min", "change_vs_baseline") in by_metric
    assert ("sedentary_min", "count_at_least") in by_metric
    assert ("midsleep_local", "spread_above") in by_metric
    assert ("high_severity_events", "count_at_least") in by_metric
    assert ("valid", "count_not_valid") in by_metric


def test_render_topic_always_carries_the_disclaimer():
    for t in TOPICS.values():
        for audience in t.audience:
            md = render_topic(t, audience)
            assert md.startswith(f"# {t.title}")
            assert DISCLAIMER in md
    with pytest.raises(ContentError, match="not written for the wearer"):
        render_topic(TOPICS["immunomodulators"], "wearer")
    with pytest.raises(ContentError, match="unknown audience"):
        render_topic(TOPICS["cytokines"], "patient")


def test_disclaimer_says_educational_not_advice_and_to_ask_a_clinician():
    assert "educational" in DISCLAIMER
    assert "not medical advice" in DISCLAIMER
    assert "clinician" in DISCLAIMER


# --- malformed content gives a specific error naming the file ----------------

GOOD = (CONTENT / "topics" / "cytokines.md").read_text()


def _content_copy(tmp_path: Path, name: str, text: str) -> Path:
    folder = tmp_path / "content"
    (folder / "topics").mkdir(parents=True)
    shutil.copy(CONTENT / "sections.toml", folder / "sections.toml")
    (folder / "topics" / name).write_text(text)
    return folder


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("cytokines.md", GOOD.replace("+++", "---"), "must start with a '\\+\\+\\+' line"),
        ("cytokines.md", GOOD.rsplit("+++", 1)[0], "never closed"),
        ("cytokines.md", re.sub(r"(?m)^summary = .*$", "", GOOD), "non-empty 'summary'"),
        ("other.md", GOOD, "must match the file name"),
        ("cytokines.md", GOOD.replace('"wearer", ', '"patient", '), "unknown audience"),
        ("cytokines.md", GOOD.replace('["cytokines"]', '["chapter-9"]'), "not declared"),
        ("cytokines.md", GOOD.replace("related_metrics = []", 'related_metrics = ["hrv"]'),
         "unknown related_metrics"),
        ("cytokines.md", GOOD.split("+++\n", 2)[0] + "+++\n" + GOOD.split("+++\n", 2)[1]
         + "+++\n\n", "no body text"),
        ("cytokines.md", GOOD.replace("audience = [", "audience = = ["), "not valid TOML"),
    ],
)
def test_malformed_topic_is_rejected_with_its_path(tmp_path, name, text, message):
    folder = _content_copy(tmp_path, name, text)
    with pytest.raises(ContentError, match=message) as err:
        load_topics(folder)
    assert name in str(err.value)


def test_malformed_sections_file_is_an_error(tmp_path):
    folder = tmp_path / "c"
    folder.mkdir()
    (folder / "sections.toml").write_text("section = 'x'\n")
    with pytest.raises(ContentError, match="\\[\\[section\\]\\] tables"):
        load_sections(folder)
    (folder / "sections.toml").write_text("[[section]]\nid = 'a'\n")
    with pytest.raises(ContentError, match="needs a paragraph number"):
        load_sections(folder)
    (folder / "sections.toml").write_text("x = 1\n")
    with pytest.raises(ContentError, match="declares no"):
        load_sections(folder)


def test_empty_topics_folder_is_an_error(tmp_path):
    folder = tmp_path / "c"
    (folder / "topics").mkdir(parents=True)
    shutil.copy(CONTENT / "sections.toml", folder / "sections.toml")
    with pytest.raises(ContentError, match="no topic files"):
        load_topics(folder)


# --- malformed rules give a specific RuleError -----------------------------------

BASE_RULE = {
    "id": "test_rule", "label": "Sleep efficiency", "series": "nights", "metric": "se_pct",
    "kind": "count_below", "threshold": 85.0, "window": 7, "min_count": 3, "min_valid": 4,
    "topics": ["sleep-disturbance"], "template": "Below {threshold:g} % on {count} nights.",
    "clinician_template": "SE < {threshold:g} % on {count}/{n_valid}.",
    "rationale": "A rationale long enough to explain why the numbers are what they are.",
}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"id": "Bad Id"}, "lower_snake_case"),
        ({"kind": "magic"}, "unknown kind"),
        ({"series": "rhythm"}, "works on series"),
        ({"metric": "hrv"}, "not a nights metric"),
        ({"topics": ["no-such-topic"]}, "unknown topic"),
        ({"topics": ["anti-inflammatory-drugs"]}, "linkable = false"),
        ({"topics": []}, "non-empty list"),
        ({"template": "On {count} of {days} nights"}, "does not provide"),
        ({"template": "{count:.2q}"}, "bad format spec"),
        ({"template": "{count"}, "unbalanced braces"),
        ({"treshold": 80}, "unknown setting"),
        ({"min_count": 9}, "cannot exceed window"),
        ({"window": 0}, "whole number of 1 or more"),
        ({"window": 7.5}, "whole number"),
        ({"threshold": -1}, "0 or more"),
        ({"threshold": "85"}, "0 or more"),
        ({"rationale": "too short"}, "rationale"),
        ({"label": ""}, "label"),
    ],
)
def test_malformed_rule_is_rejected(change, message):
    raw = {**BASE_RULE, **change}
    with pytest.raises(RuleError, match=message):
        parse_rule("rules.toml rule #1", raw, TOPICS)


def test_missing_setting_for_kind_is_named():
    raw = {k: v for k, v in BASE_RULE.items() if k != "min_valid"}
    with pytest.raises(RuleError, match="needs min_valid"):
        parse_rule("r", raw, TOPICS)


def test_base_rule_itself_is_valid():
    rule = parse_rule("r", BASE_RULE, TOPICS)
    assert rule.params["threshold"] == 85.0 and rule.params["include_invalid"] is False


def test_rules_file_level_errors(tmp_path):
    bad = tmp_path / "rules.toml"
    bad.write_text("[[rule]\n")
    with pytest.raises(RuleError, match="not valid TOML"):
        load_rules(bad, topics=TOPICS)
    bad.write_text("rule = [1, 2]\n")
    with pytest.raises(RuleError, match="must be \\[\\[rule\\]\\] tables"):
        load_rules(bad, topics=TOPICS)
    bad.write_text("rule = []\n")
    with pytest.raises(RuleError, match="no \\[\\[rule\\]\\]"):
        load_rules(bad, topics=TOPICS)
    bad.write_text("title = 'no rules'\n")
    with pytest.raises(RuleError, match="no \\[\\[rule\\]\\]"):
        load_rules(bad, topics=TOPICS)
    with pytest.raises(RuleError, match="not found"):
        load_rules(tmp_path / "missing.toml", topics=TOPICS)
    text = (CONTENT / "rules.toml").read_text()
    start = text.index("\n[[rule]]\n")
    first = text[start : text.index("\n[[rule]]\n", start + 1)]
    bad.write_text(first + first)
    with pytest.raises(RuleError, match="used twice"):
        load_rules(bad, topics=TOPICS)


def test_overrides_change_thresholds_and_are_validated():
    rules = load_rules(CONTENT / "rules.toml", topics=TOPICS,
                       overrides={"low_sleep_efficiency": {"threshold": 80}})
    se = next(r for r in rules if r.id == "low_sleep_efficiency")
    assert se["threshold"] == 80.0
    with pytest.raises(RuleError, match="unknown rule"):
        load_rules(CONTENT / "rules.toml", topics=TOPICS, overrides={"nope": {"window": 3}})
    with pytest.raises(RuleError, match="not identity"):
        load_rules(CONTENT / "rules.toml", topics=TOPICS,
                   overrides={"low_sleep_efficiency": {"metric": "waso_min"}})
    with pytest.raises(RuleError, match="0 or more"):
        load_rules(CONTENT / "rules.toml", topics=TOPICS,
                   overrides={"low_sleep_efficiency": {"threshold": -5}})


def test_provenance_says_the_article_lists_no_sources():
    text = (CONTENT / "PROVENANCE.md").read_text()
    assert "[Insert sources here]" in text
    assert "The article lists no sources." in text
    assert "have not added any citation" in text


# --- parsers never fail with anything but their own errors -----------------------

_front_values = st.one_of(
    st.text(max_size=30), st.integers(), st.booleans(), st.lists(st.text(max_size=12), max_size=3)
)


@settings(max_examples=150,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(
    st.dictionaries(
        st.sampled_from(["id", "title", "summary", "audience", "related_metrics",
                         "source_section", "key_terms", "linkable", "extra"]),
        _front_values,
    ),
    st.text(max_size=200),
    st.booleans(),
)
def test_topic_parser_accepts_or_raises_content_error(tmp_path_factory, meta, body, good_base):
    import json

    base = {"id": "t", "title": "T", "summary": "S.", "audience": ["wearer"],
            "related_metrics": [], "source_section": ["condition"], "key_terms": []}
    fields = {**base, **meta} if good_base else meta
    front = "\n".join(f"{k} = {json.dumps(v)}" for k, v in fields.items())
    folder = _content_copy(tmp_path_factory.mktemp("c"), "t.md", f"+++\n{front}\n+++\n{body}")
    try:
        topics = load_topics(folder)
    except ContentError as exc:
        assert "t.md" in str(exc) or "content" in str(exc)
    else:
        assert set(topics) == {"t"} and topics["t"].body.strip()


@given(st.dictionaries(st.sampled_from(sorted(BASE_RULE) + ["direction", "baseline_window",
                                                             "include_invalid", "min_present"]),
                       _front_values | st.floats(allow_nan=True)))
def test_rule_parser_accepts_or_raises_rule_error(change):
    try:
        rule = parse_rule("r", {**BASE_RULE, **change}, TOPICS)
    except RuleError:
        pass
    else:
        assert rule.id == change.get("id", BASE_RULE["id"])
        assert set(rule.topics) <= set(TOPICS)


def test_no_rule_links_an_immune_mechanism_topic():
    # The logger measures movement and button presses, no immune marker; a link
    # from data to a mechanism topic could read as "your data shows inflammation".
    mechanism = {"immune-system-link", "inflammation-and-sensitisation", "cytokines",
                 "immune-cells", "oxidative-stress"}
    assert mechanism <= set(TOPICS)
    for rule in RULES:
        assert not set(rule.topics) & mechanism, rule.id
