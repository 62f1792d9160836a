"""Dashboard latency under load: `python bench/dashboard_bench.py` or `run() -> dict`.

A real uvicorn server in a subprocess (so the clients do not share its GIL) on 127.0.0.1,
a database with one patient holding 90 days of 30-s epochs and 1,000 patients in the
list, and 20 concurrent signed-in clients, each on its own keep-alive connection (a
lean asyncio client, `_Connection`, so the clients take little of the 2 cores the server
needs), sending one untimed request and then REQUESTS_PER_CLIENT timed ones; each figure
records p50/p95, throughput and the server's CPU per request:
- patient summary (90 days: nights, days, symptoms, completeness, rhythm, topics),
- actogram (90 days x 2,880 epochs),
- a bare JSON endpoint returning the same epoch rows unprocessed (the baseline),
- the patient list with 1,000 patients (paged: the API's first 100 rows, the page's
  first 50, flagged first; all 1,000 in one API call; a search), then with 10,000
  (9,000 added with stored list figures only, which is all the list reads).

`run_area()` (area "serving", `python -m bench --only serving`) measures the summary and
the list beside the bare endpoint on SQLite and on PostgreSQL, with 1 and 4 workers.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from bench.figures import figure, from_flat
from wearlog.accounts import Users
from wearlog.pipeline import refresh
from wearlog.store import Store
from wearlog.testing.database import make_patient
from wearlog.web.app import UVICORN_OPTIONS

CLIENTS = 20
REQUESTS_PER_CLIENT = 10
LIST_PATIENTS = 1000
BIG_LIST_PATIENTS = 10_000
PW = "bench passphrase long enough"
BARE = "bare_stored_summary_90d"  # the baseline: stored JSON bytes, sign-in + audit only


def _build(db: Path, patients: int = LIST_PATIENTS) -> None:
    with Store(db) as s:
        make_patient(s, "P-BENCH", 1, 90, seed=1, symptoms_per_day=1.0)
        now = int(time.time()) // 30 * 30
        rng = np.random.default_rng(2)
        with s.transaction() as c:
            for i in range(patients - 1):
                pid, dev = f"P-{i:04d}", 1000 + i
                c.execute("INSERT INTO patients (patient_id, tz) VALUES (?, 'UTC')", (pid,))
                c.execute("INSERT INTO devices (device_id, patient_id) VALUES (?, ?)", (dev, pid))
                c.execute("INSERT INTO syncs (device_id, started_utc, ended_utc, status, "
                          "sync_uid) VALUES (?,?,?,?,?)", (dev, now - 3600, now - 3500, "ok",
                                                         f"bench-{i}"))
                # six hours of epochs each, ending 0-4 days ago
                end = now - int(rng.integers(0, 4)) * 86400
                c.executemany(
                    # time_off 0: device time = utc (columns.EPOCH_STORED)
                    "INSERT INTO epochs (device_id, seq, time_off, utc, flags, enmo_dmg, "
                    "mad_dmg, zangle_deg, dangle_ddeg, steps, temp_hc) "
                    "VALUES (?,?,0,?,0,?,0,0,0,0,-128)",
                    [(dev, k, end - 30 * (720 - k), k % 300) for k in range(720)])
        # the refresh step analyses every listed patient, as their uploads would have
        s.queue_full([p for p in s.patient_ids() if p != "P-BENCH"])  # its rows: sample
        results = refresh(s, workers=os.cpu_count() or 1)
        assert all(r.ok for r in results), [r.error for r in results if not r.ok][:3]
        users = Users(s.conn)
        users.add("bench.admin", "admin", PW)
        users.add("bench.dr", "clinician", PW)
        users.assign("bench.dr", "P-BENCH")


def _start_server(db: Path | str, log: Path, workers: int = 1
                  ) -> tuple[subprocess.Popen[bytes], str, socket.socket]:
    """uvicorn on a socket bound here, answering once every worker has started.

    With several workers uvicorn's supervisor pings each one every 0.5 s and kills (then
    replaces) a worker that does not answer within --timeout-worker-healthcheck; the
    connections it was serving end in "Server disconnected". On this loaded 2-core
    machine a busy worker's answering thread can wait longer than uvicorn's default 5 s,
    so the bench passes the same allowance `wearlog serve` uses (UVICORN_OPTIONS). The
    server log (info level) is kept in `log`; a worker replaced mid-run fails the run.
    """
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    env = {**os.environ, "WEARLOG_DB": str(db), "WEARLOG_SECRET_KEY": "b" * 48}
    cmd = [sys.executable, "-m", "uvicorn", "--factory", "wearlog.web.app:app_from_env",
           "--fd", str(sock.fileno()), "--log-level", "info", "--no-access-log"]
    if workers > 1:
        cmd += ["--workers", str(workers), "--timeout-worker-healthcheck",
                str(UVICORN_OPTIONS["timeout_worker_healthcheck"])]
    with open(log, "ab") as fh:
        proc = subprocess.Popen(cmd, env=env, pass_fds=[sock.fileno()], stderr=fh,
                                stdout=fh)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180  # a worker imports numpy, FastAPI... under load
    while time.monotonic() < deadline and proc.poll() is None:
        started = log.read_text(errors="replace").count("Application startup complete")
        try:
            if started >= workers and httpx.get(url + "/login", timeout=5).status_code == 200:
                return proc, url, sock
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.kill()
    sock.close()
    tail = log.read_text(errors="replace")[-1500:]
    raise RuntimeError(f"bench server ({workers} worker(s)) did not start:\n{tail}")


def _replaced_workers(log: Path) -> int:
    """Workers uvicorn's supervisor found dead or hung and replaced (see _start_server)."""
    return len(re.findall(r"Child process \[\d+\] died", log.read_text(errors="replace")))


