"""The metric contract the rules are written against, and input checking.

The metrics themselves are computed elsewhere; this module only knows their
keys and turns the caller's lists of dicts into date-indexed series, raising
MetricsInputError with the offending date and key when something is off.
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .errors import MetricsInputError

NIGHT_KEYS: tuple[str, ...] = (
    "night", "tib_min", "tst_min", "sol_min", "waso_min", "se_pct",
    "awakenings", "midsleep_local", "valid",
)
DAY_KEYS: tuple[str, ...] = (
    "day", "steps", "sedentary_min", "light_min", "moderate_min", "vigorous_min",
    "mvpa_min", "mvpa_bout_min", "longest_active_bout_min", "nap_min", "wear_min",
    "valid", "symptom_events", "high_severity_events", "max_severity",
)
RHYTHM_KEYS: tuple[str, ...] = (
    "IS", "IV", "RA", "L5", "M10", "L5_onset", "M10_onset", "SRI", "n_valid_days",
)

# series name -> (date key, every key, unit word used in sentences)
SERIES: dict[str, tuple[str | None, tuple[str, ...], str]] = {
    "nights": ("night", NIGHT_KEYS, "nights"),
    "days": ("day", DAY_KEYS, "days"),
    "rhythm": (None, RHYTHM_KEYS, "days"),
}


def metric_keys(series: str) -> tuple[str, ...]:
    """Keys a rule may name as its metric in this series."""
    date_key, keys, _ = SERIES[series]
    return tuple(k for k in keys if k != date_key)


@dataclass(frozen=True)
class Series:
    """One series indexed by date; records keep the caller's dicts."""

    name: str
    by_date: dict[dt.date, Mapping[str, Any]]

    def window(self, end: dt.date, length: int, offset: int = 0) -> list[dt.date]:
        """The `length` dates ending `offset` dates before `end`, oldest first."""
        last = end - dt.timedelta(days=offset)
        return [last - dt.timedelta(days=i) for i in range(length - 1, -1, -1)]

    def newest(self) -> dt.date | None:
        return max(self.by_date) if self.by_date else None


def parse_date(value: object, where: str) -> dt.date:
    """An ISO date string or a date (not a datetime) -> date."""
    if isinstance(value, dt.datetime):
        raise MetricsInputError(f"{where}: expected a date, got a datetime {value!r}")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise MetricsInputError(f"{where}: {value!r} is not an ISO date like '2026-03-01'")


def _is_flag(value: object) -> bool:
    """True/False, or 0/1 as an integer (numpy bools and ints included)."""
    if type(value) is int:  # the stored rows' 0/1: no slow ABC check
        return value in (0, 1)
    if isinstance(value, bool) or getattr(getattr(value, "dtype", None), "kind", "") == "b":
        return True
    return isinstance(value, numbers.Integral) and value in (0, 1)


def is_number(value: object) -> bool:
    """A finite real number (numpy scalars included); bools are not numbers here."""
    if type(value) is float or type(value) is int:  # common case, no slow ABC check
        return math.isfinite(value)
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return False
    return math.isfinite(float(value))


def build_series(
    name: str,
    records: Sequence[Mapping[str, Any]] | None,
    needed: Iterable[tuple[str, bool]],
) -> Series:
    """Check `records` and index them by date.

    `needed` lists (metric, include_invalid) pairs the rules will read: those
    metrics must be finite numbers on every valid record (on every record if
    include_invalid), so a bad value fails loudly instead of skewing a count.
    """
    date_key, _, unit = SERIES[name]
    assert date_key is not None
    if records is None:
        records = []
    if isinstance(records, str | bytes | Mapping) or not isinstance(records, Sequence):
        raise MetricsInputError(
            f"{name}: expected a list of dicts (one per {unit[:-1]}), "
            f"got {type(records).__name__}"
        )
    needed = list(needed)
    by_date: dict[dt.date, Mapping[str, Any]] = {}
    for i, rec in enumerate(records):
        if not isinstance(rec, Mapping):
            raise MetricsInputError(f"{name}[{i}]: expected a dict, got {type(rec).__name__}")
        if date_key not in rec:
            raise MetricsInputError(f"{name}[{i}]: missing the {date_key!r} key")
        raw = rec[date_key]
        day = None
        if type(raw) is str:  # (the error messages below are made only when raised)
            try:
                day = dt.date.fromisoformat(raw)
            except ValueError:
                pass
        if day is None:  # parse_date gives the same date or says why there is none
            day = parse_date(raw, f"{name}[{i}].{date_key}")
        if day in by_date:
            raise MetricsInputError(
                f"{name} {day.isoformat()}: appears twice; the metrics step must produce "
                f"one record per {unit[:-1]}"
            )
        valid = rec.get("valid")
        # bool, or 0/1 as the analysis step and SQLite hand it over
        if not _is_flag(valid):
            raise MetricsInputError(
                f"{name} {day.isoformat()}: 'valid' must be true or false, got {valid!r}")
        for metric, include_invalid in needed:
            if metric == "valid" or not (valid or include_invalid):
                continue
            value = rec.get(metric)
            if not is_number(value):
                raise MetricsInputError(
                    f"{name} {day.isoformat()}: {metric!r} must be a finite number on a "
                    f"record that is used, got {value!r}"
                )
        by_date[day] = rec
    return Series(name, by_date)


def check_rhythm(rhythm: Mapping[str, Any] | None, needed: Iterable[str]) -> None:
    """Rhythm values the rules read must be numbers (None means no rhythm yet)."""
    if rhythm is None:
        return
    if not isinstance(rhythm, Mapping):
        raise MetricsInputError(f"rhythm: expected a dict or None, got {type(rhythm).__name__}")
    for key in [*needed, "n_valid_days"]:
        if key in rhythm and rhythm[key] is not None and not is_number(rhythm[key]):
            raise MetricsInputError(f"rhythm: {key!r} must be a finite number, got {rhythm[key]!r}")
