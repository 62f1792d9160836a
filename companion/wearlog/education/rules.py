"""Linking rules: data in shared/content/rules.toml, checked on load.

A rule picks one of a few generic checks (its `kind`) and fills in the
numbers; the evaluator has one branch per kind, never one per rule, so a new
finding is a TOML edit that this module validates.
"""

from __future__ import annotations

import re
import string
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from .errors import RuleError
from .metrics import SERIES, metric_keys
from .topics import Topic, content_dir, load_topics

COMMON_KEYS = frozenset(
    {"id", "label", "series", "metric", "kind", "topics", "template",
     "clinician_template", "rationale"}
)
INT_PARAMS = frozenset(
    {"window", "min_count", "min_valid", "baseline_window", "min_baseline_valid", "min_present"}
)
NUM_PARAMS = frozenset({"threshold", "min_abs_change", "min_rel_change"})


@dataclass(frozen=True)
class KindSpec:
    required: frozenset[str]
    optional: frozenset[str]
    series: frozenset[str]
    placeholders: frozenset[str]


_COUNT = KindSpec(
    required=frozenset({"threshold", "window", "min_count", "min_valid"}),
    optional=frozenset({"include_invalid"}),
    series=frozenset({"nights", "days"}),
    placeholders=frozenset(
        {"count", "n_valid", "window", "threshold", "threshold_hours", "total",
         "min_count", "min_valid"}
    ),
)
KINDS: dict[str, KindSpec] = {
    "count_below": _COUNT,
    "count_at_least": _COUNT,
    "count_not_valid": KindSpec(
        required=frozenset({"window", "min_count", "min_present"}),
        optional=frozenset(),
        series=frozenset({"nights", "days"}),
        placeholders=frozenset({"count", "window", "n_present", "min_count"}),
    ),
    "change_vs_baseline": KindSpec(
        required=frozenset(
            {"direction", "window", "baseline_window", "min_valid", "min_baseline_valid",
             "min_abs_change", "min_rel_change"}
        ),
        optional=frozenset(),
        series=frozenset({"nights", "days"}),
        placeholders=frozenset(
            {"recent", "baseline", "change", "change_pct", "n_valid", "n_baseline",
             "window", "baseline_window"}
        ),
    ),
    "spread_above": KindSpec(
        required=frozenset({"threshold", "window", "min_valid"}),
        optional=frozenset(),
        series=frozenset({"nights", "days"}),
        placeholders=frozenset({"sd", "mean", "n_valid", "window", "threshold", "threshold_hours"}),
    ),
    "rhythm_below": KindSpec(
        required=frozenset({"threshold", "min_valid"}),
        optional=frozenset(),
        series=frozenset({"rhythm"}),
        placeholders=frozenset({"value", "threshold", "n_valid", "min_valid"}),
    ),
}
PLACEHOLDERS = {kind: spec.placeholders for kind, spec in KINDS.items()}
_INT_NUMBERS = frozenset(
    {"count", "n_valid", "window", "n_present", "min_count", "min_valid", "n_baseline",
     "baseline_window"}
)
_ID = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class Rule:
    """One validated linking rule."""

    id: str
    label: str
    series: str
    metric: str
    kind: str
    topics: tuple[str, ...]
    template: str
    clinician_template: str
    rationale: str
    params: Mapping[str, Any]

    def __getitem__(self, key: str) -> Any:
        return self.params[key]

    @property
    def unit(self) -> str:
        return SERIES[self.series][2]


def _check_template(where: str, kind: str, template: object, key: str) -> str:
    if not isinstance(template, str) or not template.strip():
        raise RuleError(f"{where}: {key!r} must be a non-empty sentence")
    allowed = KINDS[kind].placeholders
    try:
        fields = [f for _, f, _, _ in string.Formatter().parse(template) if f is not None]
    except ValueError as exc:
        raise RuleError(f"{where}: {key!r} has unbalanced braces ({exc})") from exc
    for field in fields:
        if field not in allowed:
            raise RuleError(
                f"{where}: {key!r} uses {{{field}}}, which a {kind} rule does not provide; "
                f"available: {', '.join(sorted(allowed))}"
            )
    sample = {k: (7 if k in _INT_NUMBERS else 1234.5) for k in allowed}
    try:
        template.format(**sample)
    except (ValueError, TypeError) as exc:
        raise RuleError(f"{where}: {key!r} has a bad format spec ({exc})") from exc
    return template


