"""Plain language for wearers, and no dosing, prescribing or diagnosing language."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import textstat

from wearlog.education import load_rules, load_topics
from wearlog.education.rules import KINDS

CONTENT = Path(__file__).resolve().parents[2] / "shared" / "content"
TOPICS = load_topics(CONTENT)
RULES = load_rules(CONTENT / "rules.toml", topics=TOPICS)
MAX_GRADE = 8.0

FORBIDDEN = {
    "a dose or amount": re.compile(
        r"\bdos(e|es|age|ages|ing)\b|\b\d+(\.\d+)?\s*(mg|mcg|µg|ml|iu|units?)\b", re.I
    ),
    "a schedule": re.compile(
        r"\b(once|twice|(\d+|two|three|four|five|six) times)\s+(a|per|each)\s+(day|week)\b", re.I
    ),
    "a product form": re.compile(r"\b(tablets?|pills?|capsules?|injections?)\b", re.I),
    "prescribing": re.compile(r"\bprescri(be|bed|bes|bing|ption)\b", re.I),
    "an instruction to take a drug": re.compile(
        r"\b(take|start|stop|increase|reduce|switch)\s+(taking\s+)?(your|the|this|any|an?)?\s*"
        r"(medications?|medicines?|drugs?|nsaids?|treatments?)\b", re.I,
    ),
    "advice to use something": re.compile(
        r"\byou should (take|use|try|start|stop)\b|\brecommend(s|ed)?\s+(taking|using|that you)\b",
        re.I,
    ),
    "a diagnosis": re.compile(
        r"\bdiagnos\w*|\byou (have|may have|probably have|are suffering)\b", re.I
    ),
}


def _user_facing_texts() -> list[tuple[str, str]]:
    texts = [(f"topic {t.id}", "\n".join([t.title, t.summary, t.body])) for t in TOPICS.values()]
    for r in RULES:
        texts += [(f"rule {r.id} template", r.template),
                  (f"rule {r.id} clinician_template", r.clinician_template)]
    return texts


def test_forbidden_patterns_do_catch_what_they_are_for():
    # Positive controls, or a silent regex typo would pass everything.
    samples = {
        "a dose or amount": "Take 500 mg in the evening.",
        "a schedule": "Use it twice a day, or 3 times each week.",
        "a product form": "Two tablets help.",
        "prescribing": "Your doctor may prescribe this.",
        "an instruction to take a drug": "Stop taking your medication.",
        "advice to use something": "You should try NSAIDs.",
        "a diagnosis": "This suggests you have fibromyalgia.",
    }
    for name, sample in samples.items():
        assert FORBIDDEN[name].search(sample), name


@pytest.mark.parametrize(("where", "text"), _user_facing_texts())
def test_no_dosing_prescribing_or_diagnosing_language(where, text):
    flat = " ".join(text.split())
    for name, pattern in FORBIDDEN.items():
        match = pattern.search(flat)
        assert match is None, f"{where} contains {name}: {match.group(0)!r}"


@pytest.mark.parametrize(
    "path", sorted(p for p in CONTENT.rglob("*") if p.is_file()), ids=lambda p: p.name
)
def test_no_content_file_has_dosing_or_prescribing_language(path):
    # Whole files, comments and rationales included. (Notes about the content
    # may say "not a diagnosis", so the diagnosis pattern is left to the
    # user-facing test above.)
    flat = " ".join(path.read_text(encoding="utf-8").split())
    for name in ("a dose or amount", "a schedule", "a product form", "prescribing",
                 "an instruction to take a drug", "advice to use something"):
        match = FORBIDDEN[name].search(flat)
        assert match is None, f"{path.name} contains {name}: {match.group(0)!r}"


@pytest.mark.parametrize("topic_id", sorted(t for t in TOPICS if "wearer" in TOPICS[t].audience))
def test_wearer_summary_is_plain_language(topic_id):
    grade = textstat.flesch_kincaid_grade(TOPICS[topic_id].summary)
    assert grade <= MAX_GRADE, f"{topic_id} summary reads at grade {grade:.1f}; simplify it"


@pytest.mark.parametrize("rule_id", [r.id for r in RULES])
def test_wearer_finding_sentence_is_plain_language(rule_id):
    rule = next(r for r in RULES if r.id == rule_id)
    sample = {k: 7 for k in KINDS[rule.kind].placeholders}
    sentence = rule.template.format(**sample)
    grade = textstat.flesch_kincaid_grade(sentence)
    assert grade <= MAX_GRADE, f"{rule_id} wearer sentence reads at grade {grade:.1f}"
