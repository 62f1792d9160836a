"""A clinician excludes a night or day: stored apart from the analysis, audited, reversible,
CSRF-protected, left out of every figure and export, and a GET never writes."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wearlog.accounts import Users
from wearlog.export.fhir_bundle import fhir_bundle
from wearlog.store import Store
from wearlog.testing.database import make_patient
from wearlog.web import create_app

PW = "correct horse battery staple"


@pytest.fixture
def env(tmp_path):
    db = tmp_path / "wearlog.db"
    with Store(db) as s:
        make_patient(s, "P-1", 1, 20, seed=3, symptoms_per_day=0.3, end_utc=1_795_000_000)
        make_patient(s, "P-2", 2, 5, seed=4, end_utc=1_795_000_000)
        users = Users(s.conn)
        users.add("dr.a", "clinician", PW)
        users.assign("dr.a", "P-1")
    c = TestClient(create_app(db, secret="x" * 40), follow_redirects=False)
    csrf = _csrf(c.get("/login").text)
    assert c.post("/login", data={"username": "dr.a", "password": PW,
                                  "csrf_token": csrf}).status_code == 303
    return db, c


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]


def _night(s: dict, night: str) -> dict:
    return next(n for n in s["nights"] if n["night"] == night)


def test_exclude_and_restore_a_night(env):
    db, c = env
    before = c.get("/api/patients/P-1/summary?days=14").json()
    # the night farthest from the mean: leaving it out must move the mean
    mean = before["means"]["tst_min"]
    night = max(before["nights"][:-1], key=lambda x: abs(x["tst_min"] - mean))["night"]
    page = c.get("/patients/P-1?days=14")
    assert 'value="exclude"' in page.text
    r = c.post("/patients/P-1/exclusions", data={
        "csrf_token": _csrf(page.text), "kind": "night", "day": night, "action": "exclude",
        "days": "14", "reason": "watch taken off at a party"})
    assert r.status_code == 303 and r.headers["location"].startswith("/patients/P-1?days=14")
    after = c.get("/api/patients/P-1/summary?days=14").json()
    n = _night(after, night)
    assert n["excluded"] == 1 and n["valid"] == 0
    kept = [x["tst_min"] for x in after["nights"] if x["valid"]]
    assert after["means"]["tst_min"] == round(sum(kept) / len(kept), 1)
    assert after["means"]["tst_min"] != before["means"]["tst_min"]
    with Store(db) as s:
        assert [(e["kind"], e["day"], e["excluded_by"]) for e in s.exclusions_of("P-1")] == [
            ("night", night, "dr.a")]
        bundle = fhir_bundle(s, "P-1")
        audits = s.conn.execute(
            "SELECT action, detail FROM audit_log WHERE action IN ('exclude', 'restore')"
        ).fetchall()
    assert audits == [("exclude", f"night {night}: watch taken off at a party")]
    periods = {e["resource"]["effectivePeriod"]["start"] for e in bundle["entry"]
               if "effectivePeriod" in e["resource"]}
    onset = _night(before, night)["onset_utc"]
    assert dt.datetime.fromtimestamp(onset, dt.UTC).isoformat().replace("+00:00", "Z") \
        not in periods
    html = c.get("/patients/P-1?days=14").text
    assert "excluded by clinician" in html and 'value="restore"' in html
    # restore: everything as before
    r = c.post("/patients/P-1/exclusions", data={
        "csrf_token": _csrf(html), "kind": "night", "day": night, "action": "restore"})
    assert r.status_code == 303
    again = c.get("/api/patients/P-1/summary?days=14").json()
    assert again["means"] == before["means"] and _night(again, night)["valid"] == 1


def test_without_csrf_nothing_changes(env):
    db, c = env
    day = c.get("/api/patients/P-1/summary?days=14").json()["days"][2]["day"]
    r = c.post("/patients/P-1/exclusions",
               data={"csrf_token": "forged", "kind": "day", "day": day, "action": "exclude"})
    assert r.status_code == 403
    with Store(db) as s:
        assert s.exclusions_of("P-1") == []


def test_other_clinicians_patient_and_unknown_days_are_refused(env):
    db, c = env
    csrf = _csrf(c.get("/patients/P-1").text)
    r = c.post("/patients/P-2/exclusions", data={
        "csrf_token": csrf, "kind": "day", "day": "2020-01-01", "action": "exclude"})
    assert r.status_code == 404
    r = c.post("/patients/P-1/exclusions", data={
        "csrf_token": csrf, "kind": "day", "day": "1999-01-01", "action": "exclude"})
    assert r.status_code == 404
    r = c.post("/patients/P-1/exclusions", data={
        "csrf_token": csrf, "kind": "week", "day": "2020-01-01", "action": "exclude"})
    assert r.status_code == 422
    with Store(db) as s:
        assert s.exclusions_of("P-1") == [] and s.exclusions_of("P-2") == []


def test_get_never_writes(env):
    db, c = env
    assert c.get("/patients/P-1/exclusions").status_code in (404, 405)
    with Store(db) as s:
        assert s.exclusions_of("P-1") == []


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(ops=st.lists(st.tuples(st.sampled_from(["night", "day"]), st.integers(0, 4),
                              st.booleans()), max_size=12))
def test_exclusions_never_lose_or_change_the_analysed_rows(tmp_path_factory, ops):
    """Any sequence of exclude/restore leaves the analysis' rows as they were and the
    exclusions equal to the last action per night/day."""
    db = tmp_path_factory.mktemp("x") / "w.db"
    with Store(db) as s:
        make_patient(s, "P-1", 1, 4, seed=1, end_utc=1_795_000_000)
        raw_n = s.conn.execute("SELECT * FROM nights ORDER BY night").fetchall()
        raw_d = s.conn.execute("SELECT * FROM days ORDER BY day").fetchall()
        nights = [r["night"] for r in s.nights_between("P-1", "0000", "9999")]
        days = [r["day"] for r in s.days_between("P-1", "0000", "9999")]
        want: dict[tuple[str, str], bool] = {}
        for kind, i, excl in ops:
            dates = nights if kind == "night" else days
            date = dates[i % len(dates)]
            s.set_excluded("P-1", kind, date, excl, "dr.a")
            want[(kind, date)] = excl
        assert s.conn.execute("SELECT * FROM nights ORDER BY night").fetchall() == raw_n
        assert s.conn.execute("SELECT * FROM days ORDER BY day").fetchall() == raw_d
        got = {(e["kind"], e["day"]) for e in s.exclusions_of("P-1")}
        assert got == {k for k, v in want.items() if v}
        for r in s.nights_between("P-1", "0000", "9999"):
            assert r["excluded"] == int(want.get(("night", r["night"]), False))


def test_research_exports_carry_the_exclusion_beside_the_analysis_verdict(env, tmp_path):
    """Research CSV and Parquet keep the analysis' own `valid` and add `excluded`, so an
    excluded night or day is shown as such in every export."""
    import csv
    import io

    import duckdb

    from wearlog.export.csv_tables import write_csv
    from wearlog.export.parquet import write_parquet

    db, _ = env
    with Store(db) as s:
        night = s.nights_between("P-1", "0000-01-01", "9999-12-31")[3]["night"]
        day = s.days_between("P-1", "0000-01-01", "9999-12-31")[5]["day"]
        s.set_excluded("P-1", "night", night, True, "dr.a", "")
        s.set_excluded("P-1", "day", day, True, "dr.a", "")
        outs = {}
        for table in ("nights", "days"):
            buf = io.StringIO()
            write_csv(s, "P-1", table, buf)
            outs[table] = list(csv.DictReader(io.StringIO(buf.getvalue())))
        write_parquet(s, tmp_path / "pq")
    key = {"nights": "night", "days": "day"}
    for table, picked in (("nights", night), ("days", day)):
        rows = outs[table]
        assert [r[key[table]] for r in rows if r["excluded"] == "1"] == [picked]
        assert all(r["excluded"] == "0" for r in rows if r[key[table]] != picked)
        con = duckdb.connect()
        got = con.execute(
            f"SELECT {key[table]}, excluded FROM read_parquet('{tmp_path}/pq/{table}/**/*.parquet',"
            " hive_partitioning=true) WHERE patient_id = 'P-1' AND excluded = 1").fetchall()
        assert got == [(picked, 1)]
