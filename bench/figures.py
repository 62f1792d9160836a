"""One figure of a benchmark: value, unit and (where one exists) a baseline measured in the
same run. On a noisy shared machine the ratio is what we quote, not the raw value."""

from __future__ import annotations

from typing import Any


def figure(name: str, value: float | int | None, unit: str, baseline: float | int | None = None,
           baseline_name: str | None = None, note: str | None = None,
           ratio: float | None = None) -> dict[str, Any]:
    """A result row; ratio = value / baseline unless given (None when there is no baseline)."""
    if ratio is None and baseline not in (None, 0) and value is not None:
        ratio = value / baseline  # type: ignore[operator]
    return {
        "name": name,
        "value": _round(value),
        "unit": unit,
        "baseline": _round(baseline),
        "baseline_name": baseline_name,
        "ratio": _round(ratio),
        "note": note,
    }


def _round(v: Any) -> Any:
    if isinstance(v, float):
        if v == 0 or abs(v) >= 100:
            return round(v, 1)
        return float(f"{v:.4g}")
    return v


def from_flat(d: dict[str, Any], prefix: str = "") -> list[dict[str, Any]]:
    """Rows for a bench that returns a plain (possibly nested) dict of numbers: the unit is
    read from the key's suffix; strings and other values are kept as notes."""
    rows: list[dict[str, Any]] = []
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            rows += from_flat(v, key + ".")
        elif isinstance(v, bool) or not isinstance(v, int | float):
            rows.append(figure(key, None, "", note=str(v)))
        else:
            rows.append(figure(key, v, _unit(k)))
    return rows


_SUFFIXES = (
    ("_rows_per_s", "rows/s"), ("_per_patient_s", "s/patient"), ("_rps", "req/s"),
    ("_ms", "ms"), ("_s", "s"), ("_mb", "MB"), ("_bytes", "bytes"), ("_pct", "%"),
)


def _unit(key: str) -> str:
    for suffix, unit in _SUFFIXES:
        if key.endswith(suffix):
            return unit
    if "_vs_" in key:
        return "ratio"
    return ""
