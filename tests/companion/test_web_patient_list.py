"""The patient list at clinic size: paged, searchable, flagged patients first.

The order is computed in SQL (store.patient_list_page) and the flags in web/data.py;
these tests walk every page of patients with every combination of stored figures and
check the two agree, that every patient is listed exactly once, and that the page and
the API page as they say. SQLite and PostgreSQL.
"""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wearlog.accounts import Users
from wearlog.accounts.users import User
from wearlog.analysis.config import method_id
from wearlog.store import Store
from wearlog.web import create_app, data

PW = "correct horse battery staple"
NOW = 1_800_000_000
ADMIN = User("t.admin", "admin")
GAP_S = data.GAP_HOURS * 3600

# per patient: (last_utc offset from NOW or None, sleep_worse, high-severity count, queue)
FIGURES = st.tuples(
    st.one_of(st.none(), st.sampled_from([-GAP_S - 1, -GAP_S, -60, 0])),
    st.sampled_from([None, 0, 1]),
    st.sampled_from([0, data.MANY_HIGH_SEVERITY - 1, data.MANY_HIGH_SEVERITY]),
    st.sampled_from(["none", "none", "pending", "failed", "no analysis"]),
)


def _store_patients(s: Store, figures: list[tuple], prefix: str = "P-") -> list[str]:
    ids = []
    for i, (last, worse, high, queue) in enumerate(figures):
        pid = f"{prefix}{i:03d}"
        ids.append(pid)
        s.add_patient(pid)
        if queue != "no analysis":
            s.save_refresh(pid, None, {
                "first_utc": None if last is None else NOW + last - 86400,
                "last_utc": None if last is None else NOW + last,
                "last_sync_utc": NOW - 10, "wear_min_7d": 600.0, "high_severity_7d": high,
                "sleep_worse": None if worse is None else bool(worse)}, "{}", {},
                method_id())  # results of this version's analysis
        if queue in ("pending", "failed"):
            s.queue_full([pid])
        if queue == "failed":
            s.refresh_failed(pid, "boom")
    return ids


def _flagged(row: dict) -> bool:
    return bool(row["flags"]) or row["analysis_status"] == "failed"


def _walk(s: Store, user: User, limit: int, search: str = "") -> tuple[list[dict], int, int]:
    rows: list[dict] = []
    first = data.patient_page(s, user, NOW, search=search, limit=limit)
    offset = 0
    while True:
        page = data.patient_page(s, user, NOW, search=search, limit=limit, offset=offset)
        assert (page.total, page.flagged) == (first.total, first.flagged)
        assert len(page.rows) == min(limit, max(0, page.total - offset))
        if not page.rows:
            return rows, first.total, first.flagged
        rows += page.rows
        offset += limit


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(figures=st.lists(FIGURES, min_size=0, max_size=23), limit=st.integers(1, 9))
def test_pages_list_everyone_once_flagged_first(db_location, figures, limit):
    with Store(db_location) as s:
        for (pid,) in s.conn.execute("SELECT patient_id FROM patients").fetchall():
            s.conn.execute("DELETE FROM refresh_queue WHERE patient_id=?", (pid,))
            s.conn.execute("DELETE FROM patient_analysis WHERE patient_id=?", (pid,))
            s.conn.execute("DELETE FROM patient_rolling WHERE patient_id=?", (pid,))
            s.conn.execute("DELETE FROM patients WHERE patient_id=?", (pid,))
        s.conn.commit()
        ids = _store_patients(s, figures)
        rows, total, flagged = _walk(s, ADMIN, limit)
    assert [r["patient_id"] for r in rows] != [] or ids == []
    assert sorted(r["patient_id"] for r in rows) == ids  # each exactly once
    assert total == len(ids) and flagged == sum(map(_flagged, rows))
    ranks = [0 if _flagged(r) else 1 for r in rows]
    assert ranks == sorted(ranks)  # the SQL order agrees with the flags shown
    for rank in (0, 1):
        group = [r["patient_id"] for r, k in zip(rows, ranks, strict=True) if k == rank]
        assert group == sorted(group)


def test_search_and_assignments(db_location):
    with Store(db_location) as s:
        ids = _store_patients(s, [(0, 0, 0, "none")] * 12)
        s.add_patient("Q_X1")
        s.add_patient("QAX2")  # `_` in a search is a character, not a wildcard
        users = Users(s.conn)
        users.add("dr.a", "clinician", PW)
        for pid in ("P-003", "P-010", "Q_X1"):
            users.assign("dr.a", pid)
        dr = users.get("dr.a")
        assert [r["patient_id"] for r in _walk(s, ADMIN, 5, "p-01")[0]] == ["P-010", "P-011"]
        assert [r["patient_id"] for r in _walk(s, ADMIN, 5, "q_x")[0]] == ["Q_X1"]
        assert [r["patient_id"] for r in _walk(s, ADMIN, 5, "%")[0]] == []
        assert [r["patient_id"] for r in _walk(s, dr, 2, "")[0]] == ["Q_X1", "P-003", "P-010"]
        assert _walk(s, dr, 2, "p-0")[1:] == (2, 0)
        assert _walk(s, ADMIN, 100)[1] == len(ids) + 2


