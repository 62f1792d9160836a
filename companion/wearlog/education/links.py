"""Remember which topics were linked for a patient, when, and why.

Clinicians need to see what the patient was shown and which finding caused
it, so each fired finding's topics go to the `linked_topics` table (created by
the store's migrations; written through the store's named queries).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from os import PathLike
from typing import Any

from wearlog.store import Store, StoreError

from .errors import LinkStoreError
from .evaluate import Finding

TABLE = "linked_topics"

DbLike = Store | str | PathLike[str]


@contextmanager
def _store(db: DbLike) -> Iterator[Store]:
    if isinstance(db, Store):
        yield db
        return
    try:
        store = Store(db)
    except (StoreError, OSError) as exc:
        raise LinkStoreError(f"cannot open the database {db!r}: {exc}") from exc
    try:
        yield store
    finally:
        store.close()


def link_rows(patient_id: str, findings: Iterable[Finding], when: dt.datetime
              ) -> list[dict[str, Any]]:
    """One row per (fired finding, linked topic)."""
    if not isinstance(patient_id, str) or not patient_id.strip():
        raise LinkStoreError("patient_id must be the patient's non-empty pseudonymous id")
    if when.utcoffset() is None:
        raise LinkStoreError("now must be timezone-aware (e.g. datetime.now(UTC))")
    at = when.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    rows: list[dict[str, Any]] = []
    for f in findings:
        if not f.fired:
            continue
        if not f.window_end:
            raise LinkStoreError(
                f"finding {f.rule_id!r} has no window end; pass as_of= to evaluate()"
            )
        rows += [{"patient_id": patient_id, "topic_id": t, "rule_id": f.rule_id,
                  "finding_text": f.text, "window_end": f.window_end, "linked_at": at}
                 for t in f.topic_ids]
    return rows


def record_links(
    db: DbLike,
    patient_id: str,
    findings: Iterable[Finding],
    *,
    now: dt.datetime | None = None,
) -> int:
    """Store one row per (fired finding, linked topic); returns rows added.

    Re-recording the same findings adds nothing, so calling this on every
    refresh is safe. `now` (UTC) is for tests; the default is the current time.
    """
    rows = link_rows(patient_id, findings, now or dt.datetime.now(dt.UTC))
    with _store(db) as store:
        try:
            return store.add_links(rows)
        except StoreError as exc:
            raise LinkStoreError(f"could not record linked topics: {exc}") from exc


def links_for_patient(db: DbLike, patient_id: str) -> list[dict[str, Any]]:
    """All rows for one patient, oldest first (what the clinician view lists)."""
    with _store(db) as store:
        rows = store.links_of(patient_id)
    return sorted(rows, key=lambda r: (r["linked_at"], r["window_end"], r["rule_id"],
                                       r["topic_id"]))
