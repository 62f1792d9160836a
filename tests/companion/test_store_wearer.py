"""Diary entries and night corrections in the store: nothing lost, nothing duplicated,
the newest copy wins whatever order copies arrive in (so uploads are idempotent)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wearlog.analysis.corrections import apply_corrections, night_window
from wearlog.store import BadRecordError, Store
from wearlog.store.wearer import DIARY_SCALES
from wlproto.const import EV_BED, EV_SYMPTOM, EV_UP

DAYS = [(dt.date(2026, 3, 1) + dt.timedelta(days=i)).isoformat() for i in range(5)]
scale = st.integers(0, 10)
entry = st.fixed_dictionaries({
    "day": st.sampled_from(DAYS), "pain": scale, "fatigue": scale, "sleep_quality": scale,
    "mood": scale, "stiffness_min": st.none() | st.integers(0, 1440),
    "note": st.none() | st.text(max_size=40), "updated_utc": st.integers(0, 50)})


@settings(max_examples=60)
@given(batches=st.lists(st.lists(entry, max_size=6), max_size=5), data=st.data())
def test_diary_keeps_the_newest_copy_of_each_day_in_any_order(batches, data):
    flat = [e for b in batches for e in b]
    with Store.memory() as s:
        s.add_patient("P-1")
        for b in batches:
            s.save_diary("P-1", b)
        # the same copies again, in another order: nothing changes
        again = data.draw(st.permutations(flat))
        s.save_diary("P-1", again)
        stored = {e["day"]: e for e in s.diary_between("P-1")}
    assert set(stored) == {e["day"] for e in flat}
    for day, e in stored.items():
        newest = max(x["updated_utc"] for x in flat if x["day"] == day)
        assert e["updated_utc"] == newest
        candidates = [{**x, "note": x["note"] or None} for x in flat
                      if x["day"] == day and x["updated_utc"] == newest]
        assert e in candidates


def test_a_bad_diary_entry_stores_nothing():
    with Store.memory() as s:
        s.add_patient("P-1")
        good = {"day": DAYS[0], **dict.fromkeys(DIARY_SCALES, 5), "updated_utc": 1}
        for bad in ({**good, "pain": 11}, {**good, "mood": -1}, {**good, "day": "yesterday"},
                    {**good, "fatigue": True}, {**good, "stiffness_min": 2000},
                    {**good, "note": "x" * 501}):
            with pytest.raises(BadRecordError):
                s.save_diary("P-1", [good, bad])
        assert s.diary_between("P-1") == []


def test_corrections_undo_and_queue_the_reanalysis():
    with Store.memory() as s:
        s.add_patient("P-1")
        s.queue_full([])  # nothing queued yet
        lo, _hi = night_window(DAYS[0], dt.UTC)  # type: ignore[arg-type]
        row = {"night": DAYS[0], "bed_utc": lo + 11 * 3600, "up_utc": lo + 19 * 3600,
               "updated_utc": 5}
        assert s.save_corrections("P-1", [row]) == 1
        assert [e.patient_id for e in s.pending()] == ["P-1"]
        assert s.save_corrections("P-1", [{**row, "removed": 1, "updated_utc": 4}]) == 0
        assert len(s.corrections_of("P-1")) == 1  # an older undo does not win
        s.save_corrections("P-1", [{**row, "removed": 1, "updated_utc": 6}])
        assert s.corrections_of("P-1") == []
        with pytest.raises(BadRecordError):
            s.save_corrections("P-1", [{**row, "up_utc": row["bed_utc"]}])


def test_a_correction_replaces_only_its_nights_markers():
    from zoneinfo import ZoneInfo

    tz = ZoneInfo("Europe/Berlin")
    lo, hi = night_window("2026-03-28", tz)  # the night the clocks go forward
    assert hi - lo == 23 * 3600
    events = [(lo + 3600, EV_BED, 0), (lo + 5 * 3600, EV_SYMPTOM, 3), (lo + 20 * 3600, EV_UP, 0),
              (hi + 10 * 3600, EV_BED, 0)]
    fix = {"night": "2026-03-28", "bed_utc": lo + 10 * 3600, "up_utc": lo + 18 * 3600}
    out = apply_corrections(events, [fix], tz)
    assert out == [(lo + 5 * 3600, EV_SYMPTOM, 3), (lo + 10 * 3600, EV_BED, 0),
                   (lo + 18 * 3600, EV_UP, 0), (hi + 10 * 3600, EV_BED, 0)]
    assert apply_corrections(events, [], tz) is events


def test_backup_and_restore_keep_the_diary_and_corrections(tmp_path):
    day = {"day": DAYS[1], **dict.fromkeys(DIARY_SCALES, 4), "stiffness_min": 20,
           "note": "ok", "updated_utc": 10}
    fix = {"night": DAYS[1], "bed_utc": 1_772_400_000, "up_utc": 1_772_428_800,
           "updated_utc": 10}
    with Store(tmp_path / "a.db") as a:
        a.add_patient("P-1")
        a.save_diary("P-1", [day])
        a.save_corrections("P-1", [fix])
        a.backup(tmp_path / "backup.db")
    with Store(tmp_path / "b.db") as b:
        b.add_patient("P-1")
        b.save_diary("P-1", [{**day, "day": DAYS[2]}, {**day, "pain": 9, "updated_utc": 11}])
        added = b.restore(tmp_path / "backup.db")
        rows = {e["day"]: e for e in b.diary_between("P-1")}
        assert rows[DAYS[1]]["pain"] == 9  # the newer entry here is kept
        assert set(rows) == {DAYS[1], DAYS[2]}
        assert b.corrections_of("P-1")[0]["bed_utc"] == fix["bed_utc"]
        assert added["night_corrections"] == 1
        assert [e.patient_id for e in b.pending()] == ["P-1"]  # re-analysed with it


def test_a_backup_with_an_impossible_diary_row_restores_nothing(tmp_path):
    import sqlite3

    from wearlog.store import BackupError

    with Store(tmp_path / "a.db") as a:
        a.add_patient("P-1")
        a.save_diary("P-1", [{"day": DAYS[0], **dict.fromkeys(DIARY_SCALES, 4),
                              "updated_utc": 1}])
        a.backup(tmp_path / "backup.db")
    conn = sqlite3.connect(tmp_path / "backup.db")
    conn.execute("UPDATE diary_entries SET pain = 42")
    conn.commit()
    conn.close()
    with Store(tmp_path / "b.db") as b:
        with pytest.raises(BackupError, match="diary_entries"):
            b.restore(tmp_path / "backup.db")
        assert b.patient_ids() == []
