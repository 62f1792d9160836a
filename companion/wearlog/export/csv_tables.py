"""CSV export of one patient's epochs, nights, days, events or linked topics, row by row.

The columns come from the store's one registry; the rows from its named export query.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import TextIO

from wearlog.export.errors import UnknownTableError
from wearlog.store import Store
from wearlog.store.reads import EXPORTS

TABLES = EXPORTS  # table -> (columns, FROM/WHERE, ORDER BY), from the store


def _columns(store: Store, table: str) -> tuple[str, ...]:
    cols = store.export_columns(table)
    if cols is None:
        raise UnknownTableError(f"no CSV export for {table!r}: choose one of {', '.join(TABLES)}")
    return cols


def write_csv(store: Store, patient_id: str, table: str, out: TextIO) -> int:
    """Write header + rows to `out`; returns the number of data rows."""
    cols = _columns(store, table)
    w = csv.writer(out, lineterminator="\n")
    w.writerow(cols)
    n = 0
    for row in store.export_rows(table, patient_id):
        w.writerow(row)
        n += 1
    return n


def iter_csv(store: Store, patient_id: str, table: str, chunk_rows: int = 2000
             ) -> Iterator[str]:
    """The same CSV in chunks, for streaming a large epochs table over HTTP."""
    cols = _columns(store, table)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(cols)
    for i, row in enumerate(store.export_rows(table, patient_id), 1):
        w.writerow(row)
        if i % chunk_rows == 0:
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
    if buf.tell():
        yield buf.getvalue()
