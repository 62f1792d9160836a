"""Home-sync upload: token scope, idempotency, limits, validation, all-or-nothing, the client."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wearlog.accounts import create_token, revoke_token
from wearlog.export.errors import UploadAuthError, UploadRejectedError, UploadUnreachableError
from wearlog.export.upload import upload
from wearlog.store import Store, StoreError
from wearlog.web import create_app
from wearlog.web.live import live_server
from wlproto.const import EV_BATTERY, EV_SYMPTOM, FLAG_ALL
from wlproto.records import Epoch, Event

T0 = 1_795_000_000


@pytest.fixture
def server_db(db_location, monkeypatch):
    """The clinic server's database, on each backend (SQLite file, PostgreSQL server)."""
    if isinstance(db_location, Path):
        monkeypatch.delenv("WEARLOG_SECRET_KEY", raising=False)
    else:  # several server processes share one secret
        monkeypatch.setenv("WEARLOG_SECRET_KEY", "k" * 48)
    db = db_location
    with Store(db) as s:
        s.add_patient("P-A")
        s.add_patient("P-B")
        s.add_device(1, "P-A")
        s.add_device(2, "P-B")
        token = create_token(s.conn, 1, "home")
    return db, token


def table_rows(db, table: str) -> list[tuple]:
    with Store.reader(db) as s:
        cols = ("device_id, seq, time, flags, enmo_dmg, steps" if table == "epochs"
                else "device_id, seq, time, etype, value, arg, aux")
        return s.conn.execute(f"SELECT {cols} FROM {table} ORDER BY device_id, seq").fetchall()


def epochs_json(n: int, first: int = 0) -> list[dict]:
    return [{"seq": first + i, "time": T0 + 30 * (first + i), "enmo_dmg": i % 500,
             "steps": i % 50} for i in range(n)]


def post(app, token, body, **kw):
    return TestClient(app).post("/api/upload", json=body,
                                headers={"Authorization": f"Bearer {token}"}, **kw)


def test_upload_stores_records_once(server_db):
    db, token = server_db
    app = create_app(db)
    body = {"device_id": 1, "epochs": epochs_json(100),
            "events": [{"seq": 100, "time": T0 + 3000, "etype": EV_SYMPTOM, "value": 4}]}
    r = post(app, token, body)
    assert r.status_code == 200, r.text
    assert r.json() == {"device_id": 1, "received": 101, "new": 101, "last_seq": 100,
                        "analysis": "ok"}
    again = post(app, token, body)
    assert again.json()["new"] == 0
    assert len(table_rows(db, "epochs")) == 100
    assert table_rows(db, "events") == [(1, 100, T0 + 3000, EV_SYMPTOM, 4, 0, 0)]
    with Store(db) as s:
        syncs = s.conn.execute("SELECT status, records_new FROM syncs").fetchall()
    assert syncs == [("ok", 101)]  # the duplicate upload adds no sync row


def test_partly_known_batch_adds_only_the_new(server_db):
    db, token = server_db
    app = create_app(db)
    post(app, token, {"device_id": 1, "epochs": epochs_json(50)})
    r = post(app, token, {"device_id": 1, "epochs": epochs_json(80)})
    assert r.json()["new"] == 30
    assert [row[1] for row in table_rows(db, "epochs")] == list(range(80))


def test_already_stored_rows_are_never_overwritten(server_db):
    db, token = server_db
    app = create_app(db)
    post(app, token, {"device_id": 1, "epochs": epochs_json(3)})
    changed = epochs_json(3)
    changed[1]["enmo_dmg"] = 9999
    assert post(app, token, {"device_id": 1, "epochs": changed}).json()["new"] == 0
    assert table_rows(db, "epochs")[1][4] == 1


