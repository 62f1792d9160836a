"""Text blocks for views that show findings with their linked topics.

The report, dashboard and exports can use these as they are; either way the
block ends with the disclaimer, so no view shows content without it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .errors import EducationError
from .evaluate import INSUFFICIENT, Finding, linked_topics
from .topics import AUDIENCES, DISCLAIMER, Topic, load_topics


def render_findings(
    findings: Sequence[Finding],
    topics: Mapping[str, Topic] | None = None,
    *,
    audience: str = "wearer",
) -> str:
    """Markdown: what was found, what to read about it, what lacked data, disclaimer.

    Wearers see the topics with the findings that led to them; clinicians also
    see each rule id, so they can tell which finding triggered which topic.
    """
    if audience not in AUDIENCES:
        raise EducationError(f"unknown audience {audience!r}; use one of {list(AUDIENCES)}")
    topics = topics if topics is not None else load_topics()
    lines: list[str] = []
    items = linked_topics(findings, topics)
    if items:
        lines.append("## Worth reading about")
        for item in items:
            lines += ["", f"### {item.topic.title}", item.topic.summary, "", "Why this is shown:"]
            for f in item.findings:
                tag = f" ({f.rule_id})" if audience == "clinician" else ""
                lines.append(f"- {f.text}{tag}")
    else:
        lines.append("Nothing in this period linked to a topic.")
    short = [f for f in findings if f.status == INSUFFICIENT]
    if short:
        lines += ["", "## Not enough data to check"]
        lines += [f"- {f.text}" for f in short]
    lines += ["", f"> {DISCLAIMER}", ""]
    return "\n".join(lines)
