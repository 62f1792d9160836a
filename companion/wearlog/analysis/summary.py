"""Nights, days and day profiles of a patient: all of them, or the span new records touch.

analyse_span is the analysis half of the refresh step (wearlog.pipeline); a span and a
full run give the same rows (the timeline grid is aligned, the margins cover every
window the methods look through), which tests/companion/test_pipeline_properties.py
checks for any split of the records into ingests."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from wearlog.analysis.activity import analyse_day
from wearlog.analysis.config import AnalysisConfig
from wearlog.analysis.nonwear import detect_nonwear
from wearlog.analysis.profiles import day_profile
from wearlog.analysis.sleep import (
    NightInputs,
    SleepScores,
    hdcza_signal,
    night_inputs,
    pooled_threshold,
    score_sleep,
    still_epochs,
)
from wearlog.analysis.timeline import Timeline, load_timeline, local_bounds
from wearlog.store import Store
from wearlog.store.columns import DAY_COLS, NIGHT_COLS
from wlproto.const import EPOCH_S

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
    # per stored night: its HDCZA threshold inputs and the threshold it was scored with
    inputs: dict[str, NightInputs] = field(default_factory=dict)


def span_dates(first_changed: dt.date, last_changed: dt.date, cfg: AnalysisConfig
               ) -> tuple[tuple[dt.date, dt.date], tuple[dt.date, dt.date],
                          tuple[dt.date, dt.date]]:
    """(nights, days, loaded dates) for records changed on local dates first..last.

    Night d reads the epochs of its threshold window, the noon-to-noon windows of nights
    d-R..d+R (R = cfg.threshold_window_days), and up to half a day around it (the non-wear
    windows, rolling medians): local dates d-R..d+R+1. So a change on dates F..L moves
    nights F-R-1..L+R; day D reads nights D-1 and D (their sleep periods) and dates
    D-1..D+1, so days F-R-1..L+R+1 move. Computing them needs nights F-R-2..L+R+1, hence
    the loaded dates F-2R-2..L+2R+2 (docs/analysis.md, "Refresh"). Nights and days
    F-R-1..L+R+1 are replaced (night L+R+1 is exact too: one date range for both)."""
    r = dt.timedelta(days=cfg.threshold_window_days)
    one = dt.timedelta(days=1)
    nights = (first_changed - r - one, last_changed + r + one)
    days = (first_changed - r - one, last_changed + r + one)
    loaded = (first_changed - 2 * r - 2 * one, last_changed + 2 * r + 2 * one)
    return nights, days, loaded


def analyse_span(store: Store, patient_id: str, cfg: AnalysisConfig,
                 from_utc: int | None = None, to_utc: int | None = None) -> Span:
    """Nights, days and profiles of the dates records in [from_utc, to_utc] can change
    (span_dates); None: every date of the patient. Rows of a span are those a full run
    gives (tests/companion/test_pipeline_properties.py)."""
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
        night_dates, day_dates, loaded = span_dates(
            dt.datetime.fromtimestamp(from_utc, tz).date(),
            dt.datetime.fromtimestamp(to_utc, tz).date(), cfg)
        span = Span(day_dates[0], day_dates[1])
        tl = load_timeline(store, patient_id, since=local_bounds(loaded[0], tz, 0),
                           until=local_bounds(loaded[1] + dt.timedelta(days=1), tz, 0))
        if tl is None:
            return span
    worn = ~detect_nonwear(tl, cfg)
    sig = hdcza_signal(tl, cfg)
    # each night's thresholds come from the days around it (wearlog.analysis.sleep)
    scores = score_sleep(tl, tz, worn, cfg, patient_id, sig)
    _fill_span(span, tl, tz, worn, sig, scores, cfg, patient_id, night_dates, day_dates)
    return span


def _fill_span(span: Span, tl: Timeline, tz: ZoneInfo, worn: np.ndarray, sig: np.ndarray,
               scores: SleepScores, cfg: AnalysisConfig, patient_id: str,
               night_dates: tuple[dt.date, dt.date], day_dates: tuple[dt.date, dt.date],
               known: dict[dt.date, NightInputs] | None = None) -> None:
    """The span's nights (with their threshold inputs), days and profiles from scored
    sleep; the timeline holds every date they read. known: inputs the caller computed
    from this timeline already (their threshold is set here)."""
    still = still_epochs(tl, cfg) & worn
    in_spt, asleep = scores.in_period, scores.asleep & worn
    scored = _scored_windows(tl, tz, scores.nights)
    lo, hi = night_dates[0].isoformat(), night_dates[1].isoformat()
    span.nights = [n for n in scores.nights if lo <= n["night"] <= hi]
    counted = worn & tl.present & tl.angle_known
    for n in span.nights:
        d = dt.date.fromisoformat(n["night"])
        if known is not None and d in known:
            span.inputs[n["night"]] = dataclasses.replace(known[d], thr=scores.thresholds[d])
        else:
            span.inputs[n["night"]] = night_inputs(tl, d, tz, worn, sig,
                                                   scores.thresholds[d], counted)
    d = max(day_dates[0], dt.datetime.fromtimestamp(tl.start, tz).date())
    last_day = min(day_dates[1], dt.datetime.fromtimestamp(tl.end - 1, tz).date())
    while d <= last_day:
        day = analyse_day(tl, d, tz, worn, still, in_spt, cfg, patient_id, sig)
        if day is not None:
            span.days.append(day)
            span.profiles[day["day"]] = day_profile(tl, d, tz, worn, asleep, scored)
        d += dt.timedelta(days=1)


def analyse_pooled(store: Store, patient_id: str, cfg: AnalysisConfig, from_utc: int,
                   to_utc: int) -> Span | None:
    """analyse_span's rows for records in [from_utc, to_utc), reading the epochs of far
    fewer dates: the HDCZA thresholds come from the NightInputs stored with the nights.

    Records on local dates F..L change the inputs (and the rows) of nights F-1..L and the
    days F-1..L+1 (each night reads the dates night..night+1, each day D the dates
    D-1..D+1 and the sleep periods of nights D-1 and D: span_dates with R = 0). The
    threshold of night d pools the inputs of nights d-R..d+R, so nights F-1-R..L+R may
    get another threshold. Nights whose inputs and threshold stay keep their stored
    rows (what a full run gives: the same inputs, the same threshold). Stored: days
    s0..s1 and nights s0..s1-1 (first F-1..L+1 and F-1..L), computed from the dates
    s0-1..s1+1 with nights s0-1 and s1 scored for the days next to them. A night outside
    s0..s1-1 whose threshold moved is re-scored from its own dates; while its sleep
    period stays where it was, no day changes and its row is stored alone; when the
    period moves, s0..s1 widen to take it and the day after it, and the dates are read
    again.

    None: this change needs analyse_span (stored inputs missing, or epochs without an
    arm angle in reach: ENMO-only and counts imports keep the epoch-pooled thresholds)."""
    tz = ZoneInfo(store.patient(patient_id)["tz"])
    one, r = dt.timedelta(days=1), cfg.threshold_window_days
    rd = r * one
    first = dt.datetime.fromtimestamp(from_utc, tz).date()
    last = max(first, dt.datetime.fromtimestamp(max(to_utc - 1, from_utc), tz).date())
    # the inputs of every night whose threshold may be read: nights first-1-R..last+R
    # (and the one on each side of the stored span, scored for the days next to it)
    pool_lo, pool_hi = first - 2 * one - 2 * rd, last + one + 2 * rd
    stored = store.night_inputs_between(patient_id, pool_lo.isoformat(), pool_hi.isoformat())
    if stored is None:  # a stored night without inputs (analysed before they were kept)
        return None
    inputs = {dt.date.fromisoformat(k): NightInputs.decode(*v) for k, v in stored.items()}
    if any(x.other for x in inputs.values()):
        return None
    s0, s1 = first - one, last + one
    kept: list[tuple[dict[str, Any], NightInputs]] = []
    try:
        while True:
            tl, worn, sig = _pooled_timeline(store, patient_id, tz, cfg, s0 - one, s1 + one)
            now = dict(inputs)
            counted = worn & tl.present & tl.angle_known
            fresh: dict[dt.date, NightInputs] = {}
            d = first - one
            while d <= last:  # the nights whose inputs the records changed
                now[d] = fresh[d] = night_inputs(tl, d, tz, worn, sig, None, counted)
                d += one
            empty = NightInputs(np.zeros(0), np.zeros(0, np.int64), 0.0, 0)
            thr: dict[dt.date, float | None] = {}
            moved: list[dt.date] = []
            d = min(first - one - rd, s0 - one)
            while d <= max(last + rd, s1):
                if d not in inputs and not _has_records(tl, d, tz):
                    thr[d] = None  # no row, stored or new: no threshold is read or kept
                    d += one
                    continue
                thr[d] = pooled_threshold(
                    [now.get(d + k * one, empty) for k in range(-r, r + 1)], cfg)
                if not s0 <= d < s1 and d in inputs and inputs[d].thr != thr[d]:
                    moved.append(d)
                d += one
            # a night whose HDCZA block stays the same with its new threshold (its stored
            # signal ranks tell) keeps its row: only the threshold it was scored with is
            # stored again
            relabel = [d for d in moved if _same_block(inputs[d], thr[d], cfg)]
            moved = [d for d in moved if d not in relabel]
            # one whose sleep period stays where it was changes no day: its row is
            # re-scored from its own dates and stored alone
            again = _rescore_alone(store, patient_id, tz, cfg, moved, thr,
                                   (s0 - one, s1 + one, tl, worn, sig)) if moved else []
            if again is not None:
                kept = again
                break
            s0, s1 = min(s0, min(moved)), max(s1, max(moved) + one)  # and load again
    except _NeedsEpochPool:
        return None
    scores = score_sleep(tl, tz, worn, cfg, patient_id, sig,
                         {d: t for d, t in thr.items() if s0 - one <= d <= s1})
    span = Span(s0, s1)
    _fill_span(span, tl, tz, worn, sig, scores, cfg, patient_id, (s0, s1), (s0, s1), fresh)
    for row, x in kept:
        if row["night"] not in span.inputs:  # (night s1 is in the span already)
            span.nights.append(row)
            span.inputs[row["night"]] = x
    for d in relabel:
        if d.isoformat() not in span.inputs:
            span.inputs[d.isoformat()] = dataclasses.replace(inputs[d], thr=thr[d])
    return span


def _same_block(x: NightInputs, new: float | None, cfg: AnalysisConfig) -> bool:
    """Whether HDCZA finds the same block in the night's window with threshold `new` as
    with x.thr (then the row is the same: nothing else in it depends on the threshold;
    the pooled path has epochs with an arm angle only, so the night is scored on it)."""
    if x.thr is None or new is None:
        return False
    return x.block(x.thr, cfg, EPOCH_S) == x.block(new, cfg, EPOCH_S)


def _has_records(tl: Timeline, night: dt.date, tz: ZoneInfo) -> bool:
    """Whether the timeline holds a record in the night's noon-to-noon window (the
    night gets a row; analyse_night)."""
    i0 = tl.index(local_bounds(night, tz, 12))
    i1 = tl.index(local_bounds(night + dt.timedelta(days=1), tz, 12))
    return bool(tl.present[i0:i1].any())


class _NeedsEpochPool(Exception):
    """Epochs without an arm angle in reach: thresholds are pooled from epochs there."""


def _pooled_timeline(store: Store, patient_id: str, tz: ZoneInfo, cfg: AnalysisConfig,
                     first: dt.date, last: dt.date
                     ) -> tuple[Timeline, np.ndarray, np.ndarray]:
    """The timeline of local dates first..last, its wear and HDCZA signal."""
    tl = load_timeline(store, patient_id, since=local_bounds(first, tz, 0),
                       until=local_bounds(last + dt.timedelta(days=1), tz, 0))
    if tl is None or tl.counts is not None or (tl.present & ~tl.angle_known).any():
        raise _NeedsEpochPool
    return tl, ~detect_nonwear(tl, cfg), hdcza_signal(tl, cfg)


def _rescore_alone(store: Store, patient_id: str, tz: ZoneInfo, cfg: AnalysisConfig,
                   moved: list[dt.date], thr: dict[dt.date, float | None],
                   loaded: tuple[dt.date, dt.date, Timeline, np.ndarray, np.ndarray]
                   ) -> list[tuple[dict[str, Any], NightInputs]] | None:
    """The rows (with inputs) of nights scored with a new threshold, each group of them
    read from its own dates (night..night+1); None when a sleep period moved (the days
    around it change: the caller re-analyses them with it)."""
    one = dt.timedelta(days=1)
    out: list[tuple[dict[str, Any], NightInputs]] = []
    for group in ([d for d in moved if d <= loaded[0]], [d for d in moved if d > loaded[0]]):
        if not group:
            continue
        a, b = min(group), max(group)
        if loaded[0] <= a and b + one <= loaded[1]:
            tl, worn, sig = loaded[2:]
        else:
            tl, worn, sig = _pooled_timeline(store, patient_id, tz, cfg, a, b + one)
        scores = score_sleep(tl, tz, worn, cfg, patient_id, sig, {d: thr[d] for d in group})
        new = {n["night"]: n for n in scores.nights}
        old = {n["night"]: n for n in store.nights_between(patient_id, a.isoformat(),
                                                             b.isoformat())}
        for d in group:
            k = d.isoformat()
            if k not in new or k not in old or any(
                    new[k][f] != old[k][f] for f in ("onset_utc", "offset_utc")):
                return None
            out.append((new[k], night_inputs(tl, d, tz, worn, sig, thr[d])))
    return out


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


def analyse_all(store: Store, patient_id: str, cfg: AnalysisConfig,
                from_utc: int | None = None, to_utc: int | None = None) -> list[Span]:
    """The whole patient (or the dates records in [from_utc, to_utc] can change): in one
    timeline up to ONE_LOAD_DAYS, longer spans month by month (bounded memory; stretches
    without data skipped, so a device clock that jumped decades costs nothing)."""
    first, last = store.data_span(patient_id)
    if from_utc is not None and to_utc is not None:
        if to_utc - from_utc <= ONE_LOAD_DAYS * 86400:
            return [analyse_span(store, patient_id, cfg, from_utc, to_utc)]
        first, last = store.next_epoch_utc(patient_id, from_utc), to_utc
    elif first is not None and last is not None and last - first <= ONE_LOAD_DAYS * 86400:
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