@pytest.mark.parametrize(("record", "where"), [
    ({"seq": 1, "time": T0, "zangle_deg": 91}, "zangle_deg"),
    ({"seq": 1, "time": T0, "steps": 256}, "steps"),
    ({"seq": -1, "time": T0}, "seq"),
    ({"seq": 1, "time": T0, "flags": 64}, "flags"),
    ({"seq": 1, "time": T0, "colour": "red"}, "colour"),
    ({"seq": 1}, "time"),
    # strict: no coercion of strings, booleans or floats into integers (issue 14.16)
    ({"seq": "1", "time": T0}, "seq"),
    ({"seq": True, "time": T0}, "seq"),
    ({"seq": 1.0, "time": T0}, "seq"),
    ({"seq": 1, "time": float(T0)}, "time"),
    ({"seq": 1, "time": T0, "steps": "3"}, "steps"),
    # bit 0x20 is inside the 6-bit flags field but reserved by wlproto (FLAG_ALL)
    ({"seq": 1, "time": T0, "flags": 0x20}, "flags"),
])
def test_invalid_epoch_rejects_whole_batch(server_db, record, where):
    db, token = server_db
    app = create_app(db)
    r = post(app, token, {"device_id": 1, "epochs": [*epochs_json(10), record]})
    assert r.status_code == 422
    assert any(where in ".".join(map(str, e["loc"])) for e in r.json()["detail"]), r.json()
    assert table_rows(db, "epochs") == []  # nothing of the batch was written


def test_symptom_severity_out_of_range_is_rejected(server_db):
    db, token = server_db
    r = post(create_app(db), token, {"device_id": 1, "events": [
        {"seq": 1, "time": T0, "etype": EV_SYMPTOM, "value": 9}]})
    assert r.status_code == 422
    assert "severity" in str(r.json()["detail"])
    ok = post(create_app(db), token, {"device_id": 1, "events": [
        {"seq": 1, "time": T0, "etype": EV_BATTERY, "value": 90, "aux": 3900}]})
    assert ok.status_code == 200


def test_duplicate_seq_in_one_batch_is_rejected(server_db):
    db, token = server_db
    r = post(create_app(db), token, {"device_id": 1, "epochs": epochs_json(2) + epochs_json(1)})
    assert r.status_code == 422
    assert table_rows(db, "epochs") == []


def test_missing_and_malformed_tokens(server_db):
    db, token = server_db
    app = create_app(db)
    c = TestClient(app)
    body = {"device_id": 1, "epochs": epochs_json(1)}
    assert c.post("/api/upload", json=body).status_code == 401
    for bad in ("nonsense", "wlt_abc", token[:-3] + "xyz", "wlt_" + "0" * 12 + "_secret"):
        r = c.post("/api/upload", json=body, headers={"Authorization": f"Bearer {bad}"})
        assert r.status_code == 401, bad
        assert r.headers["www-authenticate"] == "Bearer"
    assert table_rows(db, "epochs") == []


def test_token_checked_before_body(server_db):
    """An anonymous caller learns nothing about the schema from validation errors."""
    db, _ = server_db
    r = TestClient(create_app(db)).post("/api/upload", json={"nonsense": True},
                                        headers={"Authorization": "Bearer wlt_x_y"})
    assert r.status_code == 401


def test_body_is_not_read_before_the_token_is_checked(server_db):
    """An anonymous caller must not make the server read (and parse) a large body."""
    db, _ = server_db
    app = create_app(db)
    sent = []

    def body():
        for _ in range(64):
            sent.append(1)
            yield b"x" * 1024

    for auth in ({}, {"Authorization": "Bearer wlt_x_y"}):
        sent.clear()
        r = TestClient(app).post("/api/upload", content=body(),
                                 headers={"content-type": "application/json", **auth})
        assert r.status_code == 401
        assert sent == [], "the body was read before the token was refused"


def test_body_over_the_limit_is_refused_with_413(server_db):
    db, token = server_db
    app = create_app(db, max_upload_bytes=20_000)
    r = post(app, token, {"device_id": 1, "epochs": epochs_json(1000)})
    assert r.status_code == 413
    assert "smaller batches" in r.json()["detail"]
    assert table_rows(db, "epochs") == []


