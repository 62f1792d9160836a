"""Figures from the benches other areas own (bench/analysis_bench.py, bench/dashboard_bench.py),
which return plain dicts: put each beside the baseline it was measured against."""

from __future__ import annotations

from typing import Any

from bench.figures import figure, from_flat


def analysis_rows(d: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    raw = d.get("ingest_raw_executemany_rows_per_s")
    used = {"ingest_raw_executemany_rows_per_s", "ingest_store_bulk_vs_raw"}
    for key, label in (("ingest_store_rows_per_s", "Store.ingest, 64-record batches"),
                       ("ingest_store_bulk_rows_per_s", "Store.ingest, one batch")):
        if key in d:
            used.add(key)
            rows.append(figure(f"{label} (synthetic 90-day wearer)", d[key], "rows/s", raw,
                               "raw sqlite3.executemany, one transaction",
                               note=f"{d.get('ingest_rows')} epochs"))
    rest = {k: v for k, v in d.items() if k not in used}
    return rows + from_flat(rest)


def dashboard_rows(d: dict[str, Any]) -> list[dict[str, Any]]:
    base = "bare_stored_summary_90d"  # the same stored JSON bytes, no other work
    bare = d.get(base, {})
    rows = []
    rest: dict[str, Any] = {}
    for name, v in d.items():
        if isinstance(v, dict) and "p50_ms" in v:
            note = (f"{v.get('requests')} requests from {v.get('clients')} clients; "
                    f"{v.get('throughput_rps')} req/s; {v.get('response_bytes')} bytes; "
                    f"{v.get('path')}")
            if v.get("server_cpu_ms_per_request") is not None:
                note += f"; server CPU {v['server_cpu_ms_per_request']} ms per request"
            for q in ("p50_ms", "p95_ms"):
                rows.append(figure(f"{name} {q[:3]}", v[q], "ms",
                                   None if name == base else bare.get(q),
                                   None if name == base else "bare stored-summary endpoint",
                                   note=note if q == "p50_ms" else None))
        else:
            rest[name] = v
    return rows + from_flat(rest)
