"""Store ingest of real device records (the shared host-port recording: epochs and events)
against plain sqlite3.executemany of the same rows into the same schema, same run.

Store.ingest validates each record, builds the rows and commits one transaction per call;
the sync calls it every 256 records (half its read window). The baseline is the cheapest
way to put those rows in that database: one executemany per table in one transaction,
with the Store's pragmas (WAL, synchronous=NORMAL). Synthetic-wearer figures at larger
scale come from bench/analysis_bench.py.
"""

from __future__ import annotations

import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.figures import figure
from bench.recording import DAYS, QUICK_DAYS, recording
from wearlog.store import Store
from wearlog.store.columns import stored_epoch
from wearlog.store.store import _INSERT_EPOCH, _INSERT_EVENT
from wlproto.records import Epoch

BATCH = 256
REPEATS = 3


def _fresh(path: Path) -> Store:
    s = Store(path)
    s.add_patient("P-BENCH")
    s.add_device(1, "P-BENCH")
    return s


def _raw_rows(records: list[Any]) -> tuple[list[tuple], list[tuple]]:
    ep, ev = [], []
    for r in records:
        if isinstance(r, Epoch):
            ep.append(stored_epoch((1, *r.fields(), r.time, None, None)))  # utc, counts, sync
        else:
            ev.append((1, *r.fields(), r.time, None))  # EVENT_COLS: utc, sync
    return ep, ev


def _once(tmp: Path, k: int, records: list[Any]) -> dict[str, float]:
    s = _fresh(tmp / f"batched{k}.db")
    t = time.perf_counter()
    for i in range(0, len(records), BATCH):
        s.ingest(1, records[i:i + BATCH])
    batched = time.perf_counter() - t
    t = time.perf_counter()
    dup = s.ingest(1, records)  # a resent sync: every row already stored
    again = time.perf_counter() - t
    assert dup == 0, dup
    s.close()
    s = _fresh(tmp / f"bulk{k}.db")
    t = time.perf_counter()
    s.ingest(1, records)
    bulk = time.perf_counter() - t
    s.close()
    _fresh(tmp / f"raw{k}.db").close()  # same schema and pragmas, then plain sqlite3
    conn = sqlite3.connect(tmp / f"raw{k}.db", isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    t = time.perf_counter()
    ep, ev = _raw_rows(records)  # building rows is part of the baseline's work too
    conn.execute("BEGIN")
    conn.executemany(_INSERT_EPOCH, ep)
    conn.executemany(_INSERT_EVENT, ev)
    conn.execute("COMMIT")
    raw = time.perf_counter() - t
    n = conn.execute("SELECT (SELECT COUNT(*) FROM epochs) + (SELECT COUNT(*) FROM events)")
    assert n.fetchone()[0] == len(records)
    conn.close()
    return {"batched": batched, "again": again, "bulk": bulk, "raw": raw}


def run(quick: bool = False) -> dict[str, Any]:
    rec = recording(QUICK_DAYS if quick else DAYS)
    records = rec.records
    n = len(records)
    best: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as d:
        for k in range(1 if quick else REPEATS):  # interleaved; the fastest of each counts
            for key, v in _once(Path(d), k, records).items():
                best[key] = min(v, best.get(key, v))
    raw_rate = n / best["raw"]
    rows = [
        figure(f"Store.ingest in {BATCH}-record transactions", n / best["batched"], "records/s",
               raw_rate, "raw sqlite3.executemany, one transaction",
               note=f"{n} device records ({rec.days:g} days)"),
        figure("Store.ingest, one transaction", n / best["bulk"], "records/s", raw_rate,
               "raw sqlite3.executemany, one transaction"),
        figure("Store.ingest of already-stored records (resent sync)", n / best["again"],
               "records/s", raw_rate, "raw sqlite3.executemany, one transaction"),
    ]
    return {"figures": rows, "raw": {"records": n, **{k + "_s": v for k, v in best.items()}}}
