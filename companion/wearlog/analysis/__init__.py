"""Turns stored epochs into nights, days and rhythm metrics a clinician can read.

Wearlog informs, it does not diagnose: these are descriptive measures of movement.
"""

from wearlog.analysis.config import AnalysisConfig
from wearlog.analysis.errors import AnalysisError, NotEnoughDataError
from wearlog.analysis.summary import (
    DAY_KEYS,
    NIGHT_KEYS,
    RHYTHM_KEYS,
    PatientSummary,
    analyse_patient,
)

__all__ = [
    "DAY_KEYS",
    "NIGHT_KEYS",
    "RHYTHM_KEYS",
    "AnalysisConfig",
    "AnalysisError",
    "NotEnoughDataError",
    "PatientSummary",
    "analyse_patient",
]
