"""One definition of every figure: `wearlog report --json` and the dashboard's summary API
agree field by field for the same database and range (stored and built ranges)."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from wearlog.accounts import Users
from wearlog.cli import main
from wearlog.export.fhir_bundle import fhir_bundle
from wearlog.pipeline import refresh
from wearlog.store import Store
from wearlog.testing.epochs import make_wearer
from wearlog.web import create_app

PW = "agreement passphrase long"


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, TestClient]:
    db = tmp_path_factory.mktemp("agree") / "w.db"
    with Store(db) as s:
        s.add_patient("P-1", "Europe/Berlin")
        s.add_device(7, "P-1")
        w = make_wearer(20, tz="Europe/Berlin", start=dt.date(2026, 3, 20), seed=3,
                        symptom_days=(4, 15), nonwear_days=(9,))
        s.ingest(7, w.records)
        assert all(r.ok for r in refresh(s))
        Users(s.conn).add("root", "admin", PW)
    c = TestClient(create_app(db, secret="a" * 40), follow_redirects=False)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text).group(1)
    c.post("/login", data={"username": "root", "password": PW, "csrf_token": csrf})
    return db, c


def report_json(db: Path, *args: str) -> dict:
    res = CliRunner().invoke(main, ["report", "--patient", "P-1", "--db", str(db), "--json",
                                    *args])
    assert res.exit_code == 0, res.output
    return json.loads(res.output)


@pytest.mark.parametrize("days", [14, 30, 90])
def test_report_json_equals_the_summary_api(env, days: int) -> None:
    db, c = env
    api = c.get(f"/api/patients/P-1/summary?days={days}").json()
    cli = report_json(db, "--days", str(days))
    assert api["analysis_status"] == "ok" and api["nights"] and api["days"]
    assert set(cli) == set(api)
    for key in api:
        assert cli[key] == api[key], key
    # the range ends on the last day with data, not today
    assert api["last_date"] == api["monitoring_last_date"] == "2026-04-08"
    # days before monitoring began are "not yet monitoring", not "not worn"
    early = [d for d in api["completeness"] if d["date"] < api["monitoring_first_date"]]
    assert len(early) == max(0, days - 20)
    assert all(d["status"] == "not yet monitoring" and d["worn_pct"] is None for d in early)
    if days == 90:
        assert api["completeness_pct"] > 80  # not "worn 22 % of the time"


def test_a_range_ending_elsewhere_agrees_too(env) -> None:
    db, c = env
    api = c.get("/api/patients/P-1/summary?days=14&end=2026-04-01").json()
    cli = report_json(db, "--days", "14", "--end", "2026-04-01")
    assert api == cli and api["last_date"] == "2026-04-01"


def test_nights_are_dated_and_plotted_on_the_evening_they_begin(env) -> None:
    _, c = env
    s = c.get("/api/patients/P-1/summary?days=14").json()
    for n in s["nights"]:
        shown = dt.datetime.fromtimestamp(n["x_utc"], dt.UTC).date().isoformat()
        assert shown == n["night"]
        if n["onset_utc"] is not None:  # the evening the night begins on is its date
            onset = dt.datetime.fromtimestamp(n["onset_utc"], dt.UTC)
            assert onset.date().isoformat() in (n["night"], _next(n["night"]))


def test_exports_carry_the_same_stored_values(env) -> None:
    db, c = env
    s = c.get("/api/patients/P-1/summary?days=90").json()
    with Store(db) as store:
        bundle = fhir_bundle(store, "P-1")
    tst = sorted(e["resource"]["valueQuantity"]["value"] for e in bundle["entry"]
                 if e["resource"].get("code", {}).get("text", "").lower().startswith(
                     "sleep duration"))
    want = sorted(round(n["tst_min"], 4) for n in s["nights"] if n["valid"])
    assert [round(v, 4) for v in tst] == want
    csv = c.get("/api/patients/P-1/export/nights.csv").text.splitlines()
    assert len(csv) - 1 == len(s["nights"])


def _next(day: str) -> str:
    return (dt.date.fromisoformat(day) + dt.timedelta(days=1)).isoformat()
