"""Moving a clinic between backends: every table, row by row, verified.

`copy_database(src, dest)` copies each table of one Wearlog database into another
(SQLite -> PostgreSQL or back; both at the same schema version, which opening them
ensures) in key order, in batches of BATCH_ROWS per transaction, never overwriting a
row the destination holds (INSERT OR IGNORE). An interrupted copy is resumed by
running it again with merge=True: what landed is skipped, nothing is stored twice.
A full copy is verified by row counts and per-table checksums (an order-independent
sum of per-row SHA-256 digests of the normalised values), equal on both sides.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from wearlog.store.columns import GENERATED
from wearlog.store.errors import StoreError

if TYPE_CHECKING:
    from wearlog.store.store import Store

BATCH_ROWS = 5000
# Parents before children (PostgreSQL enforces the foreign keys); tables not listed
# (added by later migrations) follow, in name order.
ORDER = ("patients", "devices", "device_assignments", "syncs", "epochs", "events",
         "clock_syncs", "users", "assignments", "device_tokens", "device_keys", "uploads",
         "web_sessions", "audit_log", "nights", "days", "day_profiles", "patient_analysis",
         "patient_rolling", "summaries", "refresh_queue", "linked_topics")
# The key each table is read in (keyset pages); a table not here is read whole.
KEYS: dict[str, tuple[str, ...]] = {
    "patients": ("patient_id",), "devices": ("device_id",),
    "device_assignments": ("assignment_id",), "syncs": ("sync_id",),
    "epochs": ("device_id", "seq"), "events": ("device_id", "seq"),
    "clock_syncs": ("device_id", "host_time", "device_time"), "users": ("username",),
    "assignments": ("username", "patient_id"), "device_tokens": ("token_id",),
    "device_keys": ("device_id",), "uploads": ("device_id", "url"),
    "web_sessions": ("token_hash",), "audit_log": ("audit_id",),
    "nights": ("patient_id", "night"), "days": ("patient_id", "day"),
    "day_profiles": ("patient_id", "day"), "patient_analysis": ("patient_id",),
    "patient_rolling": ("patient_id",),
    "summaries": ("patient_id", "range_days"), "refresh_queue": ("patient_id",),
    "night_thresholds": ("patient_id", "night"),
    "count_scoring": ("patient_id", "method"), "count_nights": ("patient_id", "method", "night"),
    "count_rhythm": ("patient_id", "partial_days"),
    "linked_topics": ("id",),
}
SKIP = ("schema_version",)


class CopyError(StoreError):
    """A copy that cannot start or did not verify (one line says what to do)."""


@dataclass
class TableCopy:
    table: str
    source_rows: int
    copied: int  # new in the destination
    dest_rows: int
    checksum_ok: bool | None  # None: not checked (merge into a database holding more)


def tables_of(store: Store) -> list[str]:
    names = [t for t in store.table_names() if t not in SKIP and not t.startswith("sqlite_")]
    return [t for t in ORDER if t in names] + sorted(t for t in names if t not in ORDER)


def _q(col: str) -> str:
    return f'"{col}"' if col == "full" else col


def columns(store: Store, table: str) -> list[str]:
    cur = store.conn.execute(f"SELECT * FROM {table} LIMIT 0")
    return [d[0] for d in cur.description or ()]


def row_count(store: Store, table: str) -> int:
    return int(store.conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])


def data_rows(store: Store) -> int:
    """Rows the destination holds besides its schema (0: an empty database)."""
    return sum(row_count(store, t) for t in tables_of(store))


def pages(store: Store, table: str, cols: list[str]) -> Iterator[list[tuple[Any, ...]]]:
    """All rows of a table, in key order, BATCH_ROWS at a time (keyset pagination)."""
    key = KEYS.get(table)
    sel = f"SELECT {', '.join(_q(c) for c in cols)} FROM {table}"
    if not key or any(k not in cols for k in key):
        rows = store.conn.execute(sel).fetchall()
        for i in range(0, len(rows), BATCH_ROWS):
            yield [tuple(r) for r in rows[i:i + BATCH_ROWS]]
        return
    at = [cols.index(k) for k in key]
    order = ", ".join(key)
    last: tuple[Any, ...] | None = None
    while True:
        if last is None:
            rows = store.conn.execute(f"{sel} ORDER BY {order} LIMIT ?",
                                      (BATCH_ROWS,)).fetchall()
        else:
            marks = ", ".join("?" * len(key))
            rows = store.conn.execute(
                f"{sel} WHERE ({order}) > ({marks}) ORDER BY {order} LIMIT ?",
                (*last, BATCH_ROWS)).fetchall()
        if not rows:
            return
        yield [tuple(r) for r in rows]
        last = tuple(rows[-1][i] for i in at)


def _norm(v: Any) -> bytes:
    if v is None:
        return b"N"
    if isinstance(v, bool | int):
        return b"i" + str(int(v)).encode()
    if isinstance(v, float):
        return b"f" + v.hex().encode()
    if isinstance(v, bytes | bytearray | memoryview):
        return b"b" + bytes(v)
    return b"s" + str(v).encode()


def checksum(store: Store, table: str, cols: list[str]) -> tuple[int, int]:
    """(rows, order-independent checksum) of a table's rows over these columns."""
    total = n = 0
    for page in pages(store, table, cols):
        for row in page:
            h = hashlib.sha256(b"\x1f".join(_norm(v) for v in row)).digest()
            total = (total + int.from_bytes(h[:16], "big")) % (1 << 128)
            n += 1
    return n, total


