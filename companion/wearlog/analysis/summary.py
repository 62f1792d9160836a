"""analyse_patient: recompute a patient's nights, days and rhythm, and store them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from wearlog.analysis.activity import analyse_day
from wearlog.analysis.config import AnalysisConfig
from wearlog.analysis.errors import NotEnoughDataError
from wearlog.analysis.nonwear import detect_nonwear
from wearlog.analysis.rhythm import rhythm_metrics
from wearlog.analysis.sleep import (
    hdcza_signal,
    score_sleep,
    sleep_regularity_index,
    still_epochs,
)
from wearlog.analysis.timeline import Timeline, load_timeline, local_bounds
from wearlog.analysis.trends import rolling_trends, symptom_context
from wearlog.store import Store

NIGHT_KEYS = ("patient_id", "night", "onset_utc", "offset_utc", "tib_min", "tst_min", "sol_min",
              "waso_min", "se_pct", "awakenings", "midsleep_local", "source", "valid")
DAY_KEYS = ("patient_id", "day", "steps", "sedentary_min", "light_min", "moderate_min",
            "vigorous_min", "mvpa_min", "mvpa_bout_min", "longest_active_bout_min", "nap_min",
            "wear_min", "valid", "symptom_events", "high_severity_events", "max_severity")
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


def _empty_rhythm(n_valid: int) -> dict[str, Any]:
    r: dict[str, Any] = {k: None for k in RHYTHM_KEYS}
    r["n_valid_days"] = n_valid
    return r


def _valid_day_series(tl: Timeline, worn: np.ndarray, days: list[dict],
                      tz: ZoneInfo) -> np.ndarray:
    """ENMO of the valid days on a local-clock grid (2880 slots a day); gaps (non-wear, the
    missing DST hour) imputed with the mean of the same slot on other valid days."""
    per_day = 86400 // tl.epoch_s
    blocks = []
    for r in days:
        if not r["valid"]:
            continue
        d = dt.date.fromisoformat(r["day"])
        i0 = tl.index(local_bounds(d, tz, 0))
        i1 = tl.index(local_bounds(d + dt.timedelta(days=1), tz, 0))
        block = np.full(per_day, np.nan)
        idx = np.arange(i0, i1)
        per_hour = 3600 // tl.epoch_s
        local = [dt.datetime.fromtimestamp(tl.start + i * tl.epoch_s, tz)
                 for i in idx[::per_hour]]
        # slot of each epoch from its local clock time (one lookup per hour is enough:
        # clocks change on the hour or half hour, and the day starts on local midnight)
        for j, t in enumerate(local):
            s0 = (t.hour * 3600 + t.minute * 60 + t.second) // tl.epoch_s
            seg = idx[j * per_hour:(j + 1) * per_hour]
            slots = s0 + np.arange(len(seg))
            okk = slots < per_day
            vals = np.where(worn[seg], tl.enmo[seg], np.nan)
            block[slots[okk]] = vals[okk]
        blocks.append(block)
    x = np.concatenate(blocks)
    grid = x.reshape(len(blocks), per_day)
    cnt = (~np.isnan(grid)).sum(axis=0)
    prof = np.where(cnt > 0, np.nansum(grid, axis=0) / np.maximum(cnt, 1), 0.0)
    grid = np.where(np.isnan(grid), prof[None, :], grid)
    return grid.ravel()


def analyse_patient(store: Store, patient_id: str,
                    config: AnalysisConfig | None = None) -> PatientSummary:
    """Recompute nights, days and rhythm for one patient and replace their stored rows."""
    cfg = config or AnalysisConfig()
    pinfo = store.patient(patient_id)
    tz = ZoneInfo(pinfo["tz"])
    for dev in store.devices_of(patient_id):
        store.reanchor(dev)
    summary = PatientSummary(patient_id, pinfo["tz"])
    summary.unanchored_records = store.conn.execute(
        "SELECT (SELECT COUNT(*) FROM filed_epochs WHERE patient_id=?1 AND utc IS NULL) "
        "+ (SELECT COUNT(*) FROM filed_events WHERE patient_id=?1 AND utc IS NULL)",
        (patient_id,),
    ).fetchone()[0]
    tl = load_timeline(store, patient_id)
    if tl is not None:
        worn = ~detect_nonwear(tl, cfg)
        still = still_epochs(tl, cfg) & worn
        sig = hdcza_signal(tl, cfg)
        first = dt.datetime.fromtimestamp(tl.start, tz).date() - dt.timedelta(days=1)
        last = dt.datetime.fromtimestamp(tl.end - 1, tz).date()
        scores = score_sleep(tl, tz, worn, cfg, patient_id)
        summary.nights = scores.nights
        in_spt = scores.in_period
        # sleep/wake state for the SRI: known only in the noon-to-noon windows of nights
        # whose sleep was scored (no scored sleep anywhere: no SRI, not a perfect 100)
        state = np.full(tl.n, np.nan)
        for night in scores.nights:
            if night["onset_utc"] is not None:
                nd = dt.date.fromisoformat(night["night"])
                w0 = tl.index(local_bounds(nd, tz, 12))
                w1 = tl.index(local_bounds(nd + dt.timedelta(days=1), tz, 12))
                state[w0:w1] = np.where(worn[w0:w1], 0.0, np.nan)
        state = np.where(in_spt, np.where(worn, scores.asleep.astype(float), np.nan), state)
        d = first + dt.timedelta(days=1)
        while d <= last:
            day = analyse_day(tl, d, tz, worn, still, in_spt, cfg, patient_id, sig)
            if day is not None:
                summary.days.append(day)
            d += dt.timedelta(days=1)
        n_valid = sum(1 for r in summary.days if r["valid"])
        summary.rhythm = _empty_rhythm(n_valid)
        if n_valid >= cfg.min_rhythm_days:
            x = _valid_day_series(tl, worn, summary.days, tz)
            try:
                summary.rhythm.update(rhythm_metrics(x, 0, tl.epoch_s))
            except NotEnoughDataError:
                pass
        summary.rhythm["SRI"] = sleep_regularity_index(state, tl.epoch_s)
        scored = np.where(in_spt & worn, scores.asleep.astype(float), np.nan)
        summary.epochs = EpochStates(tl.start, tl.epoch_s, tl.present, worn, in_spt, scored)
    else:
        summary.rhythm = _empty_rhythm(0)
    summary.trends = rolling_trends(summary.nights, summary.days, cfg)
    summary.symptoms = symptom_context(summary.nights, summary.days)
    _save(store, summary)
    return summary


def _save(store: Store, s: PatientSummary) -> None:
    with store.transaction() as c:
        c.execute("DELETE FROM nights WHERE patient_id=?", (s.patient_id,))
        c.execute("DELETE FROM days WHERE patient_id=?", (s.patient_id,))
        c.executemany(_insert_sql("nights", NIGHT_KEYS), [tuple(n[k] for k in NIGHT_KEYS)
                                                          for n in s.nights])
        c.executemany(_insert_sql("days", DAY_KEYS), [tuple(d[k] for k in DAY_KEYS)
                                                      for d in s.days])


def _insert_sql(table: str, keys: tuple[str, ...]) -> str:
    return f"INSERT INTO {table} ({', '.join(keys)}) VALUES ({', '.join('?' * len(keys))})"
