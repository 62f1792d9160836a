"""Topics stay faithful to the article: own words, and claims found where cited.

Reads the article from ../shared/article.txt (outside the repository); skips
with a reason if it is absent.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from wearlog.education import load_sections, load_topics

ROOT = Path(__file__).resolve().parents[2]
CONTENT = ROOT / "shared" / "content"
ARTICLE = ROOT.parent / "shared" / "article.txt"
RUN = 8  # words in a row shared with the article that count as copying

pytestmark = pytest.mark.skipif(
    not ARTICLE.is_file(), reason=f"source article not found at {ARTICLE} (kept outside the repo)"
)

TOPICS = load_topics(CONTENT)
SECTIONS = load_sections(CONTENT)
_SPELLING = [("’", "'"), ("isation", "ization"), ("ised", "ized"), ("ising", "izing"),
             ("behaviour", "behavior"), ("tumour", "tumor")]


def normalise(text: str) -> str:
    """Lower case, one spacing, US spelling: so British wording cannot hide a copy."""
    text = " ".join(text.lower().split())
    for british, american in _SPELLING:
        text = text.replace(british, american)
    return text


def words(text: str) -> list[str]:
    return re.findall(r"[\w'-]+", normalise(text))


def runs(tokens: list[str], n: int = RUN) -> set[tuple[str, ...]]:
    return {tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)}


def paragraphs() -> list[str]:
    return [p.strip() for p in re.split(r"\n\s*\n", ARTICLE.read_text(encoding="utf-8"))]


def article_runs() -> set[tuple[str, ...]]:
    return runs(words(ARTICLE.read_text(encoding="utf-8")))


def shared_runs(text: str) -> list[str]:
    found = runs(words(text)) & article_runs()
    return sorted(" ".join(r) for r in found)


def test_copy_detector_catches_a_copied_sentence():
    # Positive control: a real article sentence must be flagged, or the check is void.
    copied = paragraphs()[5].split(". ")[1]
    assert shared_runs(f"Some words of ours. {copied}. More of ours.")
    assert not shared_runs("Fibromyalgia is studied by many people in many places today.")


@pytest.mark.parametrize("topic_id", sorted(TOPICS))
def test_topic_shares_no_long_verbatim_run_with_the_article(topic_id):
    t = TOPICS[topic_id]
    text = "\n".join([t.title, t.summary, t.body])
    assert shared_runs(text) == [], f"{t.path.name} copies the article; reword it"


def test_sections_still_match_the_article_paragraphs():
    paras = paragraphs()
    for section in SECTIONS.values():
        if section.paragraph is None:
            continue
        para = normalise(paras[section.paragraph])
        for term in section.anchor_terms:
            assert normalise(term) in para, (section.id, term)


@pytest.mark.parametrize(
    "topic_id", sorted(t for t in TOPICS if "wearlog" not in TOPICS[t].source_section)
)
def test_key_terms_appear_in_the_topic_and_in_the_section_it_cites(topic_id):
    t = TOPICS[topic_id]
    paras = paragraphs()
    cited = " ".join(normalise(paras[SECTIONS[s].paragraph]) for s in t.source_section)
    mine = normalise(" ".join([t.summary, t.body]))
    for term in t.key_terms:
        assert normalise(term) in mine, f"{t.id}: key term {term!r} not in the topic"
        assert normalise(term) in cited, (
            f"{t.id}: key term {term!r} is not in the cited section(s) {t.source_section}"
        )


def test_article_hedges_are_kept():
    """Claims the article hedges stay hedged in the topic that reports them."""
    hedged = {
        "immune-system-link": ["may", "not as a known cause"],
        "inflammation-and-sensitisation": ["may", "not a proven one"],
        "cytokines": ["could", "does not say that they cause"],
        "immune-cells": ["may"],
        "oxidative-stress": ["might", "not a proven cause"],
        "anti-inflammatory-drugs": ["differ from one person to the next", "careful evaluation"],
        "immunomodulators": ["more studies are needed", "efficacy", "safety"],
        "evolving-research": ["more studies are needed", "not settled facts"],
    }
    for topic_id, phrases in hedged.items():
        text = " ".join(TOPICS[topic_id].body.split())
        for phrase in phrases:
            assert phrase in text, (topic_id, phrase)


def test_no_invented_citations_in_any_content_file():
    files = [*CONTENT.glob("topics/*.md"), CONTENT / "PROVENANCE.md", CONTENT / "rules.toml"]
    citation = re.compile(r"https?://|doi\.org|\bdoi:|\bet al\b|\(\s*(19|20)\d\d\s*\)|\bpmid\b",
                          re.I)
    for path in files:
        assert not citation.search(path.read_text(encoding="utf-8")), path.name
    assert "[Insert sources here]" in ARTICLE.read_text(encoding="utf-8")
