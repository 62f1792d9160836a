"""Educational topics: Markdown files with TOML front matter in shared/content.

Content is data kept next to the protocol in shared/, so clinicians and
writers can edit it without touching code; this module loads and checks it.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..resources import shipped_content
from .errors import ContentError
from .metrics import DAY_KEYS, NIGHT_KEYS, RHYTHM_KEYS

AUDIENCES = ("wearer", "clinician")
ALL_METRICS = frozenset(NIGHT_KEYS + DAY_KEYS + RHYTHM_KEYS) - {"night", "day"}
FENCE = "+++"

DISCLAIMER = (
    "This is educational information, not medical advice: Wearlog does not "
    "diagnose or treat, so please discuss anything here with your clinician."
)


def content_dir() -> Path:
    """shared/content as installed (or of this checkout), or $WEARLOG_CONTENT_DIR if set."""
    env = os.environ.get("WEARLOG_CONTENT_DIR")
    path = Path(env) if env else shipped_content()
    if not path.is_dir():
        raise ContentError(
            f"educational content folder not found at {path}; set WEARLOG_CONTENT_DIR "
            "to the folder holding topics/, sections.toml and rules.toml"
        )
    return path


@dataclass(frozen=True)
class Section:
    """A part of the source article (one paragraph) that topics cite."""

    id: str
    label: str
    paragraph: int | None  # None: not from the article (Wearlog's own guidance)
    anchor_terms: tuple[str, ...]


@dataclass(frozen=True)
class Topic:
    """One educational topic as written in its Markdown file."""

    id: str
    title: str
    summary: str
    audience: tuple[str, ...]
    related_metrics: tuple[str, ...]
    source_section: tuple[str, ...]
    key_terms: tuple[str, ...]
    linkable: bool  # False: may never be linked to a person's data (drug topics)
    body: str
    path: Path

    def for_audience(self, audience: str) -> bool:
        return audience in self.audience


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ContentError(f"{path}: file not found") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ContentError(f"{path}: not valid TOML ({exc})") from exc


def load_sections(folder: Path | None = None) -> dict[str, Section]:
    """The article sections declared in sections.toml, by id."""
    path = (folder or content_dir()) / "sections.toml"
    data = _read_toml(path)
    raw_sections = data.get("section", [])
    if not isinstance(raw_sections, list) or not all(isinstance(s, dict) for s in raw_sections):
        raise ContentError(f"{path}: sections must be [[section]] tables")
    sections: dict[str, Section] = {}
    for i, raw in enumerate(raw_sections):
        sid = raw.get("id")
        if not isinstance(sid, str) or not sid:
            raise ContentError(f"{path}: section #{i + 1} has no id")
        external = raw.get("external", False) is True
        para = raw.get("paragraph")
        if not external and (not isinstance(para, int) or isinstance(para, bool) or para < 0):
            raise ContentError(f"{path}: section {sid!r} needs a paragraph number (0 or more)")
        if sid in sections:
            raise ContentError(f"{path}: section id {sid!r} is declared twice")
        sections[sid] = Section(
            id=sid,
            label=str(raw.get("label", sid)),
            paragraph=None if external else para,
            anchor_terms=tuple(raw.get("anchor_terms", ())),
        )
    if not sections:
        raise ContentError(f"{path}: declares no [[section]]")
    return sections


def _split_front_matter(path: Path, text: str) -> tuple[dict[str, Any], str]:
    lines = text.splitlines()
    if not lines or lines[0].strip() != FENCE:
        raise ContentError(f"{path}: must start with a '{FENCE}' line opening TOML front matter")
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == FENCE)
    except StopIteration:
        raise ContentError(f"{path}: front matter is never closed by a '{FENCE}' line") from None
    try:
        meta = tomllib.loads("\n".join(lines[1:end]))
    except tomllib.TOMLDecodeError as exc:
        raise ContentError(f"{path}: front matter is not valid TOML ({exc})") from exc
    return meta, "\n".join(lines[end + 1 :]).strip() + "\n"


def _str_list(path: Path, meta: dict[str, Any], key: str, *, empty_ok: bool) -> tuple[str, ...]:
    value = meta.get(key)
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ContentError(f"{path}: {key!r} must be a list of strings")
    if not value and not empty_ok:
        raise ContentError(f"{path}: {key!r} must not be empty")
    return tuple(value)


def parse_topic(path: Path, sections: dict[str, Section]) -> Topic:
    """Read and check one topic file."""
    meta, body = _split_front_matter(path, path.read_text(encoding="utf-8"))
    for key in ("id", "title", "summary"):
        if not isinstance(meta.get(key), str) or not meta[key].strip():
            raise ContentError(f"{path}: front matter needs a non-empty {key!r}")
    if meta["id"] != path.stem:
        raise ContentError(f"{path}: id {meta['id']!r} must match the file name {path.stem!r}")
    audience = _str_list(path, meta, "audience", empty_ok=False)
    if unknown := set(audience) - set(AUDIENCES):
        raise ContentError(f"{path}: unknown audience {sorted(unknown)}; use {list(AUDIENCES)}")
    metrics = _str_list(path, meta, "related_metrics", empty_ok=True)
    if unknown := set(metrics) - ALL_METRICS:
        raise ContentError(f"{path}: unknown related_metrics {sorted(unknown)}")
    source = _str_list(path, meta, "source_section", empty_ok=False)
    if unknown := set(source) - set(sections):
        raise ContentError(
            f"{path}: source_section {sorted(unknown)} is not declared in sections.toml"
        )
    linkable = meta.get("linkable", True)
    if not isinstance(linkable, bool):
        raise ContentError(f"{path}: 'linkable' must be true or false")
    if not body.strip():
        raise ContentError(f"{path}: has front matter but no body text")
    return Topic(
        id=meta["id"],
        title=meta["title"].strip(),
        summary=meta["summary"].strip(),
        audience=audience,
        related_metrics=metrics,
        source_section=source,
        key_terms=_str_list(path, meta, "key_terms", empty_ok=True),
        linkable=linkable,
        body=body,
        path=path,
    )


def load_topics(folder: Path | None = None) -> dict[str, Topic]:
    """Every topic in <content>/topics, by id, in file-name order."""
    folder = folder or content_dir()
    sections = load_sections(folder)
    files = sorted((folder / "topics").glob("*.md"))
    if not files:
        raise ContentError(f"{folder / 'topics'}: no topic files (*.md) found")
    return {t.id: t for t in (parse_topic(p, sections) for p in files)}


def render_topic(topic: Topic, audience: str = "wearer") -> str:
    """Markdown for showing a topic: title, summary, body and the disclaimer.

    Views should show topics through this so none can forget the disclaimer.
    """
    if audience not in AUDIENCES:
        raise ContentError(f"unknown audience {audience!r}; use one of {list(AUDIENCES)}")
    if not topic.for_audience(audience):
        raise ContentError(f"topic {topic.id!r} is not written for the {audience} view")
    return f"# {topic.title}\n\n*{topic.summary}*\n\n{topic.body}\n> {DISCLAIMER}\n"
