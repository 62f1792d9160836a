"""CSV export of one patient's epochs, nights, days, events or linked topics, row by row."""

from __future__ import annotations

import csv
import io
import sqlite3
from collections.abc import Iterator
from typing import TextIO

from wearlog.export.errors import UnknownTableError

# table -> (columns, FROM/WHERE clause taking the patient id, ORDER BY)
TABLES: dict[str, tuple[tuple[str, ...], str, str]] = {
    "epochs": (
        ("device_id", "seq", "time", "utc", "flags", "enmo_dmg", "mad_dmg", "zangle_deg",
         "dangle_ddeg", "steps", "temp_hc", "counts"),
        "filed_epochs WHERE patient_id=?",  # by who wore the device then
        "device_id, seq",
    ),
    "events": (
        ("device_id", "seq", "time", "utc", "flags", "etype", "value", "arg", "aux"),
        "filed_events WHERE patient_id=?",
        "device_id, seq",
    ),
    "nights": (
        ("patient_id", "night", "onset_utc", "offset_utc", "tib_min", "tst_min", "sol_min",
         "waso_min", "se_pct", "awakenings", "midsleep_local", "source", "valid"),
        "nights WHERE patient_id=?",
        "night",
    ),
    "days": (
        ("patient_id", "day", "steps", "sedentary_min", "light_min", "moderate_min",
         "vigorous_min", "mvpa_min", "mvpa_bout_min", "longest_active_bout_min", "nap_min",
         "wear_min", "valid", "symptom_events", "high_severity_events", "max_severity"),
        "days WHERE patient_id=?",
        "day",
    ),
    # which educational topics were linked, when, and the finding that linked each
    "linked_topics": (
        ("patient_id", "topic_id", "rule_id", "finding_text", "window_end", "linked_at"),
        "linked_topics WHERE patient_id=?",
        "linked_at, topic_id",
    ),
}


def _query(table: str) -> tuple[tuple[str, ...], str]:
    if table not in TABLES:
        raise UnknownTableError(f"no CSV export for {table!r}: choose one of {', '.join(TABLES)}")
    cols, where, order = TABLES[table]
    return cols, f"SELECT {', '.join(cols)} FROM {where} ORDER BY {order}"


def write_csv(conn: sqlite3.Connection, patient_id: str, table: str, out: TextIO) -> int:
    """Write header + rows to `out`; returns the number of data rows."""
    cols, sql = _query(table)
    w = csv.writer(out, lineterminator="\n")
    w.writerow(cols)
    n = 0
    for row in conn.execute(sql, (patient_id,)):
        w.writerow(row)
        n += 1
    return n


def iter_csv(conn: sqlite3.Connection, patient_id: str, table: str,
             chunk_rows: int = 2000) -> Iterator[str]:
    """The same CSV in chunks, for streaming a large epochs table over HTTP."""
    cols, sql = _query(table)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(cols)
    cur = conn.execute(sql, (patient_id,))
    while True:
        rows = cur.fetchmany(chunk_rows)
        if not rows:
            break
        w.writerows(rows)
        yield buf.getvalue()
        buf.seek(0)
        buf.truncate()
    if buf.tell():
        yield buf.getvalue()
