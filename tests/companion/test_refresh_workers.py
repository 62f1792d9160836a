"""`refresh(store, workers=N)` runs patients in N processes, each with one database
handle for all its patients: it must store what one process stores, on both backends,
and leave nobody queued."""

from __future__ import annotations

import json
from typing import Any

from wearlog.pipeline import refresh
from wearlog.store import Store
from wearlog.testing.epochs import make_wearer

ALL = ("0000-01-01", "9999-12-31")
PATIENTS = ("P-1", "P-2", "P-3", "P-4")


def results(s: Store, pid: str) -> dict[str, Any]:
    summaries = {}
    for r in (14, 30, 90):
        body = json.loads(s.stored_summary(pid, r) or b"{}")
        body.pop("topics", None)  # the link history holds the time it was written
        summaries[r] = body
    return {"nights": s.nights_between(pid, *ALL), "days": s.days_between(pid, *ALL),
            "profiles": s.profiles_between(pid, *ALL), "summaries": summaries,
            "rolling": json.loads(s.analysis_state(pid)["rolling"] or "{}")}


def test_worker_processes_store_what_one_process_stores(db_location, tmp_path) -> None:
    with Store(db_location) as s, Store(tmp_path / "one.db") as one:
        for k, pid in enumerate(PATIENTS):
            records = make_wearer(5 + k, seed=20 + k).records
            for store in (s, one):
                store.add_patient(pid)
                store.add_device(10 + k, pid)
                store.ingest(10 + k, records)
        got = refresh(s, workers=2)
        want = refresh(one)
        assert sorted(r.patient_id for r in got) == list(PATIENTS)
        assert all(r.ok for r in got + want), [r.error for r in got + want]
        assert s.pending() == [] and one.pending() == []
        for pid in PATIENTS:
            assert results(s, pid) == results(one, pid)
            assert results(s, pid)["nights"]
