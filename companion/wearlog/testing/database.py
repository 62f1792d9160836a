"""A sample database: synthetic but realistic-looking patients for tests and the bench.

Records go in through Store.ingest like real syncs (store_records: any generator's
records, e.g. make_wearer's, can be stored the same way). With analysis_rows, the nights,
days and day profiles come from the generator's own ground truth (source='sample') and
go through the refresh step's storing half (rolling figures, summaries, links), so tests
can assert exact figures without depending on the analysis methods. Without, the
patient stays queued for the refresh step ("analysis pending").
"""

from __future__ import annotations

import datetime as dt
import time

import numpy as np

from wearlog.analysis.profiles import MISSING, NO_DATA, NOT_WORN, encode
from wearlog.analysis.summary import Span
from wearlog.pipeline.refresh import store_span
from wearlog.store import Store
from wearlog.testing.days import EPOCH_S, PER_DAY, EpochColumns, epoch_records
from wlproto.const import EV_SYMPTOM, FLAG_NONWEAR
from wlproto.records import Epoch, Event

__all__ = ["make_patient", "store_records"]


def store_records(store: Store, device_id: int, records: list[Epoch | Event],
                  note: str = "sample data") -> int:
    """Store a device's records as one sync would (audit row included); returns how many
    were new. The device must be registered (Store.add_device)."""
    sync = store.begin_sync(device_id, note=note)
    new = store.ingest(device_id, records, sync_id=sync)
    store.end_sync(sync, "ok")
    return new