@pytest.fixture
def client(db_location):
    with Store(db_location) as s:
        # 2 flagged (data gap) among 120: the first page starts with them
        _store_patients(s, [(0, 0, 0, "none")] * 118)
        _store_patients(s, [(None, None, 0, "none")] * 2, prefix="Z-")
        Users(s.conn).add("root", "admin", PW)
    c = TestClient(create_app(db_location, secret="s" * 40), follow_redirects=False)
    page = c.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    assert c.post("/login", data={"username": "root", "password": PW,
                                  "csrf_token": csrf}).status_code == 303
    return c


def _listed(html: str) -> list[str]:
    return re.findall(r'<tr data-patient="([^"]+)"', html)


def test_list_page_pages_and_searches(client):
    first = client.get("/")
    assert first.status_code == 200
    ids = _listed(first.text)
    assert len(ids) == data.PAGE_SIZE and ids[:3] == ["Z-000", "Z-001", "P-000"]
    assert "120 patients, 2 flagged (listed first)" in first.text
    assert 'aria-current="page" aria-label="Page 1"' in first.text
    assert 'href="?page=2" rel="next"' in first.text and 'rel="prev"' not in first.text
    last = client.get("/?page=3")
    assert _listed(last.text) == [f"P-{i:03d}" for i in range(98, 118)]
    assert 'rel="next"' not in last.text and 'href="?page=2" rel="prev"' in last.text
    assert _listed(client.get("/?page=9").text) == []
    found = client.get("/", params={"q": "p-11"})
    assert _listed(found.text) == [f"P-{i:03d}" for i in range(110, 118)]
    assert "8 patients with “p-11” in the ID" in found.text
    assert "No patient ID contains “nobody”" in client.get("/?q=nobody").text
    assert client.get("/?page=0").status_code == 422
    assert client.get(f"/?page={data.MAX_OFFSET // data.PAGE_SIZE}").status_code == 200
    assert client.get(f"/?page={2**63}").status_code == 422  # not a 500 from the database
    assert client.get("/?q=" + "x" * 65).status_code == 422


def test_api_pages_with_headers(client):
    r = client.get("/api/patients")
    assert r.status_code == 200 and len(r.json()) == data.API_LIMIT
    assert r.headers["x-total-count"] == "120" and r.headers["x-flagged-count"] == "2"
    assert [x["patient_id"] for x in r.json()[:2]] == ["Z-000", "Z-001"]
    assert 'offset=100>; rel="next"' in r.headers["link"] and "prev" not in r.headers["link"]
    rest = client.get("/api/patients", params={"offset": 100})
    assert len(rest.json()) == 20 and 'rel="prev"' in rest.headers["link"]
    everyone = client.get("/api/patients", params={"limit": 1000}).json()
    assert len({x["patient_id"] for x in everyone}) == 120 and "link" not in client.get(
        "/api/patients", params={"limit": 1000}).headers
    assert [x["patient_id"] for x in client.get(
        "/api/patients", params={"q": "z-"}).json()] == ["Z-000", "Z-001"]
    assert client.get("/api/patients", params={"offset": data.MAX_OFFSET}).json() == []
    for bad in ({"limit": 0}, {"limit": 1001}, {"offset": -1}, {"offset": 2**63}):
        assert client.get("/api/patients", params=bad).status_code == 422


def test_list_reads_stay_fast_in_shape_at_ten_thousand(tmp_path):
    """10,000 patients: one page is 50 rows and two queries, whatever the clinic's size
    (the timing is in bench/dashboard_bench.py; here only that nothing reads them all)."""
    with Store(tmp_path / "w.db") as s:
        with s.transaction() as c:
            c.executemany("INSERT INTO patients (patient_id, tz) VALUES (?, 'UTC')",
                          [(f"P-{i:05d}",) for i in range(10_000)])
        calls: list[str] = []
        s.conn.set_trace_callback(calls.append)
        page = data.patient_page(s, ADMIN, NOW, offset=9_980)
        s.conn.set_trace_callback(None)
    assert len(page.rows) == 20 and page.total == 10_000 and page.flagged == 10_000
    assert len([c for c in calls if c.lstrip().upper().startswith("SELECT")]) == 2
