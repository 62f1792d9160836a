"""A non-editable install runs the demo: build the wheel, install it into a clean venv,
run `wearlog demo --no-serve` from outside the checkout and find the firmware and the
educational content inside the installed package (issue 18, item 4)."""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# What the wheel is built from: everything setup.py maps in, nothing else.
SOURCES = ("pyproject.toml", "setup.py", "README.md", "LICENSE", "companion", "shared",
           "firmware")

pytestmark = pytest.mark.slow


def _run(cmd: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    r = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, f"{cmd[:4]}: {r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    return r


def test_wheel_in_a_clean_venv_runs_the_demo(tmp_path: Path) -> None:
    # A copy of the sources, so the build's build/ and egg-info never land in the checkout.
    src = tmp_path / "src"
    src.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build")
    for name in SOURCES:
        p = ROOT / name
        if p.is_dir():
            shutil.copytree(p, src / name, ignore=ignore)
        else:
            shutil.copy2(p, src / name)
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "WEARLOG_CONTENT_DIR", "VIRTUAL_ENV")}
    pip = [sys.executable, "-m", "pip"]
    dist = tmp_path / "dist"
    _run(pip + ["wheel", "--no-deps", "--quiet", "-w", str(dist), str(src)], tmp_path, env)
    wheel = next(dist.glob("wearlog-*.whl"))

    clean = tmp_path / "venv"
    venv.create(clean, with_pip=False)  # pip below runs from this interpreter, --python
    py = clean / "bin" / "python"
    _run(pip + ["--python", str(py), "install", "--quiet", str(wheel)], tmp_path, env)
    shutil.rmtree(src)  # nothing may still point at the sources

    work = tmp_path / "elsewhere"
    work.mkdir()
    env = dict(env, COLUMNS="200", TMPDIR=str(work))
    where = _run([str(py), "-c",
                  "import wearlog, wlfw, wlproto\n"
                  "from wearlog.education.topics import content_dir, load_topics\n"
                  "from wearlog.virtual.hostport import HOSTPORT_DIR\n"
                  "print(wearlog.__file__, wlfw.__file__, wlproto.__file__)\n"
                  "print(content_dir(), HOSTPORT_DIR, len(load_topics()))"], work, env)
    site = str(clean)
    paths = where.stdout.split()
    assert all(p.startswith(site) for p in paths[:5]), where.stdout
    assert int(paths[5]) >= 5, where.stdout

    demo = _run([str(clean / "bin" / "wearlog"), "demo", "--no-serve", "--no-browser",
                 "--days", "3", "--dir", str(work / "demo")], work, env)
    out = demo.stdout
    assert "Traceback" not in demo.stderr
    assert "day 3/3" in out
    assert "Educational topics linked to these findings:" in out
    assert "not medical advice" in out
    db = sqlite3.connect(work / "demo" / "wearlog.db")
    try:
        topics = [t for (t,) in db.execute("SELECT DISTINCT topic_id FROM linked_topics")]
        synced = db.execute("SELECT (SELECT COUNT(*) FROM epochs) "
                            "+ (SELECT COUNT(*) FROM events)").fetchone()[0]
    finally:
        db.close()
    assert topics, "no educational topic was linked"
    assert re.search(rf"synced {synced} records", out)

    # The installed dashboard (templates + content from the wheel) shows a linked topic.
    page = _run([str(py), "-c", DASHBOARD_TOPIC, str(work / "demo" / "wearlog.db"), topics[0]],
                work, env).stdout
    assert page.count("Educational, not medical advice.") == 2, page[-2000:]
    assert "<h1>" in page


# Run inside the clean venv: sign in as a new admin and fetch /topics/<id>.
DASHBOARD_TOPIC = """
import re, sys
from fastapi.testclient import TestClient
from wearlog.accounts import Users
from wearlog.store import Store
from wearlog.web import create_app
db, topic = sys.argv[1], sys.argv[2]
with Store(db) as s:
    Users(s.conn).add("wheel-admin", "admin", "correct horse battery staple")
c = TestClient(create_app(db, secret="w" * 40), follow_redirects=False)
csrf = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text).group(1)
c.post("/login", data={"username": "wheel-admin", "password": "correct horse battery staple",
                       "csrf_token": csrf})
r = c.get("/topics/" + topic)
assert r.status_code == 200, r.status_code
print(r.text)
"""
