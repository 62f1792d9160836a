"""Dashboard latency under load: `python bench/dashboard_bench.py` or `run() -> dict`.

A real uvicorn server in a subprocess (so the clients do not share its GIL) on 127.0.0.1,
a database with one patient holding 90 days of 30-s epochs and 1,000 patients in the
list, and 20 concurrent signed-in clients each sending a bounded number of requests:
- patient summary (90 days: nights, days, symptoms, completeness, rhythm, topics),
- actogram (90 days x 2,880 epochs),
- a bare JSON endpoint returning the same epoch rows unprocessed (the baseline),
- the patient list with 1,000 patients.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from wearlog.accounts import Users
from wearlog.pipeline import refresh
from wearlog.store import Store
from wearlog.web.sample_data import make_patient

CLIENTS = 20
REQUESTS_PER_CLIENT = 3
LIST_PATIENTS = 1000
PW = "bench passphrase long enough"


def _build(db: Path) -> None:
    with Store(db) as s:
        make_patient(s, "P-BENCH", 1, 90, seed=1, symptoms_per_day=1.0)
        now = int(time.time()) // 30 * 30
        rng = np.random.default_rng(2)
        with s.transaction() as c:
            for i in range(LIST_PATIENTS - 1):
                pid, dev = f"P-{i:04d}", 1000 + i
                c.execute("INSERT INTO patients (patient_id, tz) VALUES (?, 'UTC')", (pid,))
                c.execute("INSERT INTO devices (device_id, patient_id) VALUES (?, ?)", (dev, pid))
                c.execute("INSERT INTO syncs (device_id, started_utc, ended_utc, status, "
                          "sync_uid) VALUES (?,?,?,?,?)", (dev, now - 3600, now - 3500, "ok",
                                                         f"bench-{i}"))
                # six hours of epochs each, ending 0-4 days ago
                end = now - int(rng.integers(0, 4)) * 86400
                c.executemany(
                    "INSERT INTO epochs (device_id, seq, time, utc, flags, enmo_dmg, mad_dmg, "
                    "zangle_deg, dangle_ddeg, steps, temp_hc) VALUES (?,?,?,?,0,?,0,0,0,0,-128)",
                    [(dev, k, end - 30 * (720 - k), end - 30 * (720 - k), k % 300)
                     for k in range(720)])
        # the refresh step analyses every listed patient, as their uploads would have
        s.queue_full([p for p in s.patient_ids() if p != "P-BENCH"])  # its rows: sample
        results = refresh(s, workers=os.cpu_count() or 1)
        assert all(r.ok for r in results), [r.error for r in results if not r.ok][:3]
        users = Users(s.conn)
        users.add("bench.admin", "admin", PW)
        users.add("bench.dr", "clinician", PW)
        users.assign("bench.dr", "P-BENCH")


def _start_server(db: Path) -> tuple[subprocess.Popen[bytes], str, socket.socket]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    env = {**os.environ, "WEARLOG_DB": str(db), "WEARLOG_SECRET_KEY": "b" * 48}
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "wearlog.web.app:app_from_env",
         "--fd", str(sock.fileno()), "--log-level", "warning", "--no-access-log"],
        env=env, pass_fds=[sock.fileno()],
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            if httpx.get(url + "/login", timeout=1).status_code == 200:
                return proc, url, sock
        except httpx.HTTPError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("bench server did not start")


async def _login(client: httpx.AsyncClient, user: str) -> None:
    page = await client.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf
    r = await client.post("/login", data={"username": user, "password": PW,
                                          "csrf_token": csrf.group(1)})
    assert r.status_code == 303, r.status_code


async def _load(url: str, user: str, path: str) -> dict[str, Any]:
    sizes: list[int] = []
    clients = [httpx.AsyncClient(base_url=url, timeout=120) for _ in range(CLIENTS)]
    try:
        # sign in first (Argon2 is slow on purpose), so only the measured requests are timed
        await asyncio.gather(*(_login(c, user) for c in clients))

        async def one_client(c: httpx.AsyncClient) -> list[float]:
            times = []
            for _ in range(REQUESTS_PER_CLIENT):
                t = time.perf_counter()
                r = await c.get(path)
                r.raise_for_status()
                times.append(time.perf_counter() - t)
                sizes.append(len(r.content))
            return times

        t0 = time.perf_counter()
        results = await asyncio.gather(*(one_client(c) for c in clients))
        wall = time.perf_counter() - t0
    finally:
        await asyncio.gather(*(c.aclose() for c in clients))
    lat = sorted(x for r in results for x in r)
    return {
        "path": path,
        "requests": len(lat),
        "clients": CLIENTS,
        "p50_ms": round(1000 * statistics.median(lat), 1),
        "p95_ms": round(1000 * lat[int(0.95 * (len(lat) - 1))], 1),
        "max_ms": round(1000 * lat[-1], 1),
        "throughput_rps": round(len(lat) / wall, 2),
        "response_bytes": max(sizes),
    }


def run() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        t = time.perf_counter()
        _build(db)
        build_s = time.perf_counter() - t
        proc, url, sock = _start_server(db)
        try:
            out: dict[str, Any] = {
                "setup": {"build_s": round(build_s, 1), "epochs_90d_patient": 90 * 2880,
                          "patients_in_list": LIST_PATIENTS, "server": "uvicorn, 1 process",
                          "cpus": os.cpu_count()},
            }
            for name, user, path in (
                ("summary_90d", "bench.dr", "/api/patients/P-BENCH/summary?days=90"),
                ("bare_stored_summary_90d", "bench.dr",
                 "/api/patients/P-BENCH/summary/stored?days=90"),
                ("actogram_90d", "bench.dr", "/api/patients/P-BENCH/actogram?days=90"),
                ("summary_page_90d", "bench.dr", "/patients/P-BENCH?days=90"),
                ("patient_list_api_1000", "bench.admin", "/api/patients"),
                ("patient_list_page_1000", "bench.admin", "/"),
            ):
                out[name] = asyncio.run(_load(url, user, path))
            bare = out["bare_stored_summary_90d"]["p95_ms"]
            for k in ("summary_90d", "summary_page_90d", "patient_list_api_1000",
                      "patient_list_page_1000"):
                out[f"{k}_p95_vs_bare_stored"] = round(out[k]["p95_ms"] / bare, 2)
            return out
        finally:
            proc.terminate()
            proc.wait(10)
            sock.close()


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
