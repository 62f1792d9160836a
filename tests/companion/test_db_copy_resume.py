"""`wearlog db copy` stopped part-way (a killed process, a lost connection) is resumed by
running it again with --merge: every row arrives once and the tables then match the
source row for row (counts and checksums)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from wearlog.store import Store
from wearlog.store import copy as dbcopy
from wearlog.testing.database import make_patient


class Interrupted(Exception):
    pass


def sums(s: Store) -> dict[str, tuple[int, int]]:
    return {t: dbcopy.checksum(s, t, dbcopy.columns(s, t)) for t in dbcopy.tables_of(s)}


# stopped inside a large table (after its first page) or before a small table's only page
@pytest.mark.parametrize(("stop_table", "stop_page"), [("epochs", 1), ("nights", 0)])
def test_an_interrupted_copy_resumed_with_merge_ends_equal_to_the_source(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, db_location: Any,
        stop_table: str, stop_page: int) -> None:
    src_path = tmp_path / "clinic.db"
    with Store(src_path) as s:
        make_patient(s, "P-1", 1, 6, seed=2, end_utc=1_795_000_000)
        make_patient(s, "P-2", 2, 3, seed=3, end_utc=1_795_000_000)
    monkeypatch.setattr(dbcopy, "BATCH_ROWS", 500)  # several pages per large table
    real_pages = dbcopy.pages

    def failing(store: Store, table: str, cols: list[str]) -> Iterator[list[tuple[Any, ...]]]:
        for i, page in enumerate(real_pages(store, table, cols)):
            if table == stop_table and i == stop_page:
                raise Interrupted(f"stopped in {table}")
            yield page

    with Store(src_path) as src, Store(db_location) as dest:
        want = sums(src)
        monkeypatch.setattr(dbcopy, "pages", failing)
        with pytest.raises(Interrupted):
            dbcopy.copy_database(src, dest)
        assert 0 < dbcopy.data_rows(dest) < dbcopy.data_rows(src)
        with pytest.raises(dbcopy.CopyError, match="--merge"):  # not silently on top
            dbcopy.copy_database(src, dest)
        monkeypatch.setattr(dbcopy, "pages", real_pages)
        held = dbcopy.data_rows(dest)
        done = dbcopy.copy_database(src, dest, merge=True)
        assert sums(dest) == want
        # the resumed run adds exactly what was missing: nothing twice, nothing left out
        assert sum(t.copied for t in done) == dbcopy.data_rows(src) - held
