"""Research export: epochs, events, nights and days as Parquet, partitioned by patient.

    DIR/epochs/patient_id=P-0042/part-0.parquet
    DIR/events/patient_id=P-0042/part-0.parquet
    DIR/nights/...   DIR/days/...

Hive-style folders, so DuckDB (`read_parquet('DIR/epochs/*/*.parquet',
hive_partitioning=true)`), pandas/pyarrow (`pyarrow.dataset.dataset('DIR/epochs',
partitioning='hive')`), Polars (`scan_parquet(..., hive_partitioning=True)`) and Spark
(`spark.read.parquet('DIR/epochs')`) read it as-is, with `patient_id` as a column.
The schema (SCHEMAS, documented in docs/deploy.md) is the same for every patient and
every file; integers are 64-bit, times are seconds since 1970 UTC (`utc`, and `ts` the
same as a UTC timestamp), NULL where the store has none.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wearlog.export.errors import ExportError

if TYPE_CHECKING:
    from wearlog.store import Store

TABLES = ("epochs", "events", "nights", "days")
BATCH_ROWS = 100_000
_TEXT = {"night", "day", "source", "reason"}
_REAL = {"tib_min", "tst_min", "sol_min", "waso_min", "se_pct", "midsleep_local",
         "sedentary_min", "light_min", "moderate_min", "vigorous_min", "mvpa_min",
         "mvpa_bout_min", "longest_active_bout_min", "nap_min", "wear_min"}


def _pyarrow() -> Any:
    try:
        import pyarrow
        import pyarrow.parquet  # noqa: F401
    except ImportError as e:
        raise ExportError("the Parquet export needs pyarrow: pip install 'wearlog[research]'"
                          ) from e
    return pyarrow


def schema(store: Store, table: str) -> Any:
    """The Arrow schema of one exported table (its store columns, patient_id aside)."""
    pa = _pyarrow()
    fields = []
    for col in _file_columns(store, table):
        typ = pa.string() if col in _TEXT else pa.float64() if col in _REAL else pa.int64()
        fields.append(pa.field(col, typ, nullable=True))
    if table in ("epochs", "events"):
        fields.append(pa.field("ts", pa.timestamp("s", tz="UTC"), nullable=True))
    return pa.schema(fields)


def _file_columns(store: Store, table: str) -> tuple[str, ...]:
    cols = store.export_columns(table)
    if cols is None:
        raise ExportError(f"no exportable table {table!r}")
    return tuple(c for c in cols if c != "patient_id")  # the partition folder holds it


def _batches(store: Store, table: str, patient_id: str) -> Iterator[list[tuple[Any, ...]]]:
    cols = store.export_columns(table) or ()
    keep = [i for i, c in enumerate(cols) if c != "patient_id"]
    batch: list[tuple[Any, ...]] = []
    for row in store.export_rows(table, patient_id):
        batch.append(tuple(row[i] for i in keep))
        if len(batch) >= BATCH_ROWS:
            yield batch
            batch = []
    if batch:
        yield batch


def write_parquet(store: Store, out_dir: str | os.PathLike[str],
                  patient_ids: Sequence[str] | None = None) -> dict[str, int]:
    """Write every table for these patients (default all); returns rows per table.

    Each file is written next to its place and renamed into it when complete, so a
    reader never sees half a file; a patient's earlier export is replaced."""
    pa = _pyarrow()
    import pyarrow.parquet as pq

    out = Path(out_dir)
    pids = list(patient_ids) if patient_ids is not None else store.patient_ids()
    for pid in pids:
        store.patient(pid)  # an unknown id: one line, before anything is written
    counts = dict.fromkeys(TABLES, 0)
    for table in TABLES:
        sch = schema(store, table)
        names = [f.name for f in sch]
        utc_at = names.index("utc") if "utc" in names else None
        for pid in pids:
            folder = out / table / f"patient_id={pid}"
            folder.mkdir(parents=True, exist_ok=True)
            tmp = folder / ".part-0.parquet.tmp"
            with pq.ParquetWriter(tmp, sch, compression="zstd") as w:
                wrote = False
                for rows in _batches(store, table, pid):
                    columns = list(zip(*rows, strict=True))
                    if utc_at is not None:
                        columns.append(columns[utc_at])  # ts: the same seconds, typed
                    w.write_table(pa.Table.from_arrays(
                        [pa.array(c, type=f.type) for c, f in zip(columns, sch, strict=True)],
                        schema=sch))
                    counts[table] += len(rows)
                    wrote = True
                if not wrote:  # an empty file still carries the schema
                    w.write_table(sch.empty_table())
            os.replace(tmp, folder / "part-0.parquet")
    return counts

