"""Store ingest rate and analysis time (run() -> dict of figures).

Figures:
- ingest_store_rows_per_s: Store.ingest in 64-record batches (one transaction each, as
  the BLE sync commits), and ingest_store_bulk_rows_per_s for one large batch;
- ingest_raw_executemany_rows_per_s: plain sqlite3.executemany of the same rows into
  the same table in a fresh file with the same pragmas, same run, one transaction;
- analysis_1x90_s: analyse_patient on one patient with 90 days of 30-s epochs;
- analysis_1000x30_s: analyse_patient over `patients` patients x 30 days each, stored
  in one database (wall time for all of them, ingest excluded; per-patient mean too).
Synthetic wearers (wearlog.testing.epochs) supply the data; 6 distinct 30-day
wearers are reused across patients (analysis cost does not depend on which): the first
six go through Store.ingest, the rest are copied inside SQLite so the set-up stays short.
`python bench/analysis_bench.py --quick` runs 50 patients instead of 1,000.
"""

from __future__ import annotations

import json
import os
import resource
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

from wearlog.analysis import analyse_patient
from wearlog.pipeline import refresh
from wearlog.store import Store
from wearlog.store.columns import stored_epoch
from wearlog.store.store import _INSERT_EPOCH
from wearlog.testing.epochs import make_wearer
from wlproto.records import Epoch