async def _login(client: httpx.AsyncClient, user: str) -> None:
    page = await client.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf
    r = await client.post("/login", data={"username": user, "password": PW,
                                          "csrf_token": csrf.group(1)})
    assert r.status_code == 303, r.status_code


class _Connection:
    """The load generator's client: one keep-alive HTTP/1.1 connection on asyncio streams
    sending GETs with the session cookie and reading each whole response (Content-Length
    or chunked). It spends tens of microseconds of Python per request, where an httpx
    client spends about 3 ms: on 2 cores the clients would otherwise take CPU the server
    needs and inflate every latency (the bare endpoint's too)."""

    def __init__(self, url: str, cookie: str) -> None:
        hostport = url.split("://", 1)[1]
        self.host, port = hostport.rsplit(":", 1)
        self.port = int(port)
        self.head = (f"Host: {hostport}\r\nAccept: */*\r\nCookie: {cookie}\r\n\r\n").encode()
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    async def get(self, path: str) -> int:
        """The body's length; RuntimeError for any status but 200."""
        if self.reader is None or self.writer is None:
            await self.open()
        assert self.reader is not None and self.writer is not None
        self.writer.write(f"GET {path} HTTP/1.1\r\n".encode() + self.head)
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = dict((k.strip().lower(), v.strip()) for k, _, v in
                       (line.partition(":") for line in lines[1:] if line))
        if "content-length" in headers:
            size = int(headers["content-length"])
            body = await self.reader.readexactly(size)
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            body, size = b"", -1
            while size:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                body += (await self.reader.readexactly(size + 2))[:size]
        else:
            raise RuntimeError(f"GET {path}: response with neither length nor chunks")
        if status != 200:
            raise RuntimeError(f"GET {path}: {status} {body[:200]!r}")
        if headers.get("connection", "").lower() == "close":
            await self.close()
        return len(body)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()
        self.reader = self.writer = None


_cookies: dict[tuple[str, str], str] = {}  # (server url, user) -> Cookie header
_server_pids: dict[str, int] = {}  # server url -> its process (while it runs)


async def _session_cookie(url: str, user: str) -> str:
    """The signed-in session's Cookie header (sign-in once per server and user: Argon2 is
    slow on purpose, and only the measured requests are timed)."""
    if (url, user) not in _cookies:
        async with httpx.AsyncClient(base_url=url, timeout=120) as c:
            await _login(c, user)
            _cookies[url, user] = "; ".join(f"{k}={v}" for k, v in c.cookies.items())
    return _cookies[url, user]


