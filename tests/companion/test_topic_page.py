"""Topic titles on the patient page link to the topic, shown in full with the disclaimer."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from wearlog.accounts import Users
from wearlog.pipeline.refresh import rebuild_figures
from wearlog.store import Store
from wearlog.testing.database import make_patient
from wearlog.web import create_app

PW = "correct horse battery staple"


def test_linked_topic_titles_open_the_topic(tmp_path):
    db = tmp_path / "w.db"
    with Store(db) as s:
        make_patient(s, "P-1", 1, 20, seed=3)
        s.conn.execute("UPDATE nights SET se_pct = 70 WHERE patient_id='P-1'")  # poor sleep
        rebuild_figures(s, "P-1")
        Users(s.conn).add("root", "admin", PW)
    c = TestClient(create_app(db, secret="t" * 40), follow_redirects=False)
    assert c.get("/topics/personalised-care").status_code == 303  # sign in first
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text).group(1)
    c.post("/login", data={"username": "root", "password": PW, "csrf_token": csrf})
    page = c.get("/patients/P-1").text
    links = re.findall(r'<a href="/topics/([a-z0-9-]+)"><strong>([^<]+)</strong>', page)
    assert links, "the low-efficiency nights link at least one topic"
    topic_id, title = links[0]
    t = c.get(f"/topics/{topic_id}")
    assert t.status_code == 200
    assert f"<h1>{title}</h1>" in t.text
    assert t.text.count("Educational, not medical advice.") == 2
    assert "1 days" not in page and "1 nights" not in page
    assert c.get("/topics/no-such-topic").status_code == 404
