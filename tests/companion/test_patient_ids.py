"""Patient ids: one documented pattern checked where patients are created; download names
that any id can be sent in (RFC 6266). Issue 14 item 12."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from wearlog.accounts import Users
from wearlog.store import Store
from wearlog.store.errors import BadPatientIdError, StoreError
from wearlog.store.patients import PATIENT_ID_PATTERN
from wearlog.web import create_app
from wearlog.web.downloads import attachment

PW = "correct horse battery staple"


@pytest.mark.parametrize("pid", ["P-0042", "R-01", "home", "p.7_b", "X" * 64])
def test_pseudonymous_ids_of_the_pattern_are_accepted(pid):
    with Store.memory() as s:
        s.add_patient(pid)
        assert s.patient(pid)["patient_id"] == pid


@pytest.mark.parametrize("pid", ["Ω-1", "a/b", "P 1", " P-1", "-P", "", "X" * 65,
                                 "P-1\n", 'P"1', "P%2F1", "..", "."])
def test_ids_outside_the_pattern_are_refused_with_the_pattern(pid):
    with Store.memory() as s, pytest.raises(BadPatientIdError) as e:
        s.add_patient(pid)
    assert isinstance(e.value, StoreError)
    assert "letters, digits" in str(e.value) and repr(pid) in str(e.value)
    with Store.memory() as s:
        assert s.conn.execute("SELECT COUNT(*) FROM patients").fetchone()[0] == 0


@given(st.from_regex(PATIENT_ID_PATTERN, fullmatch=True))
def test_every_valid_id_is_a_url_path_segment_and_a_plain_file_name(pid):
    assert quote(pid, safe="") == pid  # reachable by every /patients/{id} route
    assert pid.isascii() and pid not in (".", "..")


def test_attachment_header_carries_any_name():
    h = attachment("Ω-1 \"x\"/epochs.csv")
    h.encode("latin-1")  # a header value Starlette can send
    assert h.startswith("attachment; filename=\"")
    assert "filename*=UTF-8''%CE%A9-1%20%22x%22%2Fepochs.csv" in h
    assert attachment("P-1-epochs.csv") == (
        "attachment; filename=\"P-1-epochs.csv\"; filename*=UTF-8''P-1-epochs.csv")


def test_export_of_a_legacy_non_latin1_id_downloads(tmp_path, monkeypatch):
    """A database from before the check may hold such an id: its export must not 500."""
    monkeypatch.delenv("WEARLOG_SECRET_KEY", raising=False)
    db = tmp_path / "w.db"
    with Store(db) as s:
        s.conn.execute("INSERT INTO patients (patient_id, tz, created_utc) "
                       "VALUES ('Ω-1', 'UTC', 0)")
        Users(s.conn).add("root", "admin", PW)
    app = create_app(db)
    c = TestClient(app, follow_redirects=False)
    import re

    csrf = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text).group(1)
    assert c.post("/login", data={"username": "root", "password": PW,
                                  "csrf_token": csrf}).status_code == 303
    r = c.get("/api/patients/%CE%A9-1/export/nights.csv")
    assert r.status_code == 200, r.text
    assert "filename*=UTF-8''%CE%A9-1-nights.csv" in r.headers["content-disposition"]
    r = c.get("/api/patients/%CE%A9-1/export/fhir")
    assert r.status_code == 200
    assert "filename*=UTF-8''%CE%A9-1-fhir.json" in r.headers["content-disposition"]


def test_an_import_cannot_create_a_patient_outside_the_pattern(tmp_path):
    from click.testing import CliRunner

    from wearlog.cli import main

    f = tmp_path / "a.csv"
    f.write_text("timestamp,enmo\n1780000020,5\n1780000050,6\n")
    db = tmp_path / "w.db"
    res = CliRunner().invoke(main, ["import", str(f), "--patient", "Ω-1", "--tz", "UTC",
                                    "--db", str(db)])
    assert res.exit_code == 1 and "letters, digits" in res.output, res.output
    with Store(db) as s:
        assert s.conn.execute("SELECT COUNT(*) FROM patients").fetchone()[0] == 0
