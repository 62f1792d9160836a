"""Exceptions of the analysis package."""

from __future__ import annotations


class AnalysisError(Exception):
    """Base class: the data cannot support the requested analysis."""


class NotEnoughDataError(AnalysisError, ValueError):
    """Too few valid days/epochs for a metric that needs them (e.g. IS needs 7 days)."""
