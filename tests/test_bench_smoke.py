"""`make bench` harness: a --quick run writes both files with the expected keys; the runner
records a broken or missing bench without hiding the others; the model and scores that
produce figures give hand-checked answers."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bench import __main__ as runner
from bench import airtime
from bench.accuracy_bench import agreement
from bench.figures import figure

ROOT = Path(__file__).resolve().parents[1]
OWN = ("firmware", "sync", "store", "accuracy", "energy", "logcoding")


def test_quick_run_writes_json_and_markdown(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "bench", "--quick", "--out", str(tmp_path)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    res = json.loads((tmp_path / "results.json").read_text())
    for key in ("cpu", "cores", "ram_gib", "python", "node", "micropython_vm", "date_utc"):
        assert res["machine"][key], key
    assert res["quick"] is True and res["total_s"] > 0 and "partial" not in res
    for area in OWN:
        a = res["areas"][area]
        assert a["status"] == "ok", a.get("error")
        assert a["figures"], area
        for f in a["figures"]:
            assert set(f) == {"name", "value", "unit", "baseline", "baseline_name", "ratio",
                              "note"}
    assert res["areas"]["analysis"]["status"] == "skipped in --quick"
    assert res["areas"]["dashboard"]["status"] == "skipped in --quick"
    fw = {f["name"]: f for f in res["areas"]["firmware"]["figures"]}
    full = fw["peak heap: full pipeline, v2 log (sensing + log + sync engine at MTU 247)"]
    alone = fw["peak heap: sensing + log, v2 log"]
    assert full["value"] > alone["value"] > 0  # the sync engine adds to the pipeline
    v2 = fw["days per MiB of flash, log v2"]
    assert v2["value"] > v2["baseline"] > 0  # the v2 log holds more days than v1
    sync = {f["name"]: f for f in res["areas"]["sync"]["figures"]}
    eff23 = sync["MTU 23: payload efficiency (record bytes / notification values)"]["value"]
    eff247 = sync["MTU 247: payload efficiency (record bytes / notification values)"]["value"]
    assert 0 < eff23 < eff247 < 100
    md = (tmp_path / "RESULTS.md").read_text()
    assert md.startswith("# Wearlog benchmark results")
    for title in ("## Firmware", "## Sync", "## Store ingest", "## Accuracy", "| Figure |",
                  "micropython vm", "Air-time model assumptions"):
        assert title in md, title


def test_one_broken_bench_does_not_hide_the_others(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(quick: bool) -> dict:
        raise ValueError("disk on fire")

    def fine(quick: bool) -> dict:
        return {"figures": [figure("x", 2.0, "s", 4.0, "base")], "raw": {}}

    def missing(quick: bool) -> dict:
        import bench.no_such_bench  # type: ignore[import-not-found]  # noqa: F401
        return {}

    monkeypatch.setattr(runner, "AREAS", {"a": (broken, True), "b": (fine, True),
                                          "c": (missing, True)})
    res = runner.run_all(True, None, lambda s: None)
    assert res["areas"]["a"]["status"] == "failed"
    assert "disk on fire" in res["areas"]["a"]["error"]
    assert res["areas"]["b"]["status"] == "ok"
    assert res["areas"]["b"]["figures"][0]["ratio"] == 0.5
    assert res["areas"]["c"]["status"] == "not available"


def test_unknown_area_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        runner.main(["--only", "firmware,nosuch"])
    assert "unknown area(s) nosuch" in capsys.readouterr().err


def test_air_time_of_one_default_mtu_notification() -> None:
    # 20-byte value at MTU 23: LL payload 4 + 3 + 20 = 27 bytes, one packet of
    # 14 + 27 = 41 bytes (328 us), an empty ack of 10 bytes (80 us), two T_IFS.
    m = airtime.model([20], writes=0, ll_payload_max=27, per_event=4)
    assert m.ll_packets == 1
    assert m.radio_us == 328 + 80 + 300
    assert m.transfer_s == pytest.approx(0.030)
    assert airtime.ll_fragments(244, 27) == [27] * 9 + [8]
    assert airtime.ll_fragments(244, 251) == [251]


def test_agreement_scores() -> None:
    truth = np.array([1, 1, 1, 1, 0, 0, 0, 0], dtype=bool)
    pred = np.array([1, 1, 1, 0, 0, 0, 0, 1], dtype=bool)
    a = agreement(pred, truth)
    assert a["accuracy"] == 0.75 and a["sensitivity"] == 0.75 and a["specificity"] == 0.75
    assert a["kappa"] == pytest.approx(0.5)  # po 0.75, pe 0.5
    assert agreement(truth, truth)["kappa"] == 1.0


def test_log_coding_bench_round_trips_on_both_targets() -> None:
    """bench/logcoding.py: every coding is decoded again in MicroPython before its size
    counts (the VM module asserts it); the per-chunk codings are smaller than v1."""
    from bench import logcoding

    res = logcoding.measure(0.05)
    for target in ("wasm", "unix"):
        m = res[target]
        assert m["records"] > 100 and m["raw"] == m["records"] * 11
        assert 0 < m["mask"] < m["delta"] < m["raw"]
    assert 0 < res["wasm"]["delta_deflate"] < res["wasm"]["raw"]
    names = {r["name"] for r in logcoding.rows(res)}
    assert "unix: mask: days per MiB (chunks alone)" in names


def test_serving_rows_compare_with_the_bare_endpoint_of_the_same_server(tmp_path: Path) -> None:
    """bench 'serving' (both backends, 1 and 4 workers): each p95 is divided by the bare
    endpoint's p95 measured on the same server, and replaced workers are counted from
    uvicorn's log (a replaced worker dropped the requests it was serving)."""
    from bench import dashboard_bench as db

    def load(p95: float) -> dict:
        return {"requests": 60, "clients": 20, "p50_ms": p95 / 2, "p95_ms": p95,
                "throughput_rps": 10.0}

    d = {"setup": {"build_s": 1.0},
         "sqlite_1w": {db.BARE: load(100.0), "summary_90d": load(150.0),
                       "patient_list_api": load(300.0), "workers_replaced": 0},
         "postgresql_4w": {db.BARE: load(200.0), "summary_90d": load(100.0),
                           "patient_list_api": load(500.0), "workers_replaced": 2}}
    rows = {r["name"]: r for r in db.serving_rows(d)}
    assert rows["sqlite_1w summary_90d p95"]["ratio"] == 1.5
    assert rows["sqlite_1w patient_list_api p95"]["ratio"] == 3.0
    assert rows["postgresql_4w summary_90d p95"]["ratio"] == 0.5
    assert rows["postgresql_4w patient_list_api p95"]["baseline"] == 200.0
    assert rows[f"postgresql_4w {db.BARE} p95"]["ratio"] is None
    assert "workers replaced during the run: 2" in rows[f"postgresql_4w {db.BARE} p95"]["note"]
    log = tmp_path / "server.log"
    log.write_text("INFO:     Child process [41] died\nINFO:     Started server process [42]\n"
                   "INFO:     Child process [42] died\n")
    assert db._replaced_workers(log) == 2


