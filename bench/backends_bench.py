"""Both storage backends in one run: the upload path's ingest (Store.ingest in the
upload's 5,000-record transactions) against each backend's own bulk load of the same
rows (one executemany transaction on SQLite, COPY on PostgreSQL).

PostgreSQL is a throwaway cluster of Debian's server (tests/pgserver.py), fsync off as
in the tests: the ratio compares Wearlog's path with the backend's fastest path under
the same settings, not one backend with the other.
"""

from __future__ import annotations

import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.figures import figure
from wearlog.store import Store, pg
from wearlog.store.columns import EPOCH_STORED, insert_sql, stored_epoch
from wlproto.records import Epoch

BATCH = 5000  # records per upload request (the upload client's default batch)
T0 = 1_790_000_000


def _records(n: int) -> list[Epoch]:
    return [Epoch(i, T0 + 30 * i, 0, i % 700, i % 40, (i % 180) - 90, i % 50, i % 9, 50)
            for i in range(n)]


def _rows(records: list[Epoch]) -> list[tuple[Any, ...]]:
    return [stored_epoch((1, *r.fields(), r.time, None, None)) for r in records]


def _fresh(where: Any) -> Store:
    s = Store(where)
    s.add_patient("P")
    s.add_device(1, "P")
    return s


def _ingest(where: Any, records: list[Epoch]) -> float:
    with _fresh(where) as s:
        t = time.perf_counter()
        for i in range(0, len(records), BATCH):
            s.ingest(1, records[i:i + BATCH])
        dt = time.perf_counter() - t
        assert s.counts()["epochs"] == len(records)
    return dt


def _bulk_sqlite(path: Path, records: list[Epoch]) -> float:
    _fresh(path).close()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous = NORMAL")
    t = time.perf_counter()
    rows = _rows(records)  # building rows is part of the baseline's work too
    conn.execute("BEGIN")
    conn.executemany(insert_sql("epochs", EPOCH_STORED), rows)
    conn.execute("COMMIT")
    dt = time.perf_counter() - t
    conn.close()
    return dt


def _bulk_pg(url: str, records: list[Epoch]) -> float:
    with _fresh(url) as s:
        conn: Any = s.conn
        t = time.perf_counter()
        conn.execute("BEGIN")
        conn.copy_rows("epochs", EPOCH_STORED, _rows(records))
        conn.execute("COMMIT")
        dt = time.perf_counter() - t
        assert s.counts()["epochs"] == len(records)
    return dt


def run(quick: bool = False) -> dict[str, Any]:
    from tests.pgserver import PgServer

    n = 10_000 if quick else 86_400  # 30 days of 30-s epochs
    repeats = 1 if quick else 3
    records = _records(n)
    best: dict[str, float] = {}
    server = PgServer()
    try:
        with tempfile.TemporaryDirectory() as d:
            for k in range(repeats):  # interleaved; the fastest of each counts
                urls = [server.database() for _ in range(2)]
                for key, fn, where in (
                        ("sqlite_ingest", _ingest, Path(d) / f"i{k}.db"),
                        ("sqlite_bulk", _bulk_sqlite, Path(d) / f"b{k}.db"),
                        ("pg_ingest", _ingest, urls[0]),
                        ("pg_copy", _bulk_pg, urls[1])):
                    v = fn(where, records)  # type: ignore[operator]
                    best[key] = min(v, best.get(key, v))
                for u in urls:
                    pg.close_pools(u)
    finally:
        pg.close_pools()
        server.stop()
    rows = [
        figure("SQLite: upload ingest (Store.ingest, 5,000-record transactions)",
               n / best["sqlite_ingest"], "records/s", n / best["sqlite_bulk"],
               "sqlite3 executemany, one transaction", note=f"{n} epochs"),
        figure("PostgreSQL: upload ingest (Store.ingest, 5,000-record transactions)",
               n / best["pg_ingest"], "records/s", n / best["pg_copy"],
               "COPY, one transaction", note=f"{n} epochs; local unix socket"),
    ]
    return {"figures": rows, "raw": {"records": n, **{k + "_s": v for k, v in best.items()}}}
