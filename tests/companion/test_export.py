"""CSV and FHIR exports: every row out, structure validated by fhir.resources (R4B models)."""

from __future__ import annotations

import csv
import io
import json

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.observation import Observation
from hypothesis import given, settings
from hypothesis import strategies as st

from wearlog.education import evaluate, record_links
from wearlog.export import LOCAL_SYSTEM, TABLES, fhir_bundle, write_csv
from wearlog.export.csv_tables import iter_csv
from wearlog.export.errors import UnknownTableError
from wearlog.export.fhir_bundle import DAY_METRICS, DIARY_METRICS, LOINC, NIGHT_METRICS
from wearlog.store import Store
from wearlog.testing.database import make_patient
from wlproto.const import EV_SYMPTOM
from wlproto.records import Epoch, Event


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    s = Store(tmp_path_factory.mktemp("exp") / "w.db")
    make_patient(s, "P-1", 1, 10, seed=3, end_utc=1_795_000_000)
    make_patient(s, "P-2", 2, 3, seed=4, end_utc=1_795_000_000)
    # P-1 sleeps poorly, so the low-efficiency rule links topics (as a report would)
    s.conn.execute("UPDATE nights SET se_pct = 70 WHERE patient_id='P-1'")
    for pid in ("P-1", "P-2"):
        nights = s.nights_between(pid, "0000-01-01", "9999-12-31")
        days = s.days_between(pid, "0000-01-01", "9999-12-31")
        record_links(s, pid, evaluate(nights, days, audience="clinician"))
        # the wearer's own entries (diary, a night correction) export like the rest
        last = nights[-1]
        s.save_diary(pid, [{"day": last["night"], "pain": 6, "fatigue": 7, "sleep_quality": 3,
                            "mood": 5, "stiffness_min": 30, "note": "stiff", "updated_utc": 1}])
        s.save_corrections(pid, [{"night": last["night"], "bed_utc": last["onset_utc"],
                                  "up_utc": last["onset_utc"] + 8 * 3600, "updated_utc": 1}])
    yield s
    s.close()


def read_csv(store, pid, table):
    out = io.StringIO()
    n = write_csv(store, pid, table, out)
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert len(rows) == n + 1
    return rows


@pytest.mark.parametrize("table", list(TABLES))
def test_csv_has_every_row_of_the_patient_and_none_of_others(store, table):
    rows = read_csv(store, "P-1", table)
    assert tuple(rows[0]) == TABLES[table][0]
    if table in ("epochs", "events"):
        n = store.conn.execute(f"SELECT COUNT(*) FROM {table} WHERE device_id=1").fetchone()[0]
        assert {r[0] for r in rows[1:]} == {"1"}
    else:
        n = store.conn.execute(
            f"SELECT COUNT(*) FROM {table} WHERE patient_id='P-1'").fetchone()[0]
        assert {r[0] for r in rows[1:]} == {"P-1"}
    assert len(rows) - 1 == n > 0
    streamed = "".join(iter_csv(store, "P-1", table, chunk_rows=777))
    out = io.StringIO()
    write_csv(store, "P-1", table, out)
    assert streamed == out.getvalue()


def test_csv_values_round_trip(store):
    rows = read_csv(store, "P-1", "epochs")
    header = rows[0]
    first = dict(zip(header, rows[1], strict=True))
    db = store.conn.execute(
        "SELECT seq, time, enmo_dmg, steps FROM epochs WHERE device_id=1 ORDER BY seq LIMIT 1"
    ).fetchone()
    assert (int(first["seq"]), int(first["time"]), int(first["enmo_dmg"]),
            int(first["steps"])) == db


def test_unknown_table_is_refused(store):
    with pytest.raises(UnknownTableError, match="choose one of"):
        write_csv(store, "P-1", "users", io.StringIO())


def test_fhir_bundle_validates_and_carries_every_valid_metric(store):
    bundle = fhir_bundle(store, "P-1")
    parsed = Bundle.model_validate(bundle)  # raises on any structural error
    assert parsed.type == "collection"
    everything = [e.resource for e in parsed.entry
                  if e.resource.__resource_type__ == "Observation"]
    obs = [o for o in everything if o.code.coding[0].code != "symptom-event"]
    symptoms = [o for o in everything if o.code.coding[0].code == "symptom-event"]
    assert len(symptoms) == store.conn.execute(
        "SELECT COUNT(*) FROM timed_events WHERE patient_id='P-1' AND etype=?",
        (EV_SYMPTOM,)).fetchone()[0] > 0
    assert all(1 <= o.valueInteger <= 5 and o.effectiveDateTime for o in symptoms)
    nights = store.conn.execute(
        "SELECT COUNT(*) FROM nights WHERE patient_id='P-1' AND valid=1").fetchone()[0]
    days = store.conn.execute(
        "SELECT COUNT(*) FROM days WHERE patient_id='P-1' AND valid=1").fetchone()[0]
    # sample nights fill all 6 night metrics; days fill all 4 day metrics; the one diary
    # entry fills all 5 diary ones
    assert len(obs) == (nights * len(NIGHT_METRICS) + days * len(DAY_METRICS)
                        + len(DIARY_METRICS))
    codes = {(c.system, c.code) for o in obs for c in o.code.coding}
    assert (LOINC, "93832-4") in codes and (LOINC, "41950-7") in codes
    assert {s for s, _ in codes} == {LOINC, LOCAL_SYSTEM}
    patient = parsed.entry[0].resource
    assert patient.identifier[0].value == "P-1"
    assert all(o.subject.reference == parsed.entry[0].fullUrl for o in obs)
    tst = [o for o in obs if o.code.coding[0].code == "93832-4"]
    first_tst = store.conn.execute(
        "SELECT tst_min FROM nights WHERE patient_id='P-1' AND valid=1 ORDER BY night LIMIT 1"
    ).fetchone()[0]
    assert float(tst[0].valueQuantity.value) == round(first_tst, 1)
    assert tst[0].valueQuantity.code == "min"
    se = [o for o in obs if o.code.coding[0].code == "sleep-efficiency"]
    assert all(o.valueQuantity.value == round(o.valueQuantity.value, 1) for o in se)
    json.dumps(bundle)  # plain JSON types only