def test_uvicorn_accepts_the_worker_options() -> None:
    """UVICORN_OPTIONS (the health-check allowance of `serve --workers`) is a setting the
    installed uvicorn knows: an older one would refuse it at start."""
    import uvicorn

    from wearlog.web.app import UVICORN_OPTIONS

    cfg = uvicorn.Config("wearlog.web.app:app_from_env", workers=2, **UVICORN_OPTIONS)
    assert cfg.timeout_worker_healthcheck == UVICORN_OPTIONS["timeout_worker_healthcheck"]


def test_the_dashboard_load_client_reads_whole_responses() -> None:
    """bench/dashboard_bench.py's keep-alive client: bodies with a length and chunked ones
    are read whole on one connection, in order; any other status than 200 is an error."""
    import asyncio

    from fastapi import FastAPI
    from fastapi.responses import Response, StreamingResponse

    from bench import dashboard_bench as db
    from wearlog.web.live import live_server

    app = FastAPI()
    seen: list[str] = []

    @app.get("/sized")
    def sized(n: int, cookie: str = "") -> Response:
        return Response(b"x" * n, media_type="text/plain")

    @app.get("/chunked")
    def chunked() -> StreamingResponse:
        return StreamingResponse(iter([b"ab", b"", b"cde" * 1000]), media_type="text/plain")

    @app.middleware("http")
    async def cookies(request, call_next):  # type: ignore[no-untyped-def]
        seen.append(request.headers.get("cookie", ""))
        return await call_next(request)

    async def go(url: str) -> list[int]:
        c = db._Connection(url, "wl_session=abc")
        try:
            sizes = [await c.get("/sized?n=0"), await c.get("/sized?n=70000"),
                     await c.get("/chunked"), await c.get("/sized?n=5")]
            try:
                await c.get("/missing")
            except RuntimeError as e:
                assert "404" in str(e)
            else:
                raise AssertionError("a 404 was taken as an answer")
            return sizes
        finally:
            await c.close()

    with live_server(app) as url:
        assert asyncio.run(go(url)) == [0, 70000, 3002, 5]
    assert seen == ["wl_session=abc"] * 5