def test_chunked_body_over_the_limit_is_refused(server_db):
    db, token = server_db
    app = create_app(db, max_upload_bytes=20_000)
    payload = b'{"device_id": 1, "epochs": [' + b",".join(
        b'{"seq": %d, "time": %d}' % (i, T0 + i) for i in range(2000)) + b"]}"

    def chunks():
        for i in range(0, len(payload), 4096):
            yield payload[i:i + 4096]

    r = TestClient(app).post("/api/upload", content=chunks(), headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    assert r.status_code == 413
    assert table_rows(db, "epochs") == []


def test_reassigned_device_refuses_old_token(server_db):
    db, token = server_db
    handover = T0 + 30 * 10  # P-A wore device 1 until record 10, then P-B
    with Store(db) as s:
        s.assign_device(1, "P-B", at_utc=handover)
        token_b = create_token(s.conn, 1, "P-B home")
    app = create_app(db)
    # P-A's token: records after the hand-over are refused, all or nothing
    r = post(app, token, {"device_id": 1, "epochs": epochs_json(12)})
    assert r.status_code == 409 and "P-A" not in r.text
    assert table_rows(db, "epochs") == []
    # ... and P-A's late records from before it are still P-A's
    assert post(app, token, {"device_id": 1, "epochs": epochs_json(10)}).status_code == 200
    # P-B's token may not file records under P-A's time with the device
    assert post(app, token_b, {"device_id": 1, "epochs": epochs_json(12)}).status_code == 409
    assert post(app, token_b, {"device_id": 1, "epochs": epochs_json(5, first=10)}
                ).status_code == 200
    with Store(db) as s:
        assert s.filed_counts("P-A")["epochs"] == 10 and s.filed_counts("P-B")["epochs"] == 5


def test_upload_is_audited_with_the_token_not_a_secret(server_db):
    db, token = server_db
    post(create_app(db), token, {"device_id": 1, "epochs": epochs_json(5)})
    with Store.reader(db) as s:
        actor, action, pid, detail = s.conn.execute(
            "SELECT actor, action, patient_id, detail FROM audit_log").fetchone()
        stored = s.conn.execute("SELECT token_hash FROM device_tokens").fetchone()[0]
    token_id, secret = token[4:].split("_", 1)
    assert (actor, action, pid) == (f"token:{token_id}", "upload", "P-A")
    assert "5 new" in detail
    assert secret not in stored and len(stored) == 64


# --- the client, against a real server over HTTP ---------------------------------
@pytest.fixture
def home_store(tmp_path):
    s = Store(tmp_path / "home.db")
    s.add_patient("home")
    s.add_device(1, "home")
    recs: list[Epoch | Event] = [Epoch(i, T0 + 30 * i, 0, i % 700, 3, 0, 0, i % 9, 50)
                                 for i in range(12_000)]
    recs.append(Event(12_000, T0 + 30 * 12_000, EV_SYMPTOM, 3))
    s.ingest(1, recs)
    yield s
    s.close()


def test_client_uploads_in_batches_and_is_idempotent(server_db, home_store):
    db, token = server_db
    with live_server(create_app(db)) as url:
        first = upload(url, token, home_store, 1, batch_records=5000)
        assert (first.sent, first.new, first.batches, first.last_seq) == (12_001, 12_001, 3, 12_000)
        again = upload(url, token, str(home_store.path), 1)
        assert (again.sent, again.new) == (12_001, 0)
        tail = upload(url, token, home_store, 1, since_seq=11_990)
        assert (tail.sent, tail.new) == (11, 0)
    assert len(table_rows(db, "epochs")) == 12_000
    assert table_rows(db, "events") == [(1, 12_000, T0 + 360_000, EV_SYMPTOM, 3, 0, 0)]


def test_client_errors_are_specific(server_db, home_store):
    db, token = server_db
    with Store(db) as s:
        other = create_token(s.conn, 2)
    with live_server(create_app(db, max_upload_bytes=50_000)) as url:
        with pytest.raises(UploadAuthError) as e:
            upload(url, other, home_store, 1, batch_records=100)
        assert e.value.status == 403 and "device 2" in str(e.value)
        with pytest.raises(UploadRejectedError) as e:
            upload(url, token, home_store, 1, batch_records=5000)
        assert e.value.status == 413
        with Store(db) as s:
            revoke_token(s.conn, token)
        with pytest.raises(UploadAuthError, match="revoked"):
            upload(url, token, home_store, 1, batch_records=100)
    with pytest.raises(UploadUnreachableError):
        upload(url, token, home_store, 1, timeout_s=2)
    assert table_rows(db, "epochs") == []


_epoch = st.builds(
    dict, seq=st.integers(0, 2**32 - 1), time=st.integers(0, 2**32 - 1),
    flags=st.integers(0, FLAG_ALL), enmo_dmg=st.integers(0, 65535), zangle_deg=st.integers(-90, 90),
    steps=st.integers(0, 255), temp_hc=st.integers(-128, 127),
)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(batches=st.lists(st.lists(_epoch, max_size=30), min_size=1, max_size=4))
def test_any_valid_batches_store_each_seq_exactly_once(server_db, batches):
    db, token = server_db
    app = create_app(db)
    with Store(db) as s, s.transaction() as c:
        c.execute("DELETE FROM epochs")
    expected: dict[int, dict] = {}
    for batch in batches:
        uniq = list({r["seq"]: r for r in batch}.values())
        r = post(app, token, {"device_id": 1, "epochs": uniq})
        assert r.status_code == 200, r.text
        fresh = [e for e in uniq if e["seq"] not in expected]
        assert r.json()["new"] == len(fresh)
        for e in fresh:
            expected[e["seq"]] = e
    rows = table_rows(db, "epochs")
    assert [row[1] for row in rows] == sorted(expected)
    assert all(row[2] == expected[row[1]]["time"] for row in rows)


@pytest.mark.parametrize("day", ["0000-00-00", "2026-02-30"])
def test_a_diary_day_that_is_no_date_is_refused_like_any_bad_field(server_db, day):
    """The pattern YYYY-MM-DD lets '0000-00-00' through; the model refuses it with the
    schema's own 422 (a list of errors naming the field), and nothing is stored (the fuzz
    test found a bare-string 422 here)."""
    db, token = server_db
    entry = {"day": day, "pain": 3, "fatigue": 4, "sleep_quality": 5, "mood": 6,
             "updated_utc": 1}
    r = post(create_app(db), token, {"device_id": 1, "epochs": [], "diary": [entry]})
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    assert isinstance(detail, list) and "day" in detail[0]["loc"], detail
    with Store.reader(db) as s:
        assert s.conn.execute("SELECT COUNT(*) FROM diary_entries").fetchone()[0] == 0


def test_an_upload_at_another_epoch_length_is_refused_before_anything_is_stored(server_db):
    """The clinic enrolled device 1 at 30-s epochs; a wearer's computer that paired it at
    60 s says so, and nothing is stored under the wrong length."""
    db, token = server_db
    app = create_app(db)
    r = post(app, token, {"device_id": 1, "epoch_s": 60, "epochs": epochs_json(10)})
    assert r.status_code == 409, r.text
    assert "60-s epochs" in r.json()["detail"] and "--epoch-s 60" in r.json()["detail"]
    assert table_rows(db, "epochs") == []
    r = post(app, token, {"device_id": 1, "epoch_s": 30, "epochs": epochs_json(10)})
    assert r.status_code == 200 and r.json()["new"] == 10


def test_the_client_sends_the_epoch_length_the_device_reported(server_db, tmp_path):
    db, token = server_db
    with Store(tmp_path / "home60.db") as home:
        home.add_patient("home")
        home.add_device(1, "home", epoch_s=60)
        home.ingest(1, [Epoch(i, T0 + 60 * i, 0, 5, 3, 0, 0, 1, 50) for i in range(20)])
        with live_server(create_app(db)) as url, pytest.raises(UploadRejectedError) as e:
            upload(url, token, home, 1)
    assert e.value.status == 409 and "60-s epochs" in str(e.value)
    assert table_rows(db, "epochs") == []


def test_the_enrolled_epoch_length_can_change_only_before_records_arrive(server_db):
    db, _token = server_db
    with Store(db) as s:
        s.set_device_epoch_s(1, 60)
        assert s.device(1)["epoch_s"] == 60
        s.ingest(1, [Epoch(0, T0, 0, 5, 3, 0, 0, 1, 50)])
        with pytest.raises(StoreError, match="cannot change now"):
            s.set_device_epoch_s(1, 30)
        assert s.device(1)["epoch_s"] == 60


def test_a_correction_with_up_before_bed_is_refused_as_the_model_refuses_any_field(server_db):
    """Found by the API fuzz: the window check answered a bare-string 422, outside the
    documented validation-error shape. Now the model refuses it, and nothing is stored."""
    db, token = server_db
    app = create_app(db)
    body = {"device_id": 1, "epochs": epochs_json(3), "corrections": [
        {"removed": 0, "bed_utc": 221209, "night": "8064-12-22", "up_utc": 0,
         "updated_utc": 6989016}]}
    r = post(app, token, body)
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    assert isinstance(detail, list) and "'got up' must come after" in detail[0]["msg"]
    assert table_rows(db, "epochs") == []
