"""The wearer app's pages on real analysed data: plain-language nights from the stored
figures, topics, the diary, correcting a night (and undoing it), sharing with a live
clinic server, and the zip of CSVs."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile

import pytest
from fastapi.testclient import TestClient

from wearlog.accounts import Users, create_token
from wearlog.app import WearerSettings, create_wearer_app
from wearlog.app.main import hours
from wearlog.education.topics import load_topics
from wearlog.export.csv_tables import TABLES
from wearlog.pipeline import refresh
from wearlog.store import Store
from wearlog.testing.epochs import make_wearer
from wearlog.web import create_app
from wearlog.web.live import live_server
from wlproto.const import EV_BED, EV_UP

BASE = "http://127.0.0.1:8700"
PID, DEV = "P-0042", 7
# The recording ends today (UTC), so the diary's "today" falls in the clinician's range.
START = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=20)
NIGHT = (START + dt.timedelta(days=5)).isoformat()
MORNING = (START + dt.timedelta(days=6)).isoformat()
PW = "correct horse battery staple"


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    """20 analysed days of a synthetic wearer (the real analysis, not sample rows)."""
    db = tmp_path_factory.mktemp("app") / "wearer.db"
    with Store(db) as s:
        s.add_patient(PID, "UTC")
        s.add_device(DEV, PID)
        s.ingest(DEV, make_wearer(20, start=START, seed=3, symptom_days=(4, 15)).records)
        assert all(r.ok for r in refresh(s))
    return db


@pytest.fixture
def db(recorded, tmp_path):
    """A copy per test: tests change diary and corrections."""
    out = tmp_path / "wearer.db"
    with Store(recorded) as s:
        s.backup(out)
    return out


def client(db) -> TestClient:
    app = create_wearer_app(WearerSettings(db))
    c = TestClient(app, base_url=BASE)
    assert c.get(app.state.settings.key.first_url(BASE), follow_redirects=False
                 ).status_code == 303
    c.csrf = app.state.settings.key.csrf  # type: ignore[attr-defined]
    return c


def test_nights_are_the_stored_figures_in_plain_words(db):
    c = client(db)
    page = c.get("/?days=30").text
    with Store(db) as s:
        import json

        from wearlog.pipeline import figures
        body = figures.summary_for(s, PID, 30)
        summary = json.loads(body) if isinstance(body, bytes) else body
    assert f'id="mean-sleep">{hours(summary["means"]["tst_min"])}<' in page
    assert "Time awake in the night" in page and "WASO" not in page
    assert " h " in hours(summary["means"]["tst_min"])  # hours, not minutes
    for n in summary["nights"]:
        assert f'href="/nights/{n["night"]}"' in page
    assert "Talk with your clinician" in page and "not medical advice" in page
    assert c.get("/?days=7").status_code == 422


def test_a_topic_opens_in_full_in_the_wearer_wording_with_the_note(db):
    c = client(db)
    topic = next(t for t in load_topics().values() if t.for_audience("wearer"))
    page = c.get(f"/topics/{topic.id}").text
    assert f"<h1>{topic.title}</h1>" in page.replace("&#39;", "'")
    assert "clinician" in page.lower() and "educational" in page.lower()
    assert c.get("/topics/no-such-topic").status_code == 404


def _diary(c, day="", **over):
    data = {"csrf_token": c.csrf, "day": day, "pain": "6", "fatigue": "7",
            "sleep_quality": "3", "mood": "5", "stiffness_min": "30", "note": "stiff hands"}
    return c.post("/diary", data={**data, **over}, follow_redirects=False)


def test_diary_saves_today_and_is_editable_for_seven_days_only(db):
    c = client(db)
    assert "Fill in today" in c.get("/").text
    r = _diary(c)
    assert r.status_code == 303 and "saved=1" in r.headers["location"]
    today = dt.datetime.now(dt.UTC).date()
    with Store(db) as s:
        [e] = s.diary_between(PID)
    assert (e["day"], e["pain"], e["fatigue"], e["sleep_quality"], e["mood"],
            e["stiffness_min"], e["note"]) == (today.isoformat(), 6, 7, 3, 5, 30, "stiff hands")
    assert "Fill in today" not in c.get("/").text
    six = (today - dt.timedelta(days=6)).isoformat()
    assert _diary(c, day=six, pain="2", stiffness_min="").status_code == 303
    assert _diary(c, day=today.isoformat(), pain="1").status_code == 303  # an edit
    with Store(db) as s:
        rows = {e["day"]: e for e in s.diary_between(PID)}
    assert rows[six]["pain"] == 2 and rows[six]["stiffness_min"] is None
    assert rows[today.isoformat()]["pain"] == 1 and len(rows) == 2
    page = c.get(f"/diary?day={six}").text
    assert 'id="pain-2" name="pain" value="2" required checked' in page
    eight = (today - dt.timedelta(days=7)).isoformat()
    r = _diary(c, day=eight)
    assert r.status_code == 422 and "last 7 days" in r.text
    assert _diary(c, pain="11").status_code == 422
    assert _diary(c, stiffness_min="lots").status_code == 422
    with Store(db) as s:
        assert len(s.diary_between(PID)) == 2


def test_correcting_a_night_changes_its_figures_keeps_the_records_and_can_be_undone(db):
    c = client(db)
    with Store(db) as s:
        nights = [n for n in s.nights_between(PID, "0000", "9999") if n["tst_min"]]
        events_before = s.counts()["events"]
    night = nights[5]
    before = (night["onset_utc"], night["offset_utc"], night["tib_min"], night["tst_min"])
    r = c.post(f"/nights/{night['night']}/correct",
               data={"csrf_token": c.csrf, "bed": "21:30", "up": "09:15"},
               follow_redirects=False)
    assert r.status_code == 303
    page = c.get(r.headers["location"]).text
    assert "You corrected this night" in page and "21:30" in page and "09:15" in page
    d = dt.date.fromisoformat(night["night"])
    bed = int(dt.datetime.combine(d, dt.time(21, 30), tzinfo=dt.UTC).timestamp())
    up = int(dt.datetime.combine(d + dt.timedelta(days=1), dt.time(9, 15),
                                 tzinfo=dt.UTC).timestamp())
    with Store(db) as s:
        [row] = s.nights_between(PID, night["night"], night["night"])
        assert (row["onset_utc"], row["offset_utc"]) == (bed, up)
        assert row["tib_min"] == pytest.approx((up - bed) / 60)
        assert row["source"] == "markers"
        assert (row["onset_utc"], row["offset_utc"], row["tib_min"]) != before[:3]
        assert s.counts()["events"] == events_before  # no device record written
        assert s.patient_events(PID, (EV_BED, EV_UP)) == []
        assert [c_["night"] for c_ in s.corrections_of(PID)] == [night["night"]]
    assert "corrected by you" in c.get("/?days=30").text
    r = c.post(f"/nights/{night['night']}/undo", data={"csrf_token": c.csrf},
               follow_redirects=False)
    assert r.status_code == 303
    with Store(db) as s:
        [row] = s.nights_between(PID, night["night"], night["night"])
        assert (row["onset_utc"], row["offset_utc"], row["tib_min"], row["tst_min"]) == before
        assert s.corrections_of(PID) == []
        assert s.corrections_of(PID, with_removed=True)[0]["removed"] == 1


def test_a_correction_out_of_the_night_is_refused(db):
    c = client(db)
    for bed, up in (("07:00", "06:00"), ("25:00", "07:00"), ("13:00", "12:30")):
        r = c.post(f"/nights/{NIGHT}/correct",
                   data={"csrf_token": c.csrf, "bed": bed, "up": up})
        assert r.status_code == 422, (bed, up)
    with Store(db) as s:
        assert s.corrections_of(PID, with_removed=True) == []


def test_share_uploads_records_diary_and_correction_to_a_live_clinic(db, tmp_path):
    server = tmp_path / "clinic.db"
    with Store(server) as s:
        s.add_patient(PID, "UTC")
        s.add_device(DEV, PID)
        token = create_token(s.conn, DEV, "home")
        Users(s.conn).add("dr.a", "clinician", PW)
        Users(s.conn).assign("dr.a", PID)
    c = client(db)
    yesterday = (dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)).isoformat()
    assert _diary(c, day=yesterday).status_code == 303  # the recording's last day
    c.post(f"/nights/{NIGHT}/correct", data={"csrf_token": c.csrf, "bed": "22:00",
                                                "up": "06:30"})
    clinic = create_app(server, secret="s" * 40)
    with live_server(clinic) as url:
        r = c.post("/share/upload", data={"csrf_token": c.csrf, "url": url, "token": token})
        assert r.status_code == 200, r.text
        assert "1 diary entries" not in r.text  # the count is of both kinds
        assert "2 diary entries and night corrections" in r.text
        again = c.post("/share/upload", data={"csrf_token": c.csrf, "url": url,
                                              "token": token})
        assert again.status_code == 200 and "0 new at the clinic" in again.text
        bad = c.post("/share/upload", data={"csrf_token": c.csrf, "url": url,
                                            "token": "wlt_wrong"})
        assert bad.status_code == 502 and "try again later" in bad.text
    with Store(server) as s:
        assert len(s.diary_between(PID)) == 1
        [corr] = s.corrections_of(PID)
        [row] = s.nights_between(PID, NIGHT, NIGHT)
        assert (row["onset_utc"], row["offset_utc"]) == (corr["bed_utc"], corr["up_utc"])
    doc = TestClient(clinic, follow_redirects=False)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', doc.get("/login").text).group(1)
    doc.post("/login", data={"username": "dr.a", "password": PW, "csrf_token": csrf})
    page = doc.get(f"/patients/{PID}?days=90").text
    assert 'id="wearer-entries"' in page and "stiff hands" in page
    assert f"corrected</span> bed {NIGHT} 22:00, up {MORNING} 06:30" in page
    api = doc.get(f"/api/patients/{PID}/wearer?days=90").json()
    assert [c_["night"] for c_ in api["corrections"]] == [NIGHT]


def test_export_zip_holds_every_table_as_csv(db):
    c = client(db)
    _diary(c)
    r = c.get("/share/export.zip")
    assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
    z = zipfile.ZipFile(io.BytesIO(r.content))
    assert sorted(z.namelist()) == sorted(f"{PID}-{t}.csv" for t in TABLES)
    diary = z.read(f"{PID}-diary_entries.csv").decode().splitlines()
    assert len(diary) == 2 and "stiff hands" in diary[1]
    with Store(db) as s:
        assert len(z.read(f"{PID}-epochs.csv").decode().splitlines()) == s.counts()["epochs"] + 1


def test_requests_share_pooled_handles_and_see_other_programs_writes(db):
    """The app keeps its database handles open for the next request (as the dashboard
    does) instead of opening one per request. A kept handle still reads what another
    program wrote meanwhile (the sync, a CLI), and what the app writes is committed for
    them; the handles are closed when the app stops."""
    app = create_wearer_app(WearerSettings(db))
    today = dt.datetime.now(dt.UTC).date()
    with TestClient(app, base_url=BASE) as c:
        c.get(app.state.settings.key.first_url(BASE), follow_redirects=False)
        c.csrf = app.state.settings.key.csrf  # type: ignore[attr-defined]
        assert "Fill in today" in c.get("/").text
        with Store(db) as other:
            other.save_diary(PID, [{"day": today.isoformat(), "pain": 4, "fatigue": 4,
                                    "sleep_quality": 4, "mood": 4,
                                    "updated_utc": int(dt.datetime.now(dt.UTC).timestamp())}])
        assert "Fill in today" not in c.get("/").text  # the kept handle sees it
        six = (today - dt.timedelta(days=6)).isoformat()
        assert _diary(c, day=six, pain="2").status_code == 303
        with Store(db) as other:  # the app's write, committed for other programs
            assert {e["day"]: e["pain"] for e in other.diary_between(PID)}[six] == 2
        pool = app.state.stores
        assert pool.opened == 1 and pool.idle() == 1  # one handle, lent and given back
    assert pool.idle() == 0  # closed when the app stopped
