"""Incremental and idempotent: any split of the same records into ingests, in any order,
with re-sends, leaves the same stored results as one ingest of all (hypothesis).

Compared: nights, days, day profiles, the rolling figures and the stored per-range
summaries. Not compared: the education-link history (it records what was shown after
each ingest, so it depends on the path by design) and refresh timestamps.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import tempfile
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wearlog.analysis.config import AnalysisConfig
from wearlog.analysis.summary import span_dates
from wearlog.pipeline import refresh
from wearlog.store import Store
from wearlog.testing.epochs import make_wearer

ALL = ("0000-01-01", "9999-12-31")
CHUNKS = 10


@functools.lru_cache(maxsize=2)
def wearer(tz: str) -> list[Any]:
    # 9 days: longer than a span (span_dates), so split ingests take the incremental path
    return make_wearer(9, tz=tz, seed=11, markers=False, nonwear_days=(2, 6)).records


def stored(s: Store) -> dict[str, Any]:
    """Everything the refresh step stored for P that must not depend on ingest order."""
    summaries = {}
    for r in (14, 30, 90):
        body = json.loads(s.stored_summary("P", r) or b"{}")
        body.pop("topics", None)
        summaries[r] = body
    rolling = json.loads(s.analysis_state("P")["rolling"] or "{}")
    return {"nights": s.nights_between("P", *ALL), "days": s.days_between("P", *ALL),
            "profiles": s.profiles_between("P", *ALL), "summaries": summaries,
            "inputs": s.night_inputs_between("P", *ALL),
            "rolling": rolling, "rows": s.patient_rows(["P"])}


def run(tmp: Path | str, tz: str, ingests: list[list[Any]]) -> dict[str, Any]:
    """Ingest and refresh batch by batch into a SQLite file in folder `tmp` (or the
    PostgreSQL database at URL `tmp`); what ended up stored."""
    with Store(tmp / "p.db" if isinstance(tmp, Path) else tmp) as s:
        s.add_patient("P", tz)
        s.add_device(1, "P")
        for batch in ingests:
            s.ingest(1, batch)
            assert all(r.ok for r in refresh(s, "P")), "refresh failed"
        assert s.pending() == []
        return stored(s)


@functools.lru_cache(maxsize=2)
def reference(tz: str) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        return json.dumps(run(Path(tmp), tz, [wearer(tz)]), sort_keys=True, default=repr)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tz=st.sampled_from(["UTC", "Europe/Berlin"]),
       owner=st.lists(st.integers(0, 3), min_size=CHUNKS, max_size=CHUNKS),
       order=st.permutations(range(4)), resend=st.integers(-1, 3))
def test_any_split_in_any_order_stores_what_one_ingest_stores(
        tz: str, owner: list[int], order: list[int], resend: int) -> None:
    records = wearer(tz)
    size = -(-len(records) // CHUNKS)
    chunks = [records[i * size:(i + 1) * size] for i in range(CHUNKS)]
    parts = [[r for c, o in zip(chunks, owner, strict=True) if o == k for r in c]
             for k in range(4)]
    ingests = [parts[k] for k in order if parts[k]]
    if resend >= 0 and parts[resend]:
        ingests.append(parts[resend])  # re-sending stored records changes nothing
    with tempfile.TemporaryDirectory() as tmp:
        got = json.dumps(run(Path(tmp), tz, ingests), sort_keys=True, default=repr)
    assert got == reference(tz)


def test_postgresql_stores_what_sqlite_stores(db_location, tz: str = "Europe/Berlin") -> None:
    """The refresh step on either backend, fed in three out-of-order parts with a resend,
    stores byte for byte what one ingest into SQLite stores."""
    records = wearer(tz)
    third = len(records) // 3
    parts = [records[third:2 * third], records[2 * third:], records[:third],
             records[third:third + 500]]
    where = db_location.parent if isinstance(db_location, Path) else db_location
    got = json.dumps(run(where, tz, parts), sort_keys=True, default=repr)
    assert got == reference(tz)


def test_a_late_record_is_queued_with_its_span_and_ends_as_one_ingest(db_location) -> None:
    """A sync resumed days later: the hour it brings is queued with exactly its span, and
    after the (incremental) refresh the stored results are those of one ingest of all."""
    records = wearer("UTC")
    epochs = [r for r in records if type(r).__name__ == "Epoch"]
    late = epochs[len(epochs) // 2: len(epochs) // 2 + 120]  # one hour in the middle
    rest = [r for r in records if r not in late]
    with Store(db_location) as s:
        s.add_patient("P", "UTC")
        s.add_device(1, "P")
        s.ingest(1, rest)
        refresh(s, "P")
        s.ingest(1, late)
        (entry,) = s.pending("P")
        assert not entry.full
        assert (entry.from_utc, entry.to_utc) == (late[0].time, late[-1].time + 30)
        assert all(r.ok for r in refresh(s, "P"))
        got = json.dumps(stored(s), sort_keys=True, default=repr)
    assert got == reference("UTC")


LONG_DAYS = 16


def test_a_late_record_rewrites_exactly_the_nights_and_days_it_can_move(
        tmp_path: Path) -> None:
    """Sixteen days stored, then one late hour on day 11: the refresh is incremental, it
    rewrites the nights and days the hour's records feed (nights F-1..L and days
    F-1..L+1 for records on local dates F..L) and no row outside span_dates' range, every
    rewritten row equals one ingest of everything, and every other stored row is left as
    it was, byte for byte (a marker put on them before the refresh is still there after
    it). The thresholds come from the stored nights' inputs, so rows whose threshold did
    not move are not rewritten at all."""
    records = make_wearer(LONG_DAYS, tz="Europe/Berlin", seed=5, nonwear_days=(4,)).records
    epochs = [r for r in records if type(r).__name__ == "Epoch"]
    k = len(epochs) * 11 // LONG_DAYS
    late = epochs[k:k + 120]
    late_ids = {id(r) for r in late}
    rest = [r for r in records if id(r) not in late_ids]
    with Store(tmp_path / "one.db") as ref:
        ref.add_patient("P", "Europe/Berlin")
        ref.add_device(1, "P")
        ref.ingest(1, records)
        assert all(r.ok for r in refresh(ref, "P"))
        want_n, want_d = ref.nights_between("P", *ALL), ref.days_between("P", *ALL)
        want_p = ref.profiles_between("P", *ALL)
    with Store(tmp_path / "late.db") as s:
        s.add_patient("P", "Europe/Berlin")
        s.add_device(1, "P")
        s.ingest(1, rest)
        assert all(r.ok for r in refresh(s, "P"))
        s.ingest(1, late)
        (entry,) = s.pending("P")
        assert entry.from_utc is not None and entry.to_utc is not None
        tz = ZoneInfo("Europe/Berlin")
        first = dt.datetime.fromtimestamp(entry.from_utc, tz).date()
        last = dt.datetime.fromtimestamp(entry.to_utc - 1, tz).date()
        (lo, hi), _days, _load = span_dates(first, last, AnalysisConfig())
        one = dt.timedelta(days=1)
        fed_n = {(first + k * one).isoformat() for k in range(-1, (last - first).days + 1)}
        fed_d = fed_n | {(last + one).isoformat()}
        with s.transaction() as c:  # mark every stored row; rewritten rows lose the mark
            c.execute("UPDATE nights SET reason = 'untouched' WHERE patient_id='P'")
            c.execute("UPDATE days SET nap_min = -1 WHERE patient_id='P'")
        (res,) = refresh(s, "P")
        assert res.ok and not res.full
        nights, days = s.nights_between("P", *ALL), s.days_between("P", *ALL)
        assert [n["night"] for n in nights] == [n["night"] for n in want_n]
        assert [d["day"] for d in days] == [d["day"] for d in want_d]
        for got, want in zip(nights, want_n, strict=True):
            if got["reason"] == "untouched":  # kept as stored (and that was already right)
                assert got["night"] not in fed_n, got["night"]
                assert {**got, "reason": want["reason"]} == want
            else:
                assert lo.isoformat() <= got["night"] <= hi.isoformat(), got["night"]
                assert got == want
        for got, want in zip(days, want_d, strict=True):
            if got["nap_min"] == -1:
                assert got["day"] not in fed_d, got["day"]
                assert {**got, "nap_min": want["nap_min"]} == want
            else:
                assert lo.isoformat() <= got["day"] <= hi.isoformat(), got["day"]
                assert got == want
        rewritten = {n["night"] for n in nights if n["reason"] != "untouched"}
        assert rewritten >= fed_n and len(rewritten) < len(nights) - 4
        assert s.profiles_between("P", *ALL) == want_p


def test_a_failed_full_refresh_keeps_the_stored_results_and_says_pending(
        tmp_path: Path, monkeypatch: Any) -> None:
    """The full re-analysis fails half way: the rows stored before are all still there,
    the queue entry stays (retried) and the stored figures are not shown as current."""
    import importlib

    rf = importlib.import_module("wearlog.pipeline.refresh")

    with Store(tmp_path / "p.db") as s:
        s.add_patient("P", "UTC")
        s.add_device(1, "P")
        s.ingest(1, wearer("UTC"))
        assert all(r.ok for r in refresh(s, "P"))
        before = stored(s)
        assert before["nights"] and before["days"]
        s.queue_full(["P"])

        def broken(*_a: Any, **_k: Any) -> Any:
            raise MemoryError("out of memory half way")

        monkeypatch.setattr(rf, "analyse_all", broken)
        (res,) = refresh(s, "P")
        assert not res.ok and "MemoryError" in (res.error or "")
        assert s.nights_between("P", *ALL) == before["nights"]
        assert s.days_between("P", *ALL) == before["days"]
        assert s.profiles_between("P", *ALL) == before["profiles"]
        assert s.analysis_state("P")["status"] == "failed"
        monkeypatch.undo()
        assert all(r.ok for r in refresh(s, "P"))
        assert s.analysis_state("P")["status"] == "ok"
        assert stored(s) == before


def test_records_decades_apart_are_analysed_in_bounded_memory(tmp_path: Path) -> None:
    """A device clock that jumped (a record at 1970 and one at 2106 beside a real week)
    must not make the refresh build a grid over the gap: it failed with a 1 GiB
    allocation, or took the machine's memory, before the changed span was walked by
    the stretches that hold data."""
    import tracemalloc

    from wlproto.fields import Epoch

    records = list(wearer("UTC"))
    seq = max(r.seq for r in records) + 1
    stray = [Epoch(seq, 0, 0, 5), Epoch(seq + 1, 2**32 - 1, 0, 5)]
    with Store(tmp_path / "p.db") as s:
        s.add_patient("P", "UTC")
        s.add_device(1, "P")
        s.ingest(1, records)
        assert all(r.ok for r in refresh(s, "P"))
        week = s.nights_between("P", *ALL)
        s.ingest(1, stray)
        tracemalloc.start()
        try:
            results = refresh(s, "P")
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert [r.error for r in results] == [None]
        assert peak < 256 * 2**20, f"refresh peaked at {peak / 2**20:.0f} MiB"
        nights = s.nights_between("P", *ALL)
    # the real week keeps its nights; the stray records add at most a few rows of their own
    real = {n["night"] for n in week}
    assert {n["night"] for n in nights} >= real
    assert len(nights) - len(real) <= 4