def _server_cpu_s(pid: int) -> float | None:
    """CPU seconds (user + system) of the server process and its worker processes so far
    (Linux /proc), or None where that cannot be read."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    try:
        pids = [pid]
        for task in Path(f"/proc/{pid}/task").iterdir():
            pids += [int(c) for c in (task / "children").read_text().split()]
        for p in pids:
            f = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(f[11]) + int(f[12])) / tick
    except (OSError, ValueError, IndexError):
        return None
    return total


async def _load(url: str, user: str, path: str) -> dict[str, Any]:
    """CLIENTS signed-in clients at once, each on its own keep-alive connection (opened,
    and used for one untimed request, before the clock starts), each sending
    REQUESTS_PER_CLIENT timed GETs one after another."""
    cookie = await _session_cookie(url, user)
    sizes: list[int] = []
    clients = [_Connection(url, cookie) for _ in range(CLIENTS)]
    await asyncio.gather(*(c.open() for c in clients))
    # one untimed request per connection first: every worker has served this endpoint
    # once (its first-use costs, e.g. a cache filled, are not in the figures)
    await asyncio.gather(*(c.get(path) for c in clients))
    try:

        async def one_client(c: _Connection) -> list[float]:
            times = []
            for _ in range(REQUESTS_PER_CLIENT):
                t = time.perf_counter()
                sizes.append(await c.get(path))
                times.append(time.perf_counter() - t)
            return times

        server_pid = _server_pids.get(url)
        cpu0 = None if server_pid is None else _server_cpu_s(server_pid)
        own0 = time.process_time()
        t0 = time.perf_counter()
        results = await asyncio.gather(*(one_client(c) for c in clients))
        wall = time.perf_counter() - t0
        own = time.process_time() - own0
        cpu1 = None if server_pid is None else _server_cpu_s(server_pid)
    finally:
        await asyncio.gather(*(c.close() for c in clients))
    lat = sorted(x for r in results for x in r)
    out = {
        "path": path,
        "requests": len(lat),
        "clients": CLIENTS,
        "p50_ms": round(1000 * statistics.median(lat), 1),
        "p95_ms": round(1000 * lat[int(0.95 * (len(lat) - 1))], 1),
        "max_ms": round(1000 * lat[-1], 1),
        "throughput_rps": round(len(lat) / wall, 2),
        "response_bytes": max(sizes),
        "client_cpu_ms_per_request": round(1000 * own / len(lat), 2),
    }
    if cpu0 is not None and cpu1 is not None:
        out["server_cpu_ms_per_request"] = round(1000 * (cpu1 - cpu0) / len(lat), 2)
    return out


@contextlib.contextmanager
def _server(db: Path | str, log: Path, workers: int = 1) -> Iterator[str]:
    """A started bench server's URL, stopped (all workers) on leaving."""
    proc, url, sock = _start_server(db, log, workers)
    _server_pids[url] = proc.pid
    try:
        yield url
    finally:
        del _server_pids[url]
        for key in [k for k in _cookies if k[0] == url]:
            del _cookies[key]
        proc.terminate()
        proc.wait(30)
        sock.close()


def run() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        t = time.perf_counter()
        _build(db)
        build_s = time.perf_counter() - t
        with _server(db, Path(tmp) / "server.log") as url:
            out: dict[str, Any] = {
                "setup": {"build_s": round(build_s, 1), "epochs_90d_patient": 90 * 2880,
                          "patients_in_list": LIST_PATIENTS, "server": "uvicorn, 1 process",
                          "cpus": os.cpu_count()},
            }
            for name, user, path in (
                ("summary_90d", "bench.dr", "/api/patients/P-BENCH/summary?days=90"),
                (BARE, "bench.dr", "/api/patients/P-BENCH/summary/stored?days=90"),
                ("actogram_90d", "bench.dr", "/api/patients/P-BENCH/actogram?days=90"),
                ("summary_page_90d", "bench.dr", "/patients/P-BENCH?days=90"),
                # the list pages: 100 rows per API call, 50 per page, flagged first
                ("patient_list_api_1000", "bench.admin", "/api/patients"),
                ("patient_list_api_1000_all", "bench.admin", "/api/patients?limit=1000"),
                ("patient_list_page_1000", "bench.admin", "/"),
                ("patient_list_page_1000_search", "bench.admin", "/?q=p-09"),
            ):
                out[name] = asyncio.run(_load(url, user, path))
            # 9,000 more patients with stored figures (what the list reads): 10,000 in all
            t = time.perf_counter()
            _grow_list(db, BIG_LIST_PATIENTS)
            out["setup"]["grow_to_10000_s"] = round(time.perf_counter() - t, 1)
            for name, user, path in (
                ("patient_list_api_10000", "bench.admin", "/api/patients"),
                ("patient_list_page_10000", "bench.admin", "/"),
                ("patient_list_page_10000_last", "bench.admin",
                 f"/?page={BIG_LIST_PATIENTS // 50}"),
                ("patient_list_page_10000_search", "bench.admin", "/?q=x-09"),
                (f"{BARE}_at_10000", "bench.dr", "/api/patients/P-BENCH/summary/stored?days=90"),
            ):
                out[name] = asyncio.run(_load(url, user, path))
            bare = out[BARE]["p95_ms"]
            for k in ("summary_90d", "summary_page_90d", "patient_list_api_1000",
                      "patient_list_page_1000", "patient_list_api_10000",
                      "patient_list_page_10000"):
                out[f"{k}_p95_vs_bare_stored"] = round(out[k]["p95_ms"] / bare, 2)
            return out


