"""The refresh step: after records are stored, analyse what they touch and store results.

Run by every ingest path right after its transaction (BLE sync, upload API, import,
restore) and by `wearlog refresh`. A refresh that fails leaves the records and the
queue entry in place, records why, and is retried by the next ingest or command.
"""

from __future__ import annotations

import ctypes
import datetime as dt
import json
import multiprocessing
import multiprocessing.util
import os
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from wearlog.analysis import profiles
from wearlog.analysis.config import AnalysisConfig, method_id
from wearlog.analysis.summary import (
    ONE_LOAD_DAYS,
    PatientSummary,
    Span,
    analyse_all,
    analyse_pooled,
)
from wearlog.analysis.trends import rolling_trends, symptom_context
from wearlog.imports.count_sleep import count_figures
from wearlog.pipeline import figures
from wearlog.store import Store
from wearlog.store.derived import QueueEntry

ALL_DAYS = ("0000-01-01", "9999-12-31")


class RefreshError(Exception):
    """A refresh could not complete (the records are kept; it is retried)."""


@dataclass(frozen=True)
class RefreshResult:
    patient_id: str
    ok: bool
    error: str | None
    seconds: float
    full: bool


def refresh(store: Store, patient_id: str | None = None, cfg: AnalysisConfig | None = None,
            workers: int = 1) -> list[RefreshResult]:
    """Refresh every queued patient (or only `patient_id`); never raises for one patient's
    failure: its result says what failed and the queue keeps it for the next try.
    Patients (or the one patient) whose stored results another analysis method made are
    queued in full first (requeue_other_methods): a refresh after one upload does not
    read every patient's row."""
    requeue_other_methods(store, cfg, patient_id)
    entries = store.pending(patient_id)
    figures.preload()  # parsed once here, not in every worker
    if workers > 1 and len(entries) > 1 and str(store.path) != ":memory:":
        ctx = multiprocessing.get_context("fork" if os.name == "posix" else "spawn")
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx,
                                 initializer=_open_in_worker,
                                 initargs=(str(store.path),)) as pool:
            return list(pool.map(_refresh_in_worker, [e.patient_id for e in entries],
                                 [cfg] * len(entries),
                                 chunksize=max(1, min(8, len(entries) // (workers * 8)))))
    return [refresh_one(store, e.patient_id, cfg) for e in entries]


def requeue_other_methods(store: Store, cfg: AnalysisConfig | None = None,
                          patient_id: str | None = None) -> list[str]:
    """Queue a full re-analysis of the patients (or only `patient_id`) whose stored
    results another analysis method made (Wearlog upgraded, a threshold changed): from
    then on the views say "analysis pending" for them, not old figures as current. Run
    for every patient when a server or app starts and by `wearlog refresh`, for the one
    patient before each refresh after an ingest."""
    return store.queue_other_methods(method_id(cfg), patient_id)


# a worker process's own handle, opened once for all the patients it refreshes (opening
# a Store per patient cost about a fifth of a 30-day patient's CPU: schema check, cold
# page cache) and closed when the pool shuts the process down
_worker_store: Store | None = None


# glibc malloc (Linux): a refresh allocates and frees ~100 arrays of one value per epoch
# (0.7 MB each for 30 days). By default each comes from a fresh mmap, or the heap is
# trimmed after it is freed, so a patient can fault its pages in again: up to ~3,500 page
# faults, up to a tenth of a 30-day patient's CPU in the kernel (glibc's own threshold
# moves, so it varies run to run). A worker keeps them instead (mmap only above 32 MB,
# the largest threshold glibc takes; trim above 128 MB): ~20 faults per patient. Best
# effort: other C libraries keep their defaults. The results are the same either way.
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3


def _keep_freed_memory() -> None:
    try:
        libc = ctypes.CDLL(None)
        mallopt = libc.mallopt
    except (OSError, AttributeError, TypeError):  # no C library handle (Windows)
        return
    mallopt(_M_MMAP_THRESHOLD, 32 * 1024 * 1024)
    mallopt(_M_TRIM_THRESHOLD, 128 * 1024 * 1024)


def _open_in_worker(path: str) -> None:
    global _worker_store
    _keep_freed_memory()
    _worker_store = Store(path)
    multiprocessing.util.Finalize(_worker_store, _worker_store.close, exitpriority=10)


def _refresh_in_worker(patient_id: str, cfg: AnalysisConfig | None) -> RefreshResult:
    if _worker_store is None:
        raise RefreshError("the worker's database was not opened")
    return refresh_one(_worker_store, patient_id, cfg)


def refresh_one(store: Store, patient_id: str, cfg: AnalysisConfig | None = None
                ) -> RefreshResult:
    """Refresh one patient; a failure is stored on its queue entry, not raised."""
    t0 = time.perf_counter()
    entry = next(iter(store.pending(patient_id)), None)
    span = _span_of(store, patient_id, entry, cfg)
    full = span is None
    try:
        _refresh_patient(store, patient_id, cfg, False, entry, span)
    except Exception as e:  # any failure: records stay, the entry stays, the reason is kept
        msg = f"{type(e).__name__}: {e}"
        try:
            store.refresh_failed(patient_id, msg)
        except Exception:  # the database itself is the problem: the entry is still queued
            pass
        return RefreshResult(patient_id, False, msg, time.perf_counter() - t0, full)
    return RefreshResult(patient_id, True, None, time.perf_counter() - t0, full)


def _span_of(store: Store, patient_id: str, entry: QueueEntry | None,
             cfg: AnalysisConfig | None) -> tuple[int, int] | None:
    """The UTC span an incremental refresh re-analyses, or None for a full one: no entry,
    a full one, stored rows of another analysis method (a span must not join them), or
    nights analysed before their threshold inputs were stored (v16: re-analysed fully
    once, which stores them)."""
    if entry is None or entry.full or entry.from_utc is None or entry.to_utc is None:
        return None
    if store.analysis_method(patient_id) not in (None, method_id(cfg)):  # None: no rows
        return None
    if store.nights_lack_inputs(patient_id):
        return None
    return entry.from_utc, entry.to_utc


def refresh_patient(store: Store, patient_id: str, cfg: AnalysisConfig | None = None,
                    full: bool = False, entry: QueueEntry | None = None) -> PatientSummary:
    """Analyse the patient, store the rows, then the rolling figures and per-range
    summaries; clears the queue entry it was started for (if nothing arrived since)."""
    return _refresh_patient(store, patient_id, cfg, full, entry, None)


def _refresh_patient(store: Store, patient_id: str, cfg: AnalysisConfig | None, full: bool,
                     entry: QueueEntry | None, known: tuple[int, int] | None
                     ) -> PatientSummary:
    """refresh_patient; known: _span_of(entry) the caller found already (used while the
    entry stays the one it was found for: nothing else _span_of reads changes here)."""
    cfg = cfg or AnalysisConfig()
    for dev in store.devices_of(patient_id):
        store.reanchor(dev)  # records placed in time now are queued as a full refresh
    first = entry
    if entry is None:
        entry = next(iter(store.pending(patient_id)), None)
    elif entry.gen != next((e.gen for e in store.pending(patient_id)), entry.gen):
        entry = next(iter(store.pending(patient_id)), entry)
    gen = None if entry is None else entry.gen
    method = method_id(cfg)
    span_utc = (None if full else known if known is not None and entry is first
                else _span_of(store, patient_id, entry, cfg))
    if span_utc is not None:
        # each night depends only on the days around it (AnalysisConfig
        # .threshold_window_days): re-analyse the dates the new records can move, with
        # the thresholds pooled from the stored nights' inputs when it can
        lo, hi = span_utc
        pooled: Span | None = None
        if hi - lo <= ONE_LOAD_DAYS * 86400:
            pooled = analyse_pooled(store, patient_id, cfg, lo, hi)
        for span in ([pooled] if pooled is not None else
                     analyse_all(store, patient_id, cfg, lo, hi)):
            _store_rows(store, patient_id, span)
        _store_counts(store, patient_id, cfg)
        return _store_rolling(store, patient_id, cfg, gen, method)
    # full: analyse everything first; the stored rows are replaced only once it succeeded
    # (a failure leaves the previous rows, shown as pending until a refresh succeeds)
    whole = Span(None, None)
    nights: dict[str, dict[str, Any]] = {}
    days: dict[str, dict[str, Any]] = {}
    for span in analyse_all(store, patient_id, cfg):
        nights.update((n["night"], n) for n in span.nights)
        days.update((d["day"], d) for d in span.days)
        whole.profiles.update(span.profiles)
        whole.inputs.update(span.inputs)
    whole.nights = [nights[k] for k in sorted(nights)]
    whole.days = [days[k] for k in sorted(days)]
    _store_rows(store, patient_id, whole)
    _store_counts(store, patient_id, cfg)
    return _store_rolling(store, patient_id, cfg, gen, method)


def _store_rows(store: Store, patient_id: str, span: Span) -> None:
    store.replace_span(patient_id, span.first.isoformat() if span.first else None,
                       span.last.isoformat() if span.last else None, span.nights, span.days,
                       span.profiles,
                       {k: (x.encode(), x.step, x.other, x.thr) for k, x in span.inputs.items()})


def _store_counts(store: Store, patient_id: str, cfg: AnalysisConfig) -> None:
    """The figures of the patient's imported activity counts (count-based sleep per night,
    rhythm in both conventions, or why not), recomputed from all its counts (a quick
    look-up when it has no import device) and stored: `wearlog report` reads them."""
    f = count_figures(store, patient_id, cfg)
    store.replace_count_figures(patient_id, f.scoring, f.nights, f.rhythms)


def store_span(store: Store, patient_id: str, span: Span, cfg: AnalysisConfig | None = None,
               gen: int | None = None) -> PatientSummary:
    """The storing half of the refresh step: the span's rows, then everything rolling.

    gen None (rows that did not come from the queue, e.g. sample data): the queue entry
    is cleared whatever its generation."""
    _store_rows(store, patient_id, span)
    if gen is None:
        gen = next((e.gen for e in store.pending(patient_id)), None)
    return _store_rolling(store, patient_id, cfg or AnalysisConfig(), gen, method_id(cfg))


def rebuild_figures(store: Store, patient_id: str, cfg: AnalysisConfig | None = None
                    ) -> PatientSummary:
    """Rebuild the rolling figures and summaries from the stored rows (no re-analysis):
    after education links or content changed."""
    return _store_rolling(store, patient_id, cfg or AnalysisConfig(), None)


def _store_rolling(store: Store, patient_id: str, cfg: AnalysisConfig, gen: int | None,
                   method: str | None = None) -> PatientSummary:
    """Everything that depends on more than one day, recomputed from the stored rows.
    `method`: the analysis method that made the rows (None: they were not re-analysed)."""
    tz_name = store.patient(patient_id)["tz"]
    tz = ZoneInfo(tz_name)
    nights = store.nights_between(patient_id, *ALL_DAYS)
    days = store.days_between(patient_id, *ALL_DAYS)
    first_utc, last_utc = store.data_span(patient_id)
    out = PatientSummary(patient_id, tz_name, nights, days)
    out.unanchored_records = store.unanchored_count(patient_id)
    recent_n, recent_d = _last_year(nights, "night"), _last_year(days, "day")
    out.trends = rolling_trends(recent_n, recent_d, cfg)
    out.symptoms = symptom_context(recent_n, recent_d)
    worse = figures.sleep_worse(nights)
    summaries: dict[int, dict[str, Any]] = {}
    if last_utc is None or first_utc is None:
        out.rhythm = {k: None for k in ("IS", "IV", "RA", "L5", "M10", "L5_onset",
                                        "M10_onset", "SRI")}
        out.rhythm["n_valid_days"] = 0
        week: list[dict[str, Any]] = []
    else:
        last_day = figures.local_date(last_utc, tz)
        first_day = max(figures.local_date(first_utc, tz), last_day - dt.timedelta(days=365))
        all_dates = figures.date_range((last_day - first_day).days + 1, last_day)
        stored = store.profiles_between(patient_id, first_day.isoformat(), last_day.isoformat())
        valid = {d["day"] for d in days if d["valid"]}
        grid = profiles.grids(all_dates, stored)  # decoded once, sliced for every range
        out.rhythm = profiles.rhythm(all_dates, stored, valid, cfg.min_rhythm_days, grid=grid)
        links = []
        view_rows: dict[tuple[str, str], dict[str, Any]] = {}  # shared by the ranges
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
        for r in figures.RANGES:
            body, fired = figures.build_summary(
                store, patient_id, figures.date_range(r, last_day), cfg, worse=worse,
                span=(first_utc, last_utc), known_rhythm=(all_dates, out.rhythm),
                known_rows=(nights, days, stored), tz=tz, known_grid=(all_dates, grid),
                view_rows=view_rows, topics=False)  # (set below, once)
            summaries[r] = body
            links += [{"patient_id": patient_id, "topic_id": t, "rule_id": f.rule_id,
                       "finding_text": f.text, "window_end": f.window_end, "linked_at": now}
                      for f in fired for t in f.topic_ids]
        store.add_links(links)
        history = figures.topic_history(store, patient_id)
        for body in summaries.values():  # links just recorded belong to the history shown
            body["topics"] = history
        week_start = (last_day - dt.timedelta(days=6)).isoformat()
        week = [d for d in days if d["day"] >= week_start]
    rolling = {"rhythm": out.rhythm, "trends": out.trends, "symptoms": out.symptoms,
               "unanchored_records": out.unanchored_records}
    figs = {
        "first_utc": first_utc, "last_utc": last_utc,
        "last_sync_utc": store.last_sync_utc(patient_id),
        "wear_min_7d": sum(d["wear_min"] or 0.0 for d in week) if week else None,
        "high_severity_7d": sum(d["high_severity_events"] or 0 for d in week),
        "sleep_worse": worse,
    }
    store.save_refresh(patient_id, gen, figs, figures.to_json(rolling).decode(),
                       {r: figures.summary_json(b) for r, b in summaries.items()}, method)
    return out


def _last_year(rows: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    """Rolling figures look back at most a year (bounded work for any span of data)."""
    if not rows:
        return rows
    start = (dt.date.fromisoformat(rows[-1][key]) - dt.timedelta(days=365)).isoformat()
    return [r for r in rows if r[key] >= start]


def stored(store: Store, patient_id: str) -> PatientSummary:
    """The patient's stored results as analyse_patient returns them (reads only)."""
    p = store.patient(patient_id)
    out = PatientSummary(patient_id, p["tz"], store.nights_between(patient_id, *ALL_DAYS),
                         store.days_between(patient_id, *ALL_DAYS))
    rolling = store.analysis_state(patient_id)["rolling"]
    if rolling:
        r = json.loads(rolling)
        out.rhythm, out.trends, out.symptoms = r["rhythm"], r["trends"], r["symptoms"]
        out.unanchored_records = r["unanchored_records"]
    return out
