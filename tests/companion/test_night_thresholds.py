"""HDCZA threshold inputs stored with the nights (v16 night_thresholds).

A refresh pools each night's angle threshold from the stored inputs of the nights
around it instead of reading their epochs: the pooled threshold equals the one pooled
from the epochs, and an incremental refresh that uses them stores what a full analysis
of the same records stores, for any split of the records into ingests (hypothesis).
"""

from __future__ import annotations

import datetime as dt
import functools
import importlib
import json
import tempfile
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.companion import test_pipeline_properties
from wearlog.analysis import analyse_patient
from wearlog.analysis.config import AnalysisConfig
from wearlog.analysis.runs import rolling_median
from wearlog.analysis.sleep import (
    NightInputs,
    _thresholds,
    night_inputs,
    pooled_threshold,
    threshold_window,
)
from wearlog.analysis.timeline import Timeline
from wearlog.pipeline import refresh
from wearlog.store import Store
from wearlog.testing.epochs import make_wearer

ALL = ("0000-01-01", "9999-12-31")
UTC = ZoneInfo("UTC")
NOON = int(dt.datetime(2026, 3, 20, 12, tzinfo=dt.UTC).timestamp())
PER_NIGHT = 2880


@settings(max_examples=60, deadline=None)
@given(nights=st.integers(1, 9), levels=st.integers(1, 40), zero=st.floats(0.0, 0.99),
       not_worn=st.floats(0.0, 0.5), no_angle=st.floats(0.0, 0.3),
       below_step=st.booleans(), seed=st.integers(0, 2**32 - 1))
def test_pooled_inputs_give_the_threshold_pooled_from_epochs(
        nights: int, levels: int, zero: float, not_worn: float, no_angle: float,
        below_step: bool, seed: int) -> None:
    """Quantised angle changes (0.1 deg steps, many zeros: the quantised-sensor rule),
    worn and angle masks at random: for every night, the threshold pooled from the
    NightInputs of nights d-R..d+R (after a round trip through their stored form) is the
    one _thresholds pools from the epochs of the same windows, bit for bit."""
    rng = np.random.default_rng(seed)
    n = nights * PER_NIGHT
    dangle = np.where(rng.random(n) < zero, 0, rng.integers(1, levels + 1, n)) / 10.0
    present = np.ones(n, dtype=bool)
    angle = rng.random(n) >= no_angle
    worn = rng.random(n) >= not_worn
    tl = Timeline(NOON, 30, present, np.zeros(n), np.zeros(n), np.zeros(n), dangle,
                  np.zeros(n, np.int64), np.zeros(n, np.int64), angle, ~angle, [])
    cfg = AnalysisConfig(hdcza_p10_below_step=below_step)
    sig = rolling_median(dangle, 10)
    first = dt.date(2026, 3, 20)
    days = [first + dt.timedelta(days=k) for k in range(-1, nights + 1)]
    stored = {}
    for d in days:
        x = night_inputs(tl, d, UTC, worn, sig)
        stored[d] = NightInputs.decode(x.encode(), x.step, x.other, x.thr)
        assert np.array_equal(stored[d].values, x.values)
        assert np.array_equal(stored[d].counts, x.counts)
    r = cfg.threshold_window_days
    empty = NightInputs(np.zeros(0), np.zeros(0, np.int64), 0.0, 0)
    for d in days:
        want = _thresholds(tl, worn, sig, cfg, np.zeros(n), *threshold_window(tl, d, UTC, cfg))
        got = pooled_threshold(
            [stored.get(d + dt.timedelta(days=k), empty) for k in range(-r, r + 1)], cfg)
        assert got == want.angle or (got is None and want.angle is None), d


@functools.lru_cache(maxsize=2)
def wearer(markers: bool = False) -> list[Any]:
    # 12 days over the spring DST change in Berlin, with a day off the wrist; markers:
    # bed/up presses every night (the period then comes from them, not from the block)
    return make_wearer(12, tz="Europe/Berlin", seed=23, nonwear_days=(5,),
                       markers=markers).records


def stored(s: Store) -> dict[str, Any]:
    """What the ingest-order test compares (inputs included), but the patient-list row:
    its last sync time is when each database was written."""
    out = test_pipeline_properties.stored(s)
    out.pop("rows")
    return out


@functools.lru_cache(maxsize=2)
def full_analysis(markers: bool = False) -> str:
    """One ingest of every record, then a full re-analysis."""
    with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp) / "full.db") as s:
        s.add_patient("P", "Europe/Berlin")
        s.add_device(1, "P")
        s.ingest(1, wearer(markers))
        analyse_patient(s, "P")
        return json.dumps(stored(s), sort_keys=True, default=repr)


class _Spy:
    """Counts analyse_pooled's answers (a span: the stored inputs were used)."""

    def __init__(self, real: Any) -> None:
        self.real, self.used, self.declined = real, 0, 0

    def __call__(self, *a: Any, **k: Any) -> Any:
        out = self.real(*a, **k)
        if out is None:
            self.declined += 1
        else:
            self.used += 1
        return out


def _ingest_in_parts(where: Path | Any, parts: list[list[Any]], spy: _Spy) -> str:
    with Store(where) as s:
        s.add_patient("P", "Europe/Berlin")
        s.add_device(1, "P")
        for batch in parts:
            s.ingest(1, batch)
            assert all(r.ok for r in refresh(s, "P"))
        return json.dumps(stored(s), sort_keys=True, default=repr)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cuts=st.lists(st.integers(1, 999), min_size=1, max_size=4, unique=True),
       order=st.permutations(range(5)), markers=st.booleans())
