"""PostgreSQL behind the same gateway: a connection that speaks like sqlite3's.

The named queries of wearlog.store take a DB-API connection; this wrapper gives them a
psycopg 3 connection from a per-process pool with the sqlite3 surface they use
(execute/executemany returning cursors with fetchone/fetchall/rowcount/lastrowid,
total_changes, in_transaction, explicit BEGIN/COMMIT/ROLLBACK), rewriting each statement
once through wearlog.store.dialect. Errors come back as sqlite3's exception classes,
so callers handle "busy", "constraint" and "read-only" the same on both backends.

Writers are serialised as on SQLite: `BEGIN IMMEDIATE` takes one transaction-scoped
advisory lock, waited for at most the lock timeout (5 s, SQLite's busy timeout). Reads
never wait for it. Connections run in autocommit outside explicit transactions.
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from wearlog.store.dialect import identity_columns, inserted_table, is_begin, to_postgres
from wearlog.store.errors import StoreError

SCHEMES = ("postgresql://", "postgres://")
WRITE_LOCK = 0x5745_4152  # "WEAR": the advisory lock every writer takes
LOCK_TIMEOUT_MS = 5000
POOL_MAX = int(os.environ.get("WEARLOG_PG_POOL", "10"))
STAGE_MIN_ROWS = 200  # executemany of more rows than this goes through COPY
_STAGEABLE = re.compile(r"^INSERT INTO (\w+) \(([^)]*)\) VALUES \((?:%s, )*%s\) "
                        r"ON CONFLICT DO NOTHING$")


def is_url(location: object) -> bool:
    return isinstance(location, str) and location.startswith(SCHEMES)


def redact(url: str) -> str:
    """The URL without its password (what messages and logs may show)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)
    user = netloc[0].split(":", 1)[0]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc[1]}"))


def _psycopg() -> Any:
    try:
        import psycopg
    except ImportError as e:
        raise StoreError("a PostgreSQL database needs the psycopg driver: "
                         "pip install 'wearlog[postgres]'") from e
    return psycopg


# --- the pool -------------------------------------------------------------------------
_pools: dict[tuple[int, str], Any] = {}
_pools_lock = threading.Lock()


def _configure(conn: Any) -> None:
    """Adapters making results look as SQLite's do (0/1 for truth, ints for integral sums)."""
    psycopg = _psycopg()
    from psycopg.adapt import Dumper, Loader

    class IntBool(Loader):
        def load(self, data: Any) -> int:
            return 1 if bytes(data) == b"t" else 0

    class PlainNumeric(Loader):
        def load(self, data: Any) -> int | float:
            s = bytes(data).decode()
            return float(s) if any(c in s for c in ".eEN") else int(s)

    class BoolAsInt(Dumper):
        oid = psycopg.adapters.types["int8"].oid

        def dump(self, obj: Any) -> bytes:
            return b"1" if obj else b"0"

    conn.adapters.register_loader("bool", IntBool)
    conn.adapters.register_loader("numeric", PlainNumeric)
    conn.adapters.register_dumper(bool, BoolAsInt)


def _pool(url: str) -> Any:
    key = (os.getpid(), url)  # a forked worker builds its own
    with _pools_lock:
        pool = _pools.get(key)
        if pool is None:
            _psycopg()
            from psycopg_pool import ConnectionPool

            pool = ConnectionPool(
                url, min_size=1, max_size=POOL_MAX, open=False, configure=_configure,
                kwargs={"autocommit": True,
                        "options": f"-c lock_timeout={LOCK_TIMEOUT_MS}"},
                name="wearlog")
            try:
                pool.open(wait=True, timeout=10)
            except Exception as e:
                pool.close()
                raise StoreError(f"cannot connect to {redact(url)}: {_first_line(e)}") from e
            _pools[key] = pool
        return pool


def close_pools(url: str | None = None) -> None:
    """Close this process's pools (of one database, or all): tests and shutdown."""
    with _pools_lock:
        for key in [k for k in _pools if k[0] == os.getpid() and url in (None, k[1])]:
            _pools.pop(key).close()


def connect(url: str, readonly: bool = False) -> PgConnection:
    pool = _pool(url)
    try:
        raw = pool.getconn(timeout=30)
    except Exception as e:
        raise StoreError(f"no connection to {redact(url)} free: {_first_line(e)}") from e
    conn = PgConnection(raw, url, pool)
    if readonly:
        conn.execute("SET default_transaction_read_only = on")
    return conn


def _first_line(e: BaseException) -> str:
    return (str(e).strip().splitlines() or [type(e).__name__])[0]


