"""Clinician CSVs: local ISO times, labelled event types, rounded figures, and whether each
night or day counts (excluded ones say so)."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from wearlog.export.clinician_csv import DAY_HEADER, NIGHT_HEADER, iter_clinician_csv
from wearlog.export.errors import UnknownTableError
from wearlog.store import Store
from wearlog.testing.database import make_patient
from wlproto.const import EV_SYMPTOM


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "w.db")
    make_patient(s, "P-1", 1, 6, seed=3, end_utc=1_795_000_000, tz="Europe/Berlin",
                 symptoms_per_day=2.0, invalid_days=(1,))
    yield s
    s.close()


def _rows(store, table):
    return list(csv.DictReader(io.StringIO("".join(iter_clinician_csv(store, "P-1", table)))))


def test_nights_have_local_iso_times_and_say_what_counts(store):
    night = store.nights_between("P-1", "0000", "9999")[0]["night"]
    store.set_excluded("P-1", "night", night, True, "dr.a")
    rows = _rows(store, "nights")
    assert tuple(rows[0]) == NIGHT_HEADER
    assert len(rows) == len(store.nights_between("P-1", "0000", "9999"))
    bed = dt.datetime.fromisoformat(rows[0]["bed"])
    assert bed.utcoffset() in (dt.timedelta(hours=1), dt.timedelta(hours=2))  # Berlin
    assert rows[0]["counted"] == "excluded by clinician"
    assert rows[1]["counted"].startswith("no:")  # the invalid day's night
    assert rows[2]["counted"] == "yes"
    se = rows[2]["sleep_efficiency_pct"]
    assert len(se.split(".")[1]) <= 1


def test_days_and_labelled_events(store):
    days = _rows(store, "days")
    assert tuple(days[0]) == DAY_HEADER and days[1]["counted"].startswith("no:")
    events = _rows(store, "events")
    n_sym = store.conn.execute("SELECT COUNT(*) FROM timed_events WHERE etype=?",
                               (EV_SYMPTOM,)).fetchone()[0]
    assert sum(e["event"] == "symptom (severity 1-5)" for e in events) == n_sym > 0
    assert all(e["time"][10] == "T" and e["time"][-6] in "+-" for e in events)


def test_unknown_table_is_a_clear_error(store):
    with pytest.raises(UnknownTableError, match="choose one of nights, days, events"):
        list(iter_clinician_csv(store, "P-1", "epochs"))
