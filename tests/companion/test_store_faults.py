"""Fault drills for the store: a locked or read-only database and a truncated backup
give a clear error and lose nothing already stored."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from wearlog.store import BackupError, Store, StoreBusyError, StoreReadOnlyError
from wlproto.records import Epoch


def _store(path: Path, n: int = 500) -> Store:
    s = Store(path)
    s.add_patient("P")
    s.add_device(1, "P")
    s.ingest(1, [Epoch(i, 1_767_225_600 + 30 * i, 0, i % 300) for i in range(n)])
    return s


def _count(path: Path) -> int:
    with sqlite3.connect(path) as c:
        return c.execute("SELECT COUNT(*) FROM epochs").fetchone()[0]


def test_locked_database_is_a_clear_busy_error_and_writes_nothing(tmp_path: Path) -> None:
    s = _store(tmp_path / "w.db")
    s.conn.execute("PRAGMA busy_timeout = 200")
    other = sqlite3.connect(tmp_path / "w.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another program holds the write lock
    with pytest.raises(StoreBusyError, match="another Wearlog program is writing"):
        s.ingest(1, [Epoch(9000, 1_767_300_000)])
    other.execute("ROLLBACK")
    other.close()
    assert _count(tmp_path / "w.db") == 500
    assert s.ingest(1, [Epoch(9000, 1_767_300_000)]) == 1  # and it works once free
    s.close()


def test_read_only_database_is_a_clear_error_and_keeps_its_data(tmp_path: Path) -> None:
    s = _store(tmp_path / "w.db")
    s.conn.execute("PRAGMA query_only = ON")  # SQLite's own read-only mode
    with pytest.raises(StoreReadOnlyError, match="cannot be written"):
        s.ingest(1, [Epoch(9000, 1_767_300_000)])
    s.close()
    assert _count(tmp_path / "w.db") == 500


@pytest.mark.parametrize("keep", [0.1, 0.5, 0.9])
def test_truncated_backup_is_refused_and_the_target_is_untouched(tmp_path: Path,
                                                                 keep: float) -> None:
    src = _store(tmp_path / "src.db", 3000)
    src.backup(tmp_path / "backup.db")
    src.close()
    data = (tmp_path / "backup.db").read_bytes()
    (tmp_path / "cut.db").write_bytes(data[: int(len(data) * keep)])
    target = _store(tmp_path / "target.db", 200)
    with pytest.raises(BackupError):
        target.restore(tmp_path / "cut.db")
    target.close()
    assert _count(tmp_path / "target.db") == 200