# --- errors ---------------------------------------------------------------------------
@contextlib.contextmanager
def _as_sqlite_errors() -> Iterator[None]:
    """psycopg's errors as the sqlite3 classes the gateway's callers already handle."""
    psycopg = _psycopg()
    try:
        yield
    except psycopg.errors.NumericValueOutOfRange as e:  # sqlite3 raises it for 64-bit ints
        raise OverflowError(f"integer too large for the database: {_first_line(e)}") from e
    except psycopg.errors.IntegrityError as e:
        raise sqlite3.IntegrityError(f"constraint failed: {_first_line(e)}") from e
    except (psycopg.errors.LockNotAvailable, psycopg.errors.DeadlockDetected,
            psycopg.errors.SerializationFailure) as e:
        raise sqlite3.OperationalError(f"database is locked ({_first_line(e)})") from e
    except psycopg.errors.ReadOnlySqlTransaction as e:
        raise sqlite3.OperationalError(
            f"attempt to write a readonly database ({_first_line(e)})") from e
    except psycopg.errors.InsufficientPrivilege as e:
        raise sqlite3.OperationalError(f"permission denied ({_first_line(e)})") from e
    except psycopg.OperationalError as e:
        raise sqlite3.OperationalError(_first_line(e)) from e
    except psycopg.Error as e:
        raise sqlite3.DatabaseError(_first_line(e)) from e


# --- the connection -------------------------------------------------------------------
class PgCursor:
    """The part of sqlite3.Cursor the gateway uses."""

    def __init__(self, cur: Any, lastrowid: int | None = None) -> None:
        self._cur = cur
        self.lastrowid = lastrowid
        self.rowcount = cur.rowcount if cur is not None else -1

    @property
    def description(self) -> list[tuple[Any, ...]] | None:
        if self._cur is None or self._cur.description is None:
            return None
        return [(c.name, None, None, None, None, None, None) for c in self._cur.description]

    def fetchone(self) -> tuple[Any, ...] | None:
        if self._cur is None or self._cur.description is None:
            return None
        with _as_sqlite_errors():
            row: tuple[Any, ...] | None = self._cur.fetchone()
            return row

    def fetchall(self) -> list[tuple[Any, ...]]:
        if self._cur is None or self._cur.description is None:
            return []
        with _as_sqlite_errors():
            return list(self._cur.fetchall())

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        return iter(self.fetchall())


_IDENTITY: dict[str, str] = {}


def _identity_of(table: str) -> str | None:
    if not _IDENTITY:
        from wearlog.store.migrations import all_ddl

        _IDENTITY.update(identity_columns(all_ddl()))
    return _IDENTITY.get(table)