def _ingest_figures(tmp: Path, records: list) -> dict:
    epochs = [r for r in records if isinstance(r, Epoch)]
    s = Store(tmp / "ingest.db")
    s.add_patient("B")
    s.add_device(1, "B")
    s.add_device(2, "B")
    t = time.perf_counter()
    for i in range(0, len(epochs), 64):
        s.ingest(1, epochs[i:i + 64])
    batched = time.perf_counter() - t
    t = time.perf_counter()
    s.ingest(2, epochs)
    bulk = time.perf_counter() - t
    s.close()
    raw = Store(tmp / "raw.db")  # same schema and pragmas, then plain sqlite3 only
    raw.close()
    conn = sqlite3.connect(tmp / "raw.db", isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    rows = [stored_epoch((1, *e.fields(), e.time, None, None)) for e in epochs]
    t = time.perf_counter()
    conn.execute("BEGIN")
    conn.executemany(_INSERT_EPOCH, rows)
    conn.execute("COMMIT")
    rawt = time.perf_counter() - t
    conn.close()
    n = len(epochs)
    return {
        "ingest_rows": n,
        "ingest_store_rows_per_s": round(n / batched),
        "ingest_store_bulk_rows_per_s": round(n / bulk),
        "ingest_raw_executemany_rows_per_s": round(n / rawt),
        "ingest_store_bulk_vs_raw": round(rawt / bulk, 3),
    }


def _copy_device(s: Store, src: int, dst: int) -> None:
    with s.transaction() as c:
        for table in ("epochs", "events"):
            cols = [r[1] for r in c.execute(f"PRAGMA table_info({table})")]
            rest = ", ".join(x for x in cols if x != "device_id")
            c.execute(f"INSERT INTO {table} (device_id, {rest}) SELECT ?, {rest} FROM {table} "
                      "WHERE device_id=?", (dst, src))


def _refresh_figures(tmp: Path, records: list, reps: int = 5) -> dict:
    """The refresh after one more day beside a full re-analysis of the same 90-day patient,
    each measured `reps` times on a fresh database (medians: one run on a loaded machine
    can land either figure on a busy moment; 3 runs moved the ratio by +-10 %).

    The day's records are the last 86,400 s, from 23:59:30 of the day before: they touch
    two local dates, as a sync at any time of day but midnight does."""
    one, full, one_cpu, full_cpu = [], [], [], []
    for k in range(reps):
        s = Store(tmp / f"one{k}.db")
        s.add_patient("P-90")
        s.add_device(1, "P-90")
        # 89 days first, then the 90th arrives: the refresh step analyses only what it touches
        cut = max(r.time for r in records) - 86400
        s.ingest(1, [r for r in records if r.time < cut])
        refresh(s, "P-90")
        s.ingest(1, [r for r in records if r.time >= cut])
        t, c = time.perf_counter(), time.process_time()
        (res,) = refresh(s, "P-90")
        one.append(time.perf_counter() - t)
        one_cpu.append(time.process_time() - c)
        assert res.ok and not res.full, res
        t, c = time.perf_counter(), time.process_time()
        r = analyse_patient(s, "P-90")  # full re-analysis of the same patient, same run
        full.append(time.perf_counter() - t)
        full_cpu.append(time.process_time() - c)
        s.close()
    one_s, full_s = statistics.median(one), statistics.median(full)
    return {
        "analysis_1x90_s": round(full_s, 3),
        "refresh_one_more_day_s": round(one_s, 3),
        "refresh_one_more_day_vs_full": round(one_s / full_s, 3),
        "refresh_one_more_day_cpu_vs_full_cpu": round(
            statistics.median(one_cpu) / statistics.median(full_cpu), 3),
        "refresh_one_more_day_cpu_s": round(statistics.median(one_cpu), 4),
        "analysis_1x90_cpu_s": round(statistics.median(full_cpu), 4),
        "refresh_one_more_day_runs_s": [round(x, 3) for x in one],
        "analysis_1x90_runs_s": [round(x, 3) for x in full],
        "analysis_1x90_valid_days": r.rhythm["n_valid_days"],
    }


def run(patients: int = 1000, days: int = 30) -> dict:
    figures: dict = {}
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        w90 = make_wearer(90, seed=1)
        figures.update(_ingest_figures(tmp, w90.records))
        figures.update(_refresh_figures(tmp, w90.records))

        wearers = [make_wearer(days, seed=10 + k).records for k in range(6)]
        s = Store(tmp / "many.db")
        t = time.perf_counter()
        for p in range(patients):
            pid = f"P-{p:04d}"
            s.add_patient(pid)
            s.add_device(1000 + p, pid)
            if p < len(wearers):
                s.ingest(1000 + p, wearers[p])
            else:  # the same rows under another device: copied inside SQLite (set-up only)
                _copy_device(s, 1000 + p % len(wearers), 1000 + p)
        figures[f"setup_{patients}x{days}_s"] = round(time.perf_counter() - t, 1)
        s.queue_full(s.patient_ids())
        workers = os.cpu_count() or 1
        load0 = os.getloadavg()
        ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu0 = time.process_time()
        t = time.perf_counter()
        results = refresh(s, workers=workers)  # the refresh step over every patient
        total = time.perf_counter() - t
        # CPU of the workers (ended with their pool) and of this process: what the
        # analysis costs whatever else loads the machine
        ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (ru1.ru_utime - ru0.ru_utime + ru1.ru_stime - ru0.ru_stime
               + time.process_time() - cpu0)
        assert all(x.ok for x in results) and len(results) == patients
        figures[f"analysis_{patients}x{days}_workers"] = workers
        figures[f"analysis_{patients}x{days}_s"] = round(total, 1)
        figures[f"analysis_{patients}x{days}_per_patient_s"] = round(total / patients, 4)
        figures[f"analysis_{patients}x{days}_cpu_s"] = round(cpu, 1)
        figures[f"analysis_{patients}x{days}_cpu_per_patient_s"] = round(cpu / patients, 4)
        figures[f"analysis_{patients}x{days}_loadavg"] = [
            [round(x, 2) for x in load0], [round(x, 2) for x in os.getloadavg()]]
        size = (tmp / "many.db").stat().st_size
        figures[f"db_{patients}x{days}_mb"] = round(size / 1e6)
        figures["db_mb_per_patient_month"] = round(size / 1e6 / patients * 30 / days, 2)
        s.close()
    return figures


if __name__ == "__main__":
    quick = "--quick" in sys.argv
    print(json.dumps(run(patients=50 if quick else 1000), indent=1))
