"""record_links writes what was linked, when and why to a real SQLite file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from wearlog.education import (
    FIRED,
    NOT_FIRED,
    TABLE,
    Finding,
    LinkStoreError,
    links_for_patient,
    record_links,
)
from wearlog.store import Store

T0 = dt.datetime(2026, 3, 28, 9, 30, tzinfo=dt.UTC)


def fired(rule_id: str, topics: tuple[str, ...], text: str, end: str = "2026-03-28") -> Finding:
    return Finding(rule_id, rule_id, FIRED, text, topics, {"count": 4}, end)


FINDINGS = [
    fired("low_sleep_efficiency", ("sleep-disturbance", "non-drug-therapies"),
          "Your sleep efficiency was below 85 % on 4 of the last 7 nights."),
    Finding("steps_falling", "Daily steps", NOT_FIRED, "Daily steps: nothing to flag.", (), {},
            "2026-03-28"),
    fired("low_wear", ("wearing-your-logger",), "Your logger was worn for less than 16 hours."),
]


def test_creates_the_table_and_records_each_fired_topic(tmp_path: Path):
    path = tmp_path / "wearlog.db"
    added = record_links(path, "P-0042", FINDINGS, now=T0)
    assert added == 3
    with Store(path) as db:
        assert TABLE in db.table_names()
    rows = links_for_patient(path, "P-0042")
    assert [(r["rule_id"], r["topic_id"]) for r in rows] == [
        ("low_sleep_efficiency", "non-drug-therapies"),
        ("low_sleep_efficiency", "sleep-disturbance"),
        ("low_wear", "wearing-your-logger"),
    ]
    assert rows[0]["finding_text"] == FINDINGS[0].text
    assert rows[0]["window_end"] == "2026-03-28"
    assert rows[0]["linked_at"] == "2026-03-28T09:30:00Z"


def test_recording_again_adds_nothing_but_new_findings_are_kept(tmp_path: Path):
    path = tmp_path / "wearlog.db"
    assert record_links(path, "P-1", FINDINGS, now=T0) == 3
    assert record_links(path, "P-1", FINDINGS, now=T0 + dt.timedelta(hours=1)) == 0
    later = [fired("low_sleep_efficiency", ("sleep-disturbance",),
                   "Your sleep efficiency was below 85 % on 5 of the last 7 nights.",
                   end="2026-03-29")]
    assert record_links(path, "P-1", later, now=T0 + dt.timedelta(days=1)) == 1
    rows = links_for_patient(path, "P-1")
    assert len(rows) == 4
    assert rows[0]["linked_at"] == "2026-03-28T09:30:00Z"  # first time shown is kept
    assert rows[-1]["window_end"] == "2026-03-29"


def test_patients_are_kept_apart(tmp_path: Path):
    db = Store(tmp_path / "w.db")
    record_links(db, "P-1", FINDINGS[:1], now=T0)
    record_links(db, "P-2", FINDINGS[2:], now=T0)
    assert {r["topic_id"] for r in links_for_patient(db, "P-2")} == {"wearing-your-logger"}
    assert len(links_for_patient(db, "P-1")) == 2
    assert links_for_patient(db, "P-3") == []


def test_accepts_an_open_store(tmp_path: Path):
    with Store(tmp_path / "c.db") as store:
        assert record_links(store, "P-1", FINDINGS, now=T0) == 3
        assert len(links_for_patient(store, "P-1")) == 3


def test_naive_now_is_rejected(tmp_path: Path):
    with pytest.raises(LinkStoreError, match="timezone-aware"):
        record_links(tmp_path / "w.db", "P-1", FINDINGS, now=dt.datetime(2026, 3, 28, 9, 30))


def test_now_in_another_timezone_is_stored_as_utc(tmp_path: Path):
    local = dt.datetime(2026, 3, 28, 11, 30, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    record_links(tmp_path / "w.db", "P-1", FINDINGS[:1], now=local)
    assert links_for_patient(tmp_path / "w.db", "P-1")[0]["linked_at"] == "2026-03-28T09:30:00Z"


@pytest.mark.parametrize("patient", ["", "   ", None, 42])
def test_patient_id_is_required(tmp_path: Path, patient):
    with pytest.raises(LinkStoreError, match="pseudonymous id"):
        record_links(tmp_path / "w.db", patient, FINDINGS, now=T0)  # type: ignore[arg-type]


def test_fired_finding_without_window_end_is_an_error(tmp_path: Path):
    bad = [fired("low_wear", ("wearing-your-logger",), "x", end="")]
    with pytest.raises(LinkStoreError, match="pass as_of"):
        record_links(tmp_path / "w.db", "P-1", bad, now=T0)
    assert links_for_patient(tmp_path / "w.db", "P-1") == []


def test_unopenable_database_is_a_link_store_error(tmp_path: Path):
    with pytest.raises(LinkStoreError, match="cannot open"):
        (tmp_path / "a-file").write_text("not a folder")
        record_links(tmp_path / "a-file" / "w.db", "P-1", FINDINGS, now=T0)