class PgConnection:
    """A pooled psycopg connection with the sqlite3.Connection surface the store uses."""

    dialect = "postgresql"

    def __init__(self, raw: Any, url: str, pool: Any | None = None) -> None:
        self._raw = raw
        self.url = url
        self._pool = pool
        self.total_changes = 0
        self._lock_timeout_ms = LOCK_TIMEOUT_MS
        self._settings_changed = False  # a SET ran: RESET ALL before the pool lends it on

    # transactions
    @property
    def in_transaction(self) -> bool:
        from psycopg.pq import TransactionStatus

        return bool(self._raw.info.transaction_status != TransactionStatus.IDLE)

    def commit(self) -> None:
        if self.in_transaction:
            self.execute("COMMIT")

    def rollback(self) -> None:
        if self.in_transaction:
            self.execute("ROLLBACK")

    def close(self) -> None:
        if self._raw is None:
            return
        raw, self._raw = self._raw, None
        if self._pool is not None:
            with contextlib.suppress(Exception):
                if raw.info.transaction_status != 0:
                    raw.rollback()
                if self._settings_changed:  # else one round trip saved per request
                    raw.execute("RESET ALL")
            self._pool.putconn(raw)
        else:
            raw.close()

    # statements
    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> PgCursor:
        if self._raw is None:
            raise sqlite3.ProgrammingError("Cannot operate on a closed database.")
        stripped = sql.strip()
        if stripped.upper().startswith("PRAGMA"):
            return self._pragma(stripped)
        if stripped[:3].upper() == "SET":
            self._settings_changed = True
        if is_begin(stripped):
            with _as_sqlite_errors():
                self._raw.execute("BEGIN")
                if "IMMEDIATE" in stripped.upper():
                    try:
                        self._raw.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
                    except BaseException:  # as SQLite: a BEGIN that failed leaves none open
                        self._raw.execute("ROLLBACK")
                        raise
            return PgCursor(None)
        text, order = to_postgres(sql)
        args = _ordered(params, order)
        table = inserted_table(text)
        ident = _identity_of(table) if table else None
        if ident and " RETURNING " not in text.upper():
            text += f" RETURNING {ident}"
        with _as_sqlite_errors():
            cur = self._raw.execute(text, args)
            last = None
            if ident and cur.description is not None:
                row = cur.fetchone()
                last = None if row is None else int(row[0])
        if cur.description is None or ident:
            self.total_changes += max(cur.rowcount, 0)
        return PgCursor(cur, last)

    def executemany(self, sql: str, seq: Iterable[Sequence[Any]]) -> PgCursor:
        if self._raw is None:
            raise sqlite3.ProgrammingError("Cannot operate on a closed database.")
        text, order = to_postgres(sql)
        rows = [_ordered(p, order) for p in seq]
        if not rows:
            return PgCursor(None)
        staged = _STAGEABLE.match(text)
        if staged and len(rows) >= STAGE_MIN_ROWS and self.in_transaction:
            return self._staged_insert(staged.group(1), staged.group(2), rows)
        with _as_sqlite_errors():
            cur = self._raw.cursor()
            cur.executemany(text, rows)
        self.total_changes += max(cur.rowcount, 0)
        return PgCursor(cur)

    def _staged_insert(self, table: str, cols: str, rows: list[Sequence[Any]]) -> PgCursor:
        """INSERT ... ON CONFLICT DO NOTHING of many rows as COPY into a temporary table
        and one INSERT ... SELECT (several times faster than row-by-row statements);
        the same rows land, the same ones are skipped."""
        # named after its columns too: a session that staged rows before a migration
        # changed the table's columns does not reuse a stage of the old layout
        stage = f"wl_stage_{table}_{zlib.crc32(cols.encode()):08x}"
        with _as_sqlite_errors(), self._raw.cursor() as cur:
            cur.execute(f"CREATE TEMP TABLE IF NOT EXISTS {stage} "
                        f"(LIKE {table}) ON COMMIT DELETE ROWS")
            with cur.copy(f"COPY {stage} ({cols}) FROM STDIN") as cp:
                for r in rows:
                    cp.write_row(r)
            cur.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {stage} "
                        "ON CONFLICT DO NOTHING")
            n = max(cur.rowcount, 0)
            cur.execute(f"TRUNCATE {stage}")
        self.total_changes += n
        out = PgCursor(None)
        out.rowcount = n
        return out

    def executescript(self, script: str) -> None:
        for stmt in (s.strip() for s in script.split(";")):
            if stmt:
                self.execute(stmt)

    def copy_rows(self, table: str, cols: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
        """PostgreSQL's bulk load (COPY) of rows into a table; returns how many."""
        n = 0
        with _as_sqlite_errors(), self._raw.cursor() as cur, cur.copy(
                f"COPY {table} ({', '.join(_quote_col(c) for c in cols)}) FROM STDIN") as cp:
            for r in rows:
                cp.write_row(r)
                n += 1
        self.total_changes += n
        return n

    def _pragma(self, sql: str) -> PgCursor:
        """The two PRAGMAs named queries use: the lock wait, and which database this is."""
        body = sql[len("PRAGMA"):].strip().lower()
        if body.startswith("busy_timeout"):
            if "=" in body:
                ms = int(body.split("=", 1)[1].strip())
                self._settings_changed = True
                with _as_sqlite_errors():
                    self._raw.execute(f"SET lock_timeout = {ms}")
                self._lock_timeout_ms = ms
                return PgCursor(None)
            return _Rows([(self._lock_timeout_ms,)])
        if body.startswith("database_list"):
            return _Rows([(0, "main", redact(self.url))])
        raise sqlite3.OperationalError(f"PRAGMA {body!r} has no PostgreSQL equivalent here")


def _quote_col(c: str) -> str:
    return f'"{c}"' if c == "full" else c


class _Rows(PgCursor):
    def __init__(self, rows: list[tuple[Any, ...]]) -> None:
        super().__init__(None)
        self._rows = rows

    def fetchone(self) -> tuple[Any, ...] | None:
        return self._rows[0] if self._rows else None

    def fetchall(self) -> list[tuple[Any, ...]]:
        return list(self._rows)


def _ordered(params: Sequence[Any] | dict[str, Any], order: tuple[int, ...] | None
             ) -> Sequence[Any]:
    if isinstance(params, dict):
        raise sqlite3.ProgrammingError("named parameters are not used by the store")
    if order is None:
        return tuple(params)
    return tuple(params[i] for i in order)


VERSION_RECHECK_S = 1.0  # a server's per-request handles re-read the version this often
_versions: dict[tuple[int, str], tuple[float, int]] = {}


def checked_version(conn: PgConnection, check: Callable[[Any], int]) -> int:
    """check(conn) (the schema version, or an error for one this code cannot use), at most
    once per VERSION_RECHECK_S per process and database: a server opens a handle for every
    request, and the check is two round trips. A migration by another program is noticed
    within that time; only a version that passed the check is remembered."""
    key = (os.getpid(), conn.url)
    now = time.monotonic()
    hit = _versions.get(key)
    if hit is not None and now - hit[0] < VERSION_RECHECK_S:
        return hit[1]
    v = check(conn)
    _versions[key] = (now, v)
    return v


def version(conn: PgConnection) -> int:
    """Schema version of a PostgreSQL database (0: no Wearlog schema yet)."""
    row = conn.execute("SELECT to_regclass('schema_version') IS NOT NULL").fetchone()
    if not row or not row[0]:
        return 0
    v = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
    return int(v[0] or 0) if v else 0


def table_names(conn: PgConnection) -> list[str]:
    return [r[0] for r in conn.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = "
        "current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name")]