def test_incremental_refresh_with_stored_inputs_equals_a_full_analysis(
        cuts: list[int], order: list[int], markers: bool) -> None:
    """The records cut at any points into up to five stretches (a day, an hour, a few
    epochs), ingested in any order with a refresh after each: every refresh pools its
    thresholds from the stored inputs (none falls back to reading the threshold
    window's epochs), and the stored nights, days, profiles, inputs, summaries and
    rolling figures equal one full analysis of all the records."""
    records = wearer(markers)
    at = sorted(len(records) * c // 1000 for c in cuts)
    bounds = [0, *at, len(records)]
    parts = [records[a:b] for a, b in zip(bounds, bounds[1:], strict=False) if b > a]
    parts = [parts[k] for k in order if k < len(parts)]
    rf = importlib.import_module("wearlog.pipeline.refresh")
    spy = _Spy(rf.analyse_pooled)
    rf.analyse_pooled = spy
    try:
        with tempfile.TemporaryDirectory() as tmp:
            got = _ingest_in_parts(Path(tmp) / "p.db", parts, spy)
    finally:
        rf.analyse_pooled = spy.real
    assert spy.used == len(parts) and spy.declined == 0
    assert got == full_analysis(markers)


def test_both_backends_store_the_inputs_a_full_analysis_stores(db_location: Any,
                                                                 monkeypatch: Any) -> None:
    """Three parts out of order (a late day in the middle last) on SQLite and on
    PostgreSQL: the pooled path is used every time and the results (inputs included, as
    exact floats) equal a full analysis on SQLite."""
    records = wearer()
    k = len(records) // 12
    parts = [records[:5 * k], records[6 * k:], records[5 * k:6 * k]]
    rf = importlib.import_module("wearlog.pipeline.refresh")
    spy = _Spy(rf.analyse_pooled)
    monkeypatch.setattr(rf, "analyse_pooled", spy)
    assert _ingest_in_parts(db_location, parts, spy) == full_analysis()
    assert spy.used == 3 and spy.declined == 0


def test_nights_analysed_before_v16_are_reanalysed_fully_once(db_location: Any,
                                                               monkeypatch: Any) -> None:
    """A database upgraded to v16 holds nights without inputs: the next refresh, queued
    as incremental, analyses the patient in full instead (so no threshold is pooled
    from missing inputs) and stores every night's inputs; the one after is pooled."""
    records = wearer()
    k = len(records) // 12
    rf = importlib.import_module("wearlog.pipeline.refresh")
    spy = _Spy(rf.analyse_pooled)
    monkeypatch.setattr(rf, "analyse_pooled", spy)
    with Store(db_location) as s:
        s.add_patient("P", "Europe/Berlin")
        s.add_device(1, "P")
        s.ingest(1, records[:10 * k])
        assert all(r.ok for r in refresh(s, "P"))
        with s.transaction() as c:  # as a v15 database upgraded to v16 holds them
            c.execute("DELETE FROM night_thresholds")
        assert s.nights_lack_inputs("P")
        s.ingest(1, records[10 * k:11 * k])
        (entry,) = s.pending("P")
        assert not entry.full
        spy.used = spy.declined = 0
        (res,) = refresh(s, "P")
        assert res.ok and res.full
        assert spy.used == spy.declined == 0  # analysed in full
        assert not s.nights_lack_inputs("P")
        s.ingest(1, records[11 * k:])
        assert all(r.ok for r in refresh(s, "P"))
        assert spy.used == 1
        got = json.dumps(stored(s), sort_keys=True, default=repr)
    assert got == full_analysis()


def test_an_enmo_only_import_keeps_the_epoch_pooled_thresholds(tmp_path: Path,
                                                                monkeypatch: Any) -> None:
    """A wearable's days and an ENMO-only import's days (no arm angle: their ENMO
    threshold is not stored), ingested in four parts out of order: once the import is in
    reach, refreshes take the epoch-pooled path (analyse_pooled declines), and the stored
    results (inputs included) equal a full analysis of the same database."""
    records = make_wearer(12, tz="Europe/Berlin", seed=23).records
    k = len(records) // 12
    worn, imported = records[:6 * k], records[6 * k:]
    rf = importlib.import_module("wearlog.pipeline.refresh")
    spy = _Spy(rf.analyse_pooled)
    monkeypatch.setattr(rf, "analyse_pooled", spy)
    with Store(tmp_path / "p.db") as s:
        s.add_patient("P", "Europe/Berlin")
        s.add_device(1, "P")
        s.add_device(2, "P", kind="import-enmo")
        for dev, batch in ((1, worn[:3 * k]), (2, imported[k:]), (1, worn[3 * k:]),
                           (2, imported[:k])):
            s.ingest(dev, batch)
            assert all(r.ok for r in refresh(s, "P"))
        assert spy.used == 1 and spy.declined == 3
        sources = {n["source"] for n in s.nights_between("P", *ALL)}
        assert {"hdcza", "enmo"} <= sources
        got = json.dumps(stored(s), sort_keys=True, default=repr)
        analyse_patient(s, "P")
        assert json.dumps(stored(s), sort_keys=True, default=repr) == got