def make_patient(
    store: Store, patient_id: str, device_id: int, days: int, *,
    end_utc: int | None = None, tz: str = "UTC", seed: int = 0,
    analysis_rows: bool = True, symptoms_per_day: float = 1.0, tst_shift_min: float = 0.0,
    recent_nights: int = 0, invalid_days: tuple[int, ...] = (), diary_days: int = 0,
) -> dict[str, int]:
    """Add a patient with `days` days of epochs ending at end_utc (default: now).

    tst_shift_min shortens sleep by that many minutes in the last `recent_nights` nights
    (to trigger the "sleep worse than baseline" flag). The days (and the nights beginning
    on them) at the indices `invalid_days` (from 0; negative from the end) are stored as
    not valid, as the analysis does for a day worn too little. diary_days adds the
    wearer's diary for that many last days (one day in seven left out, as people forget).
    Returns counts of what was written.
    """
    rng = np.random.default_rng(seed)
    end = int(time.time()) if end_utc is None else end_utc
    end -= end % EPOCH_S
    start = (end // 86400 - days + 1) * 86400  # UTC midnight: the last day runs up to `end`
    store.add_patient(patient_id, tz=tz)
    store.add_device(device_id, patient_id, name=f"WL-{device_id:04X}")
    n = (end - start) // EPOCH_S
    t = start + np.arange(n) * EPOCH_S
    tod = (t % 86400) / 3600.0  # hours, UTC-based clock for simplicity
    day_idx = (t - start) // 86400
    # sleep 23:00 -> 07:00, shortened at the start in the recent nights
    shift_h = np.where(day_idx >= days - recent_nights, tst_shift_min / 60.0, 0.0)
    asleep = (tod >= 23.0 + np.minimum(shift_h, 0.99)) | (tod < 7.0)
    asleep &= ~((tod >= 23.0) & (tod < 23.0 + shift_h))
    enmo = np.where(asleep, rng.integers(0, 30, n),
                    np.exp(rng.normal(5.5, 1.2, n)).clip(0, 65535)).astype(int)
    steps = np.where(asleep, 0, rng.poisson(8, n)).clip(0, 255)
    nonwear = np.zeros(n, dtype=bool)
    for d in range(days):
        if rng.random() < 0.3 and d < days - 1:  # an hour off-wrist on some afternoons
            a = d * PER_DAY + int(rng.integers(13 * 120, 17 * 120))
            nonwear[a:a + 120] = True
    enmo[nonwear] = 0
    steps[nonwear] = 0
    flags = np.where(nonwear, FLAG_NONWEAR, 0)
    cols = EpochColumns(flags, enmo, enmo // 2, np.zeros(n, dtype=np.int64),
                        np.where(asleep, 0, 40), steps, 60)
    n_sym = rng.poisson(symptoms_per_day * days)
    sym_times = np.sort(rng.integers(start, end, n_sym))
    sym_sev = rng.integers(1, 6, n_sym)
    events = [(int(ts), EV_SYMPTOM, int(sev)) for ts, sev in zip(sym_times, sym_sev, strict=True)]
    new = store_records(store, device_id, epoch_records(start, cols, events, interleave=False))
    rows = {"epochs": n, "events": int(n_sym), "new": new, "nights": 0, "days": 0}
    if analysis_rows:
        sym_day = (sym_times - start) // 86400
        rows.update(_analysis_rows(store, patient_id, start, days, asleep, nonwear, steps,
                                   enmo, rng, sym_day, sym_sev,
                                   {i % days for i in invalid_days}))
    if diary_days:
        rows["diary"] = _diary(store, patient_id, start, days, min(diary_days, days), seed)
    return rows


def _diary(store: Store, pid: str, start: int, days: int, n: int, seed: int) -> int:
    """The wearer's 0-10 ratings for the last n days (its own generator, so the records
    and figures above stay the same with or without a diary)."""
    rng = np.random.default_rng(seed + 1)
    entries = []
    for d in range(days - n, days):
        if d % 7 == 3:
            continue
        day = dt.datetime.fromtimestamp(start + d * 86400, dt.UTC).date().isoformat()
        pain, fatigue, sleep_q, mood = (int(v) for v in rng.integers(0, 11, 4))
        entries.append({"day": day, "pain": pain, "fatigue": fatigue, "sleep_quality": sleep_q,
                        "mood": mood, "stiffness_min": int(rng.integers(0, 90)),
                        "note": None, "updated_utc": start + d * 86400 + 20 * 3600})
    store.save_diary(pid, entries)
    return len(entries)


def _analysis_rows(store: Store, pid: str, start: int, days: int, asleep: np.ndarray,
                   nonwear: np.ndarray, steps: np.ndarray, enmo: np.ndarray,
                   rng: np.random.Generator, sym_day: np.ndarray,
                   sym_sev: np.ndarray, invalid: set[int]) -> dict[str, int]:
    nights, day_rows = [], []
    for d in range(days):
        date = dt.datetime.fromtimestamp(start + d * 86400, dt.UTC).date()
        sl = slice(d * PER_DAY, (d + 1) * PER_DAY)
        worn = ~nonwear[sl]
        active = (~asleep[sl]) & worn
        mvpa = float(((enmo[sl] >= 1000) & active).sum() * 0.5)
        sedentary = float(((enmo[sl] < 400) & active).sum() * 0.5)
        day_rows.append((pid, date.isoformat(), int(steps[sl].sum()), sedentary,
                         float(active.sum() * 0.5) - sedentary - mvpa, mvpa * 0.8, mvpa * 0.2,
                         mvpa, mvpa * 0.5, 30.0, 0.0, float(worn.sum() * 0.5),
                         int(d not in invalid),
                         int((sym_day == d).sum()), int(((sym_day == d) & (sym_sev >= 4)).sum()),
                         int(sym_sev[sym_day == d].max()) if (sym_day == d).any() else 0))
        if (d + 1) * PER_DAY + 7 * 120 > len(asleep):  # that night has not ended yet
            continue
        # the night starting this evening: from 23:00 of day d to 07:00 of day d+1
        ns = slice(d * PER_DAY + 23 * 120, d * PER_DAY + 31 * 120)
        tib = 480.0
        tst_true = float(asleep[ns].sum() * 0.5)
        waso = float(rng.uniform(10, 60))
        sol = float(rng.uniform(5, 40))
        tst = max(0.0, tst_true - waso - sol)
        nights.append((pid, date.isoformat(), start + d * 86400 + 23 * 3600,
                       start + d * 86400 + 31 * 3600, tib, tst, sol, waso, 100 * tst / tib,
                       int(rng.integers(1, 8)), 3.0, "sample", int(d not in invalid)))
    profiles: dict[str, tuple[bytes, bytes]] = {}
    for d in range(days):
        day_key = dt.datetime.fromtimestamp(start + d * 86400, dt.UTC).date().isoformat()
        sl = slice(d * PER_DAY, (d + 1) * PER_DAY)
        e = np.full(PER_DAY, MISSING, dtype=np.uint16)
        st = np.full(PER_DAY, NO_DATA, dtype=np.uint8)
        have = len(asleep[sl])
        worn = ~nonwear[sl]
        e[:have] = np.where(worn, enmo[sl].clip(0, MISSING - 1), MISSING)
        st[:have] = np.where(worn, asleep[sl].astype(np.uint8), NOT_WORN)
        profiles[day_key] = encode(e, st)
    keys_n = ("patient_id", "night", "onset_utc", "offset_utc", "tib_min", "tst_min",
              "sol_min", "waso_min", "se_pct", "awakenings", "midsleep_local", "source", "valid")
    keys_d = ("patient_id", "day", "steps", "sedentary_min", "light_min", "moderate_min",
              "vigorous_min", "mvpa_min", "mvpa_bout_min", "longest_active_bout_min", "nap_min",
              "wear_min", "valid", "symptom_events", "high_severity_events", "max_severity")
    span = Span(None, None, [dict(zip(keys_n, r, strict=True)) for r in nights],
                [dict(zip(keys_d, r, strict=True)) for r in day_rows], profiles)
    store_span(store, pid, span)
    return {"nights": len(nights), "days": len(day_rows)}