def _check_params(where: str, kind: str, raw: dict[str, Any]) -> dict[str, Any]:
    spec = KINDS[kind]
    given = set(raw) - COMMON_KEYS
    if missing := spec.required - given:
        raise RuleError(f"{where}: a {kind} rule needs {', '.join(sorted(missing))}")
    if unknown := given - spec.required - spec.optional:
        raise RuleError(
            f"{where}: unknown setting(s) {', '.join(sorted(unknown))} for a {kind} rule "
            f"(allowed: {', '.join(sorted(spec.required | spec.optional))})"
        )
    params: dict[str, Any] = {}
    for key in sorted(given):
        value = raw[key]
        if key in INT_PARAMS:
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise RuleError(
                    f"{where}: {key} must be a whole number of 1 or more, got {value!r}"
                )
        elif key in NUM_PARAMS:
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise RuleError(f"{where}: {key} must be a number of 0 or more, got {value!r}")
            value = float(value)
        elif key == "direction":
            if not isinstance(value, str) or value not in ("rise", "fall"):
                raise RuleError(f"{where}: direction must be 'rise' or 'fall', got {value!r}")
        elif key == "include_invalid" and not isinstance(value, bool):
            raise RuleError(f"{where}: include_invalid must be true or false")
        params[key] = value
    for small, big in (("min_count", "window"), ("min_valid", "window"),
                       ("min_present", "window"), ("min_baseline_valid", "baseline_window")):
        if small in params and big in params and params[small] > params[big]:
            raise RuleError(
                f"{where}: {small} ({params[small]}) cannot exceed {big} ({params[big]})"
            )
    params.setdefault("include_invalid", False)
    return params


def parse_rule(where: str, raw: Mapping[str, Any], topics: Mapping[str, Topic]) -> Rule:
    """Check one [[rule]] table against the kinds, metrics and topics."""
    rid = raw.get("id")
    if not isinstance(rid, str) or not _ID.match(rid):
        raise RuleError(f"{where}: id must be lower_snake_case text, got {rid!r}")
    where = f"{where} ({rid})"
    kind = raw.get("kind")
    if not isinstance(kind, str) or kind not in KINDS:
        raise RuleError(f"{where}: unknown kind {kind!r}; use one of {', '.join(KINDS)}")
    series = raw.get("series")
    if not isinstance(series, str) or series not in KINDS[kind].series:
        raise RuleError(
            f"{where}: a {kind} rule works on series {sorted(KINDS[kind].series)}, got {series!r}"
        )
    metric = raw.get("metric")
    if not isinstance(metric, str) or metric not in metric_keys(series):
        raise RuleError(f"{where}: {metric!r} is not a {series} metric")
    if kind == "count_not_valid" and metric != "valid":
        raise RuleError(f"{where}: a count_not_valid rule must use metric 'valid'")
    linked = raw.get("topics")
    if not isinstance(linked, list) or not linked or not all(isinstance(t, str) for t in linked):
        raise RuleError(f"{where}: topics must be a non-empty list of topic ids")
    for tid in linked:
        if tid not in topics:
            raise RuleError(f"{where}: links unknown topic {tid!r}")
        if not topics[tid].linkable:
            raise RuleError(
                f"{where}: topic {tid!r} is marked linkable = false (e.g. a drug topic) and "
                "must never be linked to a person's data"
            )
    label = raw.get("label")
    if not isinstance(label, str) or not label.strip():
        raise RuleError(f"{where}: needs a label (a short name of what it checks)")
    rationale = raw.get("rationale")
    if not isinstance(rationale, str) or len(rationale.split()) < 5:
        raise RuleError(f"{where}: needs a rationale explaining its thresholds")
    return Rule(
        id=rid,
        label=label.strip(),
        series=series,
        metric=metric,
        kind=kind,
        topics=tuple(linked),
        template=_check_template(where, kind, raw.get("template"), "template"),
        clinician_template=_check_template(
            where, kind, raw.get("clinician_template"), "clinician_template"
        ),
        rationale=" ".join(rationale.split()),
        params=MappingProxyType(_check_params(where, kind, dict(raw))),
    )


def load_rules(
    path: Path | None = None,
    *,
    topics: Mapping[str, Topic] | None = None,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
) -> list[Rule]:
    """The rules in rules.toml, in file order, validated against the topics.

    `overrides` ({rule_id: {setting: value}}) adjusts thresholds for a clinic
    or a study without editing the shared file; they are validated the same way.
    """
    path = path or content_dir() / "rules.toml"
    if topics is None:
        topics = load_topics(path.parent if path.parent.joinpath("topics").is_dir() else None)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise RuleError(f"{path}: rules file not found") from exc
    except tomllib.TOMLDecodeError as exc:
        raise RuleError(f"{path}: not valid TOML ({exc})") from exc
    raw_rules = data.get("rule")
    if not raw_rules:
        raise RuleError(f"{path}: declares no [[rule]] tables")
    if not isinstance(raw_rules, list) or not all(isinstance(r, dict) for r in raw_rules):
        raise RuleError(f"{path}: rules must be [[rule]] tables")
    overrides = dict(overrides or {})
    ids = {r.get("id") for r in raw_rules}
    if unknown := set(overrides) - ids:
        raise RuleError(f"overrides name unknown rule(s): {', '.join(sorted(unknown))}")
    rules: list[Rule] = []
    for i, raw in enumerate(raw_rules):
        merged = {**raw, **overrides.get(raw.get("id"), {})}
        if {"id", "kind", "series", "metric"} & set(overrides.get(raw.get("id"), {})):
            raise RuleError(f"overrides for {raw.get('id')!r} may change settings, not identity")
        rule = parse_rule(f"{path.name} rule #{i + 1}", merged, topics)
        if any(r.id == rule.id for r in rules):
            raise RuleError(f"{path}: rule id {rule.id!r} is used twice")
        rules.append(rule)
    return rules
