"""The database file itself: owner-only modes, and refusing files that are not ours to change."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from wearlog.cli import main
from wearlog.store import LATEST, BackupError, NotWearlogDatabaseError, SchemaTooNewError, Store
from wlproto.records import Epoch

posix_only = pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")


def mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


def digest(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


@posix_only
def test_new_database_and_its_journal_are_owner_only(tmp_path: Path) -> None:
    old = os.umask(0o022)  # the usual umask, which would give 0644
    try:
        db = tmp_path / "data" / "wearlog.db"
        s = Store(db)
        s.add_patient("P-1")
        assert mode(db) == 0o600
        wal = db.with_name(db.name + "-wal")
        assert wal.exists() and mode(wal) == 0o600
        s.close()
    finally:
        os.umask(old)


@posix_only
def test_backup_is_owner_only(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        s = Store(tmp_path / "live.db")
        s.add_patient("P-1")
        out = s.backup(tmp_path / "backups" / "b.db")
        s.close()
        assert mode(out) == 0o600
    finally:
        os.umask(old)


def test_gitignore_keeps_secrets_out() -> None:
    root = Path(__file__).resolve().parents[2]
    lines = (root / ".gitignore").read_text().split()
    assert "*.db.secret" in lines


def _future(p: Path) -> None:
    Store(p).close()
    conn = sqlite3.connect(p, isolation_level=None)
    conn.execute("PRAGMA journal_mode = DELETE")  # as an older Wearlog or another tool left it
    conn.execute("INSERT INTO schema_version VALUES (?, 0)", (LATEST + 1,))
    conn.close()
    assert not p.with_name(p.name + "-wal").exists()


def test_newer_schema_file_is_not_touched(tmp_path: Path) -> None:
    p = tmp_path / "future.db"
    _future(p)
    before = digest(p)
    with pytest.raises(SchemaTooNewError, match="upgrade Wearlog"):
        Store(p)
    assert digest(p) == before
    assert not p.with_name(p.name + "-wal").exists()  # not switched to WAL


def test_newer_schema_cli_refuses_in_one_line(tmp_path: Path) -> None:
    p = tmp_path / "future.db"
    _future(p)
    res = CliRunner().invoke(main, ["report", "--patient", "P-1", "--db", str(p)])
    assert res.exit_code == 1
    assert isinstance(res.exception, SystemExit)  # a clean exit, not an escaped exception
    assert res.output.strip().count("\n") == 0 and "upgrade Wearlog" in res.output


def _foreign(p: Path) -> None:
    conn = sqlite3.connect(p)
    conn.execute("CREATE TABLE recipes (name TEXT)")
    conn.execute("INSERT INTO recipes VALUES ('soup')")
    conn.commit()
    conn.close()


def test_foreign_sqlite_file_is_refused_untouched(tmp_path: Path) -> None:
    p = tmp_path / "other.db"
    _foreign(p)
    before = digest(p)
    with pytest.raises(NotWearlogDatabaseError, match="not a Wearlog database"):
        Store(p)
    assert digest(p) == before
    res = CliRunner().invoke(main, ["report", "--patient", "P-1", "--db", str(p)])
    assert res.exit_code == 1 and "not a Wearlog database" in res.output
    assert isinstance(res.exception, SystemExit)
    assert res.output.strip().count("\n") == 0
    conn = sqlite3.connect(p)
    assert [r[0] for r in conn.execute("SELECT name FROM sqlite_master")] == ["recipes"]
    conn.close()


def test_non_sqlite_file_is_refused(tmp_path: Path) -> None:
    p = tmp_path / "notes.db"
    p.write_text("hello, this is not a database at all" * 10)
    with pytest.raises(NotWearlogDatabaseError):
        Store(p)
    assert p.read_text().startswith("hello")


def test_empty_file_is_a_new_database(tmp_path: Path) -> None:
    p = tmp_path / "new.db"
    p.touch()
    Store(p).close()  # an empty file is where a new database goes
    assert Store(p).version == LATEST


def test_restoring_an_empty_or_foreign_file_fails(tmp_path: Path) -> None:
    s = Store(tmp_path / "live.db")
    s.add_patient("P-1")
    s.add_device(1, "P-1")
    s.ingest(1, [Epoch(0, 1_780_000_000)])
    empty = tmp_path / "empty.db"
    empty.touch()
    with pytest.raises(BackupError, match="empty"):
        s.restore(empty)
    other = tmp_path / "other.db"
    _foreign(other)
    with pytest.raises(BackupError, match="not a Wearlog"):
        s.restore(other)
    s.close()
    res = CliRunner().invoke(main, ["restore", str(empty), "--db", str(tmp_path / "live.db")])
    assert res.exit_code == 1 and "empty" in res.output
    assert not res.output.startswith("restored")


@pytest.mark.parametrize("argv", [
    ["user", "list"], ["serve"], ["backup", "x.db"], ["sync"],
])
def test_every_command_refuses_a_newer_database_in_one_line(tmp_path: Path,
                                                            argv: list[str]) -> None:
    p = tmp_path / "future.db"
    _future(p)
    before = digest(p)
    res = CliRunner().invoke(main, [*argv, "--db", str(p)])
    assert res.exit_code != 0 and isinstance(res.exception, SystemExit)
    assert "upgrade Wearlog" in res.output and "Traceback" not in res.output
    assert digest(p) == before
