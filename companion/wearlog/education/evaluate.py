"""Apply the linking rules to a wearer's metrics and word the findings.

Every rule yields one Finding: 'fired' (with the linked topics and a sentence
in the wearer's own numbers), 'insufficient_data' (saying what is missing) or
'not_fired'. There is one evaluator per rule *kind*; rules are data.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
import string
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from .errors import EducationError
from .metrics import Series, build_series, check_rhythm, is_number, parse_date
from .rules import Rule, load_rules
from .topics import AUDIENCES, Topic, load_topics

FIRED = "fired"
INSUFFICIENT = "insufficient_data"
NOT_FIRED = "not_fired"

Numbers = dict[str, Any]


@dataclass(frozen=True)
class Finding:
    """What one rule found for one person over one window."""

    rule_id: str
    label: str
    status: str
    text: str
    topic_ids: tuple[str, ...]
    numbers: Mapping[str, Any] = field(default_factory=dict)
    window_end: str | None = None  # ISO date of the window's last night/day

    @property
    def fired(self) -> bool:
        return self.status == FIRED

    def to_dict(self) -> dict[str, Any]:
        """Plain, JSON-safe dict for exports and APIs (non-finite numbers -> None)."""
        numbers = {
            k: (None if isinstance(v, float) and not math.isfinite(v) else v)
            for k, v in self.numbers.items()
        }
        return {
            "rule_id": self.rule_id, "label": self.label, "status": self.status,
            "text": self.text, "topic_ids": list(self.topic_ids), "numbers": numbers,
            "window_end": self.window_end,
        }


def _include_invalid(rule: Rule) -> bool:
    return bool(rule.params.get("include_invalid", False))


def _used(rule: Rule, series: Series, dates: Sequence[dt.date]) -> list[Mapping[str, Any]]:
    recs = (series.by_date.get(d) for d in dates)
    keep_invalid = _include_invalid(rule)
    return [r for r in recs if r is not None and (r["valid"] or keep_invalid)]


def _count(rule: Rule, series: Series, end: dt.date | None) -> tuple[str, Numbers]:
    window, threshold = rule["window"], rule["threshold"]
    used = _used(rule, series, series.window(end, window)) if end else []
    values = [r[rule.metric] for r in used]
    if rule.kind == "count_below":
        count = sum(1 for v in values if v < threshold)
    else:
        count = sum(1 for v in values if v >= threshold)
    nums: Numbers = {
        "count": count, "n_valid": len(used), "window": window, "threshold": threshold,
        "threshold_hours": threshold / 60, "total": float(sum(values)),
        "min_count": rule["min_count"], "min_valid": rule["min_valid"],
    }
    if len(used) < rule["min_valid"]:
        return INSUFFICIENT, nums
    return (FIRED if count >= rule["min_count"] else NOT_FIRED), nums


def _count_not_valid(rule: Rule, series: Series, end: dt.date | None) -> tuple[str, Numbers]:
    window = rule["window"]
    dates = series.window(end, window) if end else []
    present = [series.by_date[d] for d in dates if d in series.by_date]
    count = (window - len(present)) + sum(1 for r in present if not r["valid"])
    nums: Numbers = {"count": count if end else 0, "window": window,
                     "n_present": len(present), "min_count": rule["min_count"]}
    if len(present) < rule["min_present"]:
        return INSUFFICIENT, nums
    return (FIRED if count >= rule["min_count"] else NOT_FIRED), nums


def _change(rule: Rule, series: Series, end: dt.date | None) -> tuple[str, Numbers]:
    window, base_window = rule["window"], rule["baseline_window"]
    recent = _used(rule, series, series.window(end, window)) if end else []
    base = _used(rule, series, series.window(end, base_window, offset=window)) if end else []
    nums: Numbers = {"n_valid": len(recent), "n_baseline": len(base), "window": window,
                     "baseline_window": base_window}
    if len(recent) < rule["min_valid"] or len(base) < rule["min_baseline_valid"]:
        nums.update(recent=None, baseline=None, change=None, change_pct=None)
        return INSUFFICIENT, nums
    r_mean = statistics.fmean(r[rule.metric] for r in recent)
    b_mean = statistics.fmean(r[rule.metric] for r in base)
    change = r_mean - b_mean if rule["direction"] == "rise" else b_mean - r_mean
    # A zero baseline has no percentage (shown as n/a); any change from zero
    # then meets the relative test and only the absolute one decides.
    pct = 100.0 * change / abs(b_mean) if b_mean else None
    nums.update(recent=r_mean, baseline=b_mean, change=change, change_pct=pct)
    relative_ok = pct >= rule["min_rel_change"] if pct is not None else change > 0
    fired = change >= rule["min_abs_change"] and relative_ok
    return (FIRED if fired else NOT_FIRED), nums


def _spread(rule: Rule, series: Series, end: dt.date | None) -> tuple[str, Numbers]:
    window, threshold = rule["window"], rule["threshold"]
    used = _used(rule, series, series.window(end, window)) if end else []
    values = [r[rule.metric] for r in used]
    nums: Numbers = {"n_valid": len(used), "window": window, "threshold": threshold,
                     "threshold_hours": threshold / 60, "min_valid": rule["min_valid"]}
    if len(values) < max(rule["min_valid"], 2):
        nums.update(sd=None, mean=None)
        return INSUFFICIENT, nums
    nums.update(sd=statistics.stdev(values), mean=statistics.fmean(values))
    return (FIRED if nums["sd"] >= threshold else NOT_FIRED), nums


def _rhythm(rule: Rule, rhythm: Mapping[str, Any] | None) -> tuple[str, Numbers]:
    rhythm = rhythm or {}
    value, n_days = rhythm.get(rule.metric), rhythm.get("n_valid_days")
    nums: Numbers = {
        "value": value if is_number(value) else None,
        "threshold": rule["threshold"],
        "n_valid": int(n_days) if n_days is not None and is_number(n_days) else 0,
        "min_valid": rule["min_valid"],
    }
    if not is_number(value) or nums["n_valid"] < rule["min_valid"]:
        return INSUFFICIENT, nums
    return (FIRED if value < rule["threshold"] else NOT_FIRED), nums


_SERIES_KINDS: dict[str, Callable[[Rule, Series, dt.date | None], tuple[str, Numbers]]] = {
    "count_below": _count,
    "count_at_least": _count,
    "count_not_valid": _count_not_valid,
    "change_vs_baseline": _change,
    "spread_above": _spread,
}


class _SentenceFormatter(string.Formatter):
    """str.format, but a number that does not exist reads as 'n/a'."""

    def format_field(self, value: Any, format_spec: str) -> str:
        if value is None or (isinstance(value, float) and not math.isfinite(value)):
            return "n/a"
        return super().format_field(value, format_spec)


_FORMATTER = _SentenceFormatter()


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _insufficient_text(rule: Rule, nums: Numbers) -> str:
    what = _lower_first(rule.label)
    if rule.kind == "rhythm_below":
        if nums["n_valid"] == 0:
            return f"Not enough data to check {what}: no rhythm summary is available yet."
        return (
            f"Not enough data to check {what}: the rhythm summary covers {nums['n_valid']} "
            f"valid days, and at least {nums['min_valid']} are needed."
        )
    if rule.kind == "count_not_valid":
        return f"Not enough data to check {what}: there are no records for the last " \
               f"{nums['window']} {rule.unit}."
    if rule.kind == "change_vs_baseline":
        return (
            f"Not enough data to compare {what} with the usual level: "
            f"{nums['n_valid']} of the last {nums['window']} {rule.unit} and "
            f"{nums['n_baseline']} of the {nums['baseline_window']} before them had usable "
            f"data (at least {rule['min_valid']} and {rule['min_baseline_valid']} are needed)."
        )
    return (
        f"Not enough data to check {what}: {nums['n_valid']} of the last {nums['window']} "
        f"{rule.unit} had usable data, and at least {rule['min_valid']} are needed."
    )


def _not_fired_text(rule: Rule, nums: Numbers) -> str:
    if "window" in nums:
        return f"{rule.label}: nothing to flag in the last {nums['window']} {rule.unit}."
    return f"{rule.label}: nothing to flag."


def evaluate(
    nights: Sequence[Mapping[str, Any]] | None,
    days: Sequence[Mapping[str, Any]] | None,
    rhythm: Mapping[str, Any] | None = None,
    *,
    audience: str = "wearer",
    as_of: dt.date | str | None = None,
    rules: Sequence[Rule] | None = None,
    topics: Mapping[str, Topic] | None = None,
) -> list[Finding]:
    """One Finding per rule, in rule order.

    nights/days: metric dicts (any order, one per date). as_of: the last
    night/day of every window (default: the newest date in the data).
    audience picks the sentence ('wearer' or 'clinician') and drops topics
    not written for that audience.
    """
    if audience not in AUDIENCES:
        raise EducationError(f"unknown audience {audience!r}; use one of {list(AUDIENCES)}")
    topics = topics if topics is not None else load_topics()
    rules = rules if rules is not None else load_rules(topics=topics)
    needed: dict[str, set[tuple[str, bool]]] = {"nights": set(), "days": set()}
    for rule in rules:
        if rule.series in needed:
            needed[rule.series].add((rule.metric, _include_invalid(rule)))
    series = {
        "nights": build_series("nights", nights, needed["nights"]),
        "days": build_series("days", days, needed["days"]),
    }
    check_rhythm(rhythm, [r.metric for r in rules if r.series == "rhythm"])
    if as_of is not None:
        end: dt.date | None = parse_date(as_of, "as_of")
    else:
        newest = [d for d in (s.newest() for s in series.values()) if d is not None]
        end = max(newest) if newest else None
    window_end = end.isoformat() if end else None

    findings: list[Finding] = []
    for rule in rules:
        if rule.kind == "rhythm_below":
            status, nums = _rhythm(rule, rhythm)
        else:
            status, nums = _SERIES_KINDS[rule.kind](rule, series[rule.series], end)
        if status == FIRED:
            template = rule.template if audience == "wearer" else rule.clinician_template
            text = _FORMATTER.format(template, **nums)
            linked = tuple(t for t in rule.topics if topics[t].for_audience(audience))
        elif status == INSUFFICIENT:
            text, linked = _insufficient_text(rule, nums), ()
        else:
            text, linked = _not_fired_text(rule, nums), ()
        findings.append(Finding(rule.id, rule.label, status, text, linked,
                                MappingProxyType(nums), window_end))
    return findings


@dataclass(frozen=True)
class LinkedTopic:
    """A topic to show, with the findings that linked it (for 'why am I seeing this')."""

    topic: Topic
    findings: tuple[Finding, ...]


def linked_topics(
    findings: Sequence[Finding], topics: Mapping[str, Topic] | None = None
) -> list[LinkedTopic]:
    """Fired findings grouped by topic, topics in first-linked order."""
    topics = topics if topics is not None else load_topics()
    order: dict[str, list[Finding]] = {}
    for f in findings:
        if f.fired:
            for tid in f.topic_ids:
                order.setdefault(tid, []).append(f)
    return [LinkedTopic(topics[tid], tuple(fs)) for tid, fs in order.items()]