def test_fhir_diary_is_reported_by_the_wearer_with_loinc_pain(store):
    bundle = fhir_bundle(store, "P-1")
    parsed = Bundle.model_validate(bundle)
    codes = {m[1] for m in DIARY_METRICS.values()}
    diary = [e.resource for e in parsed.entry
             if e.resource.__resource_type__ == "Observation"
             and e.resource.code.coding[0].code in codes]
    assert all(o.category[0].coding[0].code == "survey" for o in diary)
    by_code = {o.code.coding[0].code: o for o in diary}
    assert set(by_code) == {m[1] for m in DIARY_METRICS.values()}
    pain = by_code["72514-3"]
    assert pain.code.coding[0].system == LOINC and float(pain.valueQuantity.value) == 6
    assert float(by_code["diary-morning-stiffness"].valueQuantity.value) == 30
    assert pain.device is None and pain.performer[0].reference == parsed.entry[0].fullUrl


def test_fhir_ids_are_stable_across_exports(store):
    a, b = fhir_bundle(store, "P-1"), fhir_bundle(store, "P-1")
    ids = [e["resource"]["id"] for e in a["entry"]]
    assert ids == [e["resource"]["id"] for e in b["entry"]]
    assert len(set(ids)) == len(ids)  # and unique within the bundle
    assert a["id"] == b["id"]


def test_fhir_skips_invalid_and_missing_values(store):
    with store.transaction() as c:
        c.execute("UPDATE nights SET valid=0 WHERE patient_id='P-2'")
        c.execute("UPDATE days SET steps=NULL WHERE patient_id='P-2'")
    bundle = fhir_bundle(store, "P-2")
    Bundle.model_validate(bundle)
    codes = [e["resource"]["code"]["coding"][0]["code"] for e in bundle["entry"][1:]]
    assert "93832-4" not in codes and "41950-7" not in codes
    assert codes.count("wear-time") == 3


def test_fhir_for_a_patient_without_analysis_is_just_the_patient(tmp_path):
    with Store(tmp_path / "w.db") as s:
        # an id from before ids were checked at creation (add_patient refuses it now)
        s.conn.execute("INSERT INTO patients (patient_id, tz, created_utc) "
                       "VALUES ('P 9/x', 'UTC', 0)")
        s.add_device(5, "P 9/x")
        s.ingest(5, [Epoch(0, 1_795_000_000), Event(1, 1_795_000_030, EV_SYMPTOM, 2)])
        bundle = fhir_bundle(s, "P 9/x")
    parsed = Bundle.model_validate(bundle)
    assert len(parsed.entry) == 2  # the patient and the symptom event
    assert parsed.entry[1].resource.valueInteger == 2
    assert parsed.entry[0].resource.id == "P-9-x"  # FHIR id charset, pseudonym kept as identifier


@settings(max_examples=60, deadline=None)
@given(tst=st.one_of(st.none(), st.floats(0, 1440, allow_nan=False)),
       se=st.one_of(st.none(), st.floats(0, 100, allow_nan=False)),
       steps=st.one_of(st.none(), st.integers(0, 100_000)))
def test_any_metric_values_give_a_valid_bundle(tmp_path_factory, tst, se, steps):
    with Store(tmp_path_factory.mktemp("h") / "w.db") as s:
        s.add_patient("P-h")
        with s.transaction() as c:
            c.execute("INSERT INTO nights (patient_id, night, onset_utc, offset_utc, tst_min, "
                      "se_pct, valid) VALUES ('P-h', '2026-03-01', NULL, NULL, ?, ?, 1)",
                      (tst, se))
            c.execute("INSERT INTO days (patient_id, day, steps, valid) "
                      "VALUES ('P-h', '2026-03-01', ?, 1)", (steps,))
        bundle = fhir_bundle(s, "P-h")
    parsed = Bundle.model_validate(bundle)
    expected = sum(v is not None for v in (tst, se, steps))
    assert len(parsed.entry) == 1 + expected
    for e in parsed.entry[1:]:
        assert isinstance(e.resource, Observation)
        assert e.resource.effectivePeriod.start < e.resource.effectivePeriod.end