def copy_database(src: Store, dest: Store, merge: bool = False,
                  progress: Callable[[str, int], None] | None = None) -> list[TableCopy]:
    """Copy every table of src into dest and verify it (see the module docstring)."""
    if src.version != dest.version:
        raise CopyError(f"source schema v{src.version} and destination v{dest.version} "
                        "differ: run any wearlog command on the older one first")
    held = data_rows(dest)
    if held and not merge:
        raise CopyError(f"the destination already holds {held} rows: choose an empty "
                        "database, or pass --merge to add only what it lacks (also how an "
                        "interrupted copy is resumed)")
    out = []
    for table in tables_of(src):
        cols = columns(src, table)
        # the same columns (a column added by a later step may sit elsewhere in one)
        if table not in dest.table_names() or sorted(columns(dest, table)) != sorted(cols):
            raise CopyError(f"table {table} differs between source and destination: "
                            "both must come from the same Wearlog version")
        # generated columns are computed by the destination (and checked by the checksum)
        put = [c for c in cols if c not in GENERATED.get(table, ())]
        marks = ", ".join("?" * len(put))
        sql = (f"INSERT OR IGNORE INTO {table} ({', '.join(_q(c) for c in put)}) "
               f"VALUES ({marks})")
        copied = 0
        for page in pages(src, table, put):
            with dest.transaction() as c:
                before = c.total_changes
                c.executemany(sql, page)
                copied += c.total_changes - before
            if progress is not None:
                progress(table, copied)
        _renumber(dest, table)
        n_src, sum_src = checksum(src, table, cols)
        n_dest, sum_dest = checksum(dest, table, cols)
        ok = (n_src == n_dest and sum_src == sum_dest) if not held else None
        out.append(TableCopy(table, n_src, copied, n_dest, ok))
    return out


def _renumber(dest: Store, table: str) -> None:
    """After explicit keys were copied into PostgreSQL, its key numbering goes on from
    the largest (SQLite's does by itself)."""
    if dest.dialect != "postgresql":
        return
    key = KEYS.get(table)
    if key is None or len(key) != 1:
        return
    row = dest.conn.execute(
        "SELECT pg_get_serial_sequence(?, ?)", (table, key[0])).fetchone()
    if row is None or row[0] is None:
        return
    try:
        dest.conn.execute(f"SELECT setval(?, (SELECT COALESCE(MAX({key[0]}), 0) + 1 "
                          f"FROM {table}), false)", (row[0],))
    except sqlite3.DatabaseError as e:
        raise CopyError(f"could not renumber {table} after the copy: {e}") from e
