"""Nights, days and day profiles of a patient: all of them, or the span new records touch.

analyse_span is the analysis half of the refresh step (wearlog.pipeline); a span and a
full run give the same rows (the timeline grid is aligned, the margins cover every
window the methods look through), which tests/companion/test_pipeline_properties.py
checks for any split of the records into ingests."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from wearlog.analysis.activity import analyse_day
from wearlog.analysis.config import AnalysisConfig
from wearlog.analysis.nonwear import detect_nonwear
from wearlog.analysis.profiles import day_profile
from wearlog.analysis.sleep import hdcza_signal, score_sleep, still_epochs
from wearlog.analysis.timeline import Timeline, load_timeline, local_bounds
from wearlog.store import Store
from wearlog.store.columns import DAY_COLS, NIGHT_COLS

NIGHT_KEYS = NIGHT_COLS
DAY_KEYS = DAY_COLS
RHYTHM_KEYS = ("IS", "IV", "RA", "L5", "M10", "L5_onset", "M10_onset", "SRI", "n_valid_days")


@dataclass
class EpochStates:
    """Per-epoch results on the analysis grid (for researchers' per-epoch export)."""

    start: int  # UTC of index 0
    epoch_s: int
    present: np.ndarray  # bool: a record covers this epoch
    worn: np.ndarray  # bool
    in_period: np.ndarray  # bool: inside a detected sleep period
    sleep: np.ndarray  # float: 1 sleep, 0 wake, NaN not scored (outside periods, not worn)


@dataclass
class PatientSummary:
    patient_id: str
    tz: str
    nights: list[dict[str, Any]] = field(default_factory=list)
    days: list[dict[str, Any]] = field(default_factory=list)
    rhythm: dict[str, Any] = field(default_factory=dict)
    trends: list[dict[str, Any]] = field(default_factory=list)
    symptoms: list[dict[str, Any]] = field(default_factory=list)
    unanchored_records: int = 0
    epochs: EpochStates | None = None




@dataclass
class Span:
    """Rows for the local dates first..last (None, None: every date of the patient)."""

    first: dt.date | None
    last: dt.date | None
    nights: list[dict[str, Any]] = field(default_factory=list)
    days: list[dict[str, Any]] = field(default_factory=list)
    profiles: dict[str, tuple[bytes, bytes]] = field(default_factory=dict)


# How far around a span the timeline is loaded: longer than any window the methods look
# through (noon-to-noon nights, 60-min non-wear windows, bouts), so the rows of the span
# are the same as those of a full run.
MARGIN_DAYS = 2


def analyse_span(store: Store, patient_id: str, cfg: AnalysisConfig,
                 from_utc: int | None = None, to_utc: int | None = None) -> Span:
    """Nights, days and profiles of the dates records in [from_utc, to_utc] can change.

    A record on local date L can change night L-1 (its noon-to-noon window), night L,
    day L and, through the sleep period of night L-1, day L-1. None: the whole patient.
    """
    tz = ZoneInfo(store.patient(patient_id)["tz"])
    if from_utc is None or to_utc is None:
        tl = load_timeline(store, patient_id)
        span = Span(None, None)
        if tl is None:
            return span
        lo = dt.datetime.fromtimestamp(tl.start, tz).date() - dt.timedelta(days=1)
        hi = dt.datetime.fromtimestamp(tl.end - 1, tz).date()
        night_dates, day_dates = (lo, hi), (lo + dt.timedelta(days=1), hi)
    else:
        first = dt.datetime.fromtimestamp(from_utc, tz).date() - dt.timedelta(days=1)
        last = dt.datetime.fromtimestamp(to_utc, tz).date()
        span = Span(first, last)
        since = local_bounds(first - dt.timedelta(days=MARGIN_DAYS + 1), tz, 0)
        until = local_bounds(last + dt.timedelta(days=MARGIN_DAYS + 1), tz, 0)
        tl = load_timeline(store, patient_id, since=since, until=until)
        if tl is None:
            return span
        # night first-1 only marks its sleep period for day `first`; it is not replaced
        night_dates, day_dates = (first - dt.timedelta(days=1), last), (first, last)
    worn = ~detect_nonwear(tl, cfg)
    still = still_epochs(tl, cfg) & worn
    sig = hdcza_signal(tl, cfg)
    # the sleep scores use thresholds of the whole loaded recording (wearlog.analysis.sleep)
    scores = score_sleep(tl, tz, worn, cfg, patient_id)
    in_spt, asleep = scores.in_period, scores.asleep & worn
    scored = _scored_windows(tl, tz, scores.nights)
    span.nights = [n for n in scores.nights
                   if night_dates[0] <= dt.date.fromisoformat(n["night"]) <= night_dates[1]
                   and (span.first is None or n["night"] >= span.first.isoformat())]
    d = day_dates[0]
    while d <= day_dates[1]:
        day = analyse_day(tl, d, tz, worn, still, in_spt, cfg, patient_id, sig)
        if day is not None:
            span.days.append(day)
            span.profiles[day["day"]] = day_profile(tl, d, tz, worn, asleep, scored)
        d += dt.timedelta(days=1)
    return span


def _scored_windows(tl: Timeline, tz: ZoneInfo, nights: list[dict[str, Any]]) -> np.ndarray:
    """The noon-to-noon windows of nights with a sleep period (the SRI is known only there)."""
    scored = np.zeros(tl.n, dtype=bool)
    for night in nights:
        if night["onset_utc"] is not None:
            d = dt.date.fromisoformat(night["night"])
            scored[tl.index(local_bounds(d, tz, 12)):
                   tl.index(local_bounds(d + dt.timedelta(days=1), tz, 12))] = True
    return scored


def epoch_states(store: Store, patient_id: str, cfg: AnalysisConfig | None = None
                 ) -> EpochStates | None:
    """Per-epoch wear, sleep period and sleep/wake of the whole patient (the same methods
    as the stored nights and days; nothing is stored). None: no epoch placed in time."""
    cfg = cfg or AnalysisConfig()
    tz = ZoneInfo(store.patient(patient_id)["tz"])
    tl = load_timeline(store, patient_id)
    if tl is None:
        return None
    worn = ~detect_nonwear(tl, cfg)
    scores = score_sleep(tl, tz, worn, cfg, patient_id)
    sleep = np.where(scores.in_period & worn, scores.asleep.astype(float), np.nan)
    return EpochStates(tl.start, tl.epoch_s, tl.present, worn, scores.in_period, sleep)


CHUNK_DAYS = 31


ONE_LOAD_DAYS = 400


def analyse_all(store: Store, patient_id: str, cfg: AnalysisConfig) -> list[Span]:
    """The whole patient: in one timeline up to ONE_LOAD_DAYS of data (the sleep thresholds
    are the recording's), longer spans month by month (bounded memory; stretches without
    data skipped)."""
    first, last = store.data_span(patient_id)
    if first is not None and last is not None and last - first <= ONE_LOAD_DAYS * 86400:
        return [analyse_span(store, patient_id, cfg)]
    spans: list[Span] = []
    t = first
    while t is not None and last is not None and t <= last:
        end = min(t + CHUNK_DAYS * 86400, last)
        spans.append(analyse_span(store, patient_id, cfg, t, end))
        t = store.next_epoch_utc(patient_id, end + 1)
    return spans


def analyse_patient(store: Store, patient_id: str,
                    config: AnalysisConfig | None = None) -> PatientSummary:
    """Re-analyse one patient in full through the refresh step; its stored figures."""
    from wearlog.pipeline import refresh_patient

    return refresh_patient(store, patient_id, config, full=True)