def _grow_list(db: Path, patients: int) -> None:
    """Add patients X-.... with stored list figures until the list holds `patients`
    (a fifth with a data gap, half with a worse sleep trend) and the 90-day patient's
    rolling figures: the list reads only the former."""
    now = int(time.time())
    with Store(db) as s:
        have = len(s.patient_ids())
        add = [f"X-{i:05d}" for i in range(patients - have)]
        # the rolling figures of a refreshed 30-day patient, as every added one has them
        rolling = s.analysis_state("P-BENCH")["rolling"] or "{}"
        with s.transaction() as c:
            c.executemany("INSERT INTO patients (patient_id, tz) VALUES (?, 'UTC')",
                          [(p,) for p in add])
            c.executemany(
                "INSERT INTO patient_analysis (patient_id, refreshed_utc, first_utc, last_utc, "
                "last_sync_utc, wear_min_7d, high_severity_7d, sleep_worse) "
                "VALUES (?,?,?,?,?,?,?,?)",
                [(p, now, now - 30 * 86400, now - (5 * 86400 if i % 5 == 0 else 600),
                  now - 600, 6000.0, i % 7, i % 2) for i, p in enumerate(add)])
            c.executemany("INSERT INTO patient_rolling (patient_id, rolling) VALUES (?, ?)",
                          [(p, rolling) for p in add])


# --- both backends, 1 and 4 workers (area "serving") --------------------------------
SERVING = (  # (name, user, path): the bare baseline first
    (BARE, "bench.dr", "/api/patients/P-BENCH/summary/stored?days=90"),
    ("summary_90d", "bench.dr", "/api/patients/P-BENCH/summary?days=90"),
    ("patient_list_api", "bench.admin", "/api/patients"),
)
WORKER_COUNTS = (1, 4)


def run_serving(quick: bool = False) -> dict[str, Any]:
    """The 90-day summary and the patient list at CLIENTS clients on SQLite and on
    PostgreSQL, each with 1 and 4 uvicorn workers, beside the bare stored-JSON endpoint
    measured on the same server. One database is built (SQLite) and copied into a
    throwaway PostgreSQL cluster with `wearlog db copy`'s code, so both serve the same
    rows."""
    from tests.pgserver import PgServer
    from wearlog.store import pg
    from wearlog.store.copy import copy_database

    patients = 50 if quick else LIST_PATIENTS
    out: dict[str, Any] = {}
    server = PgServer()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            db = Path(tmp) / "bench.db"
            t = time.perf_counter()
            _build(db, patients)
            build_s = time.perf_counter() - t
            url = server.database()
            t = time.perf_counter()
            with Store(db) as src, Store(url) as dest:
                copy_database(src, dest)
            pg.close_pools(url)
            out["setup"] = {
                "build_s": round(build_s, 1), "copy_to_postgresql_s":
                round(time.perf_counter() - t, 1), "epochs_90d_patient": 90 * 2880,
                "patients_in_list": patients, "clients": CLIENTS,
                "requests_per_client": REQUESTS_PER_CLIENT, "cpus": os.cpu_count(),
                "postgresql_pool_per_worker": pg.POOL_MAX}
            for backend, where in (("sqlite", db), ("postgresql", url)):
                for workers in WORKER_COUNTS:
                    key = f"{backend}_{workers}w"
                    log = Path(tmp) / f"{key}.log"
                    with _server(where, log, workers) as base:
                        res = {name: asyncio.run(_load(base, user, path))
                               for name, user, path in SERVING}
                    res["workers_replaced"] = _replaced_workers(log)
                    out[key] = res
    finally:
        pg.close_pools()
        server.stop()
    return out


def serving_rows(d: dict[str, Any]) -> list[dict[str, Any]]:
    """p95 of each endpoint beside the bare endpoint's p95 on the same server."""
    rows = []
    for key, res in d.items():
        if key == "setup":
            continue
        bare = res[BARE]
        for name, _, path in SERVING:
            v = res[name]
            note = (f"{v['requests']} requests, {v['clients']} clients; p50 {v['p50_ms']} ms; "
                    f"{v['throughput_rps']} req/s; {path}")
            if v.get("server_cpu_ms_per_request") is not None:
                note += f"; server CPU {v['server_cpu_ms_per_request']} ms per request"
            if name == BARE:
                note += f"; workers replaced during the run: {res['workers_replaced']}"
            rows.append(figure(f"{key} {name} p95", v["p95_ms"], "ms",
                               None if name == BARE else bare["p95_ms"],
                               None if name == BARE else "bare stored-summary, same server",
                               note=note))
    return rows + from_flat({"setup": d["setup"]})


def run_area(quick: bool = False) -> dict[str, Any]:
    d = run_serving(quick)
    return {"figures": serving_rows(d), "raw": d}


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
