"""One exception root for educational content and linking.

Each subclass names what to fix; all are ValueErrors so callers that already
catch bad input keep working.
"""

from __future__ import annotations


class EducationError(ValueError):
    """Base class: content, rules or input to the linker could not be used."""


class ContentError(EducationError):
    """A topic or section file is missing, malformed or inconsistent."""


class RuleError(EducationError):
    """A linking rule is malformed or refers to something that does not exist."""


class MetricsInputError(EducationError):
    """Nightly, daily or rhythm metrics handed to evaluate() break the contract."""


class LinkStoreError(EducationError):
    """Linked topics could not be recorded (bad patient id or database)."""
