"""Educational content from the fibromyalgia article, and data -> topic links.

Typical use (report, dashboard, exports):

    findings = evaluate(nights, days, rhythm, audience="wearer")
    print(render_findings(findings, audience="wearer"))  # or build your own view:
    for item in linked_topics(findings):
        show(render_topic(item.topic), why=[f.text for f in item.findings])
    record_links(db, patient_id, findings)
    show(DISCLAIMER)  # every view that shows content

Content lives in shared/content (topics/*.md, sections.toml, rules.toml).
"""

from __future__ import annotations

from .errors import ContentError, EducationError, LinkStoreError, MetricsInputError, RuleError
from .evaluate import (
    FIRED,
    INSUFFICIENT,
    NOT_FIRED,
    Finding,
    LinkedTopic,
    evaluate,
    linked_topics,
)
from .links import TABLE, links_for_patient, record_links
from .render import render_findings
from .rules import Rule, load_rules
from .topics import (
    DISCLAIMER,
    Section,
    Topic,
    content_dir,
    load_sections,
    load_topics,
    render_topic,
)

__all__ = [
    "DISCLAIMER", "FIRED", "INSUFFICIENT", "NOT_FIRED", "TABLE",
    "ContentError", "EducationError", "Finding", "LinkStoreError", "LinkedTopic",
    "MetricsInputError", "Rule", "RuleError", "Section", "Topic",
    "content_dir", "evaluate", "linked_topics", "links_for_patient", "load_rules",
    "load_sections", "load_topics", "record_links", "render_findings", "render_topic",
]
