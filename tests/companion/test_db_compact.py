"""`wearlog db compact`: free pages go back to the disk and every record stays."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wearlog.cli import main
from wearlog.store import Store, StoreBusyError
from wearlog.store.compact import on_disk
from wearlog.store.copy import checksum, columns, tables_of
from wlproto.const import EV_SYMPTOM
from wlproto.records import Epoch, Event

T0 = 1_780_000_000


def _fill(db: Path, patients: int, epochs: int) -> Store:
    s = Store(db)
    for p in range(patients):
        s.add_patient(f"P-{p}")
        s.add_device(p + 1, f"P-{p}")
        s.ingest(p + 1, [Epoch(q, T0 + 30 * q, enmo_dmg=q % 3000, zangle_deg=q % 90 - 45)
                         for q in range(epochs)]
                 + [Event(epochs + q, T0 + 600 * q, etype=EV_SYMPTOM, value=q % 5 + 1)
                    for q in range(epochs // 100)])
    return s


def _fingerprint(s: Store) -> dict[str, tuple[int, int]]:
    return {t: checksum(s, t, columns(s, t)) for t in tables_of(s)}


def _bloat(s: Store) -> None:
    """Free pages as an upgrade leaves them: a big table written, then dropped."""
    s.conn.execute("CREATE TABLE scratch (b BLOB)")
    s.conn.executemany("INSERT INTO scratch VALUES (?)", [(os.urandom(4000),)] * 500)
    s.conn.execute("DROP TABLE scratch")


def test_compact_gives_space_back_and_keeps_every_row(tmp_path: Path) -> None:
    db = tmp_path / "w.db"
    s = _fill(db, 2, 3000)
    _bloat(s)
    want = _fingerprint(s)
    s.close()
    bloated = on_disk(db)
    res = CliRunner().invoke(main, ["db", "compact", "--db", str(db)])
    assert res.exit_code == 0, res.output
    assert "every record kept" in res.output
    assert on_disk(db) < bloated - 1_500_000  # the dropped table's ~2 MB came back
    assert stat.S_IMODE(db.stat().st_mode) == 0o600  # still owner-only
    with Store(db) as s:
        assert _fingerprint(s) == want


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(patients=st.integers(1, 3), epochs=st.integers(0, 400), bloat=st.booleans())
def test_compact_never_loses_a_record(tmp_path: Path, patients: int, epochs: int,
                                      bloat: bool) -> None:
    db = tmp_path / f"h{patients}-{epochs}-{bloat}.db"
    db.unlink(missing_ok=True)
    s = _fill(db, patients, epochs)
    if bloat:
        _bloat(s)
    want = _fingerprint(s)
    before, after = s.compact()
    assert after <= before
    assert _fingerprint(s) == want
    s.close()


def test_compact_while_another_program_writes_says_so(tmp_path: Path) -> None:
    db = tmp_path / "busy.db"
    _fill(db, 1, 100).close()
    other = Store(db)
    other.conn.execute("PRAGMA busy_timeout = 0")
    other.conn.execute("BEGIN IMMEDIATE")  # a sync holding the write lock
    try:
        s = Store(db)
        s.conn.execute("PRAGMA busy_timeout = 0")
        try:
            s.compact()
            raise AssertionError("compact ran under another writer")
        except StoreBusyError as e:
            assert "in use by another Wearlog program" in str(e)
        s.close()
    finally:
        other.conn.execute("ROLLBACK")
        other.close()
    with Store(db) as s:
        assert s.counts()["epochs"] == 100


def test_compact_refuses_a_missing_file_without_creating_it(tmp_path: Path) -> None:
    res = CliRunner().invoke(main, ["db", "compact", "--db", str(tmp_path / "none.db")])
    assert res.exit_code == 1 and "no database at" in res.output
    assert "Traceback" not in res.output
    assert not (tmp_path / "none.db").exists()


