"""A denser record log (issue 18 item 2): the log's own flash chunks from the shared
host-port recording (v2 by default: decoded back to their records), coded per chunk in
MicroPython (bench/vm/mp_bench_logcoding.py) on both targets by the firmware's own v2
coder (wlfw.chunkcode, "mask") and by the alternatives that were not built, sizes and CPU
beside the v1 chunk of the same records. Each coding is decoded again and compared in the
VM before its size counts.

`python -m bench.logcoding [--days D]` prints the table; nothing here changes the log.
"""

from __future__ import annotations

import argparse
import json
import struct
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.figures import figure
from tests.vm.harness import run_module

MODULE = Path(__file__).with_name("vm") / "mp_bench_logcoding.py"
HDR = struct.Struct("<BBII")  # wlfw.recordlog: magic, count, first_seq, base_time
HDR2 = 3  # a v2 chunk's header goes on: <BH step, coded length>
MAGIC2 = 0xC6
REC = 11
CRC = 4
LEN_BYTE = 1  # the alternatives would need their coded length too (count no longer gives it)
CODINGS = ("delta", "mask", "deflate", "delta_deflate")


def chunks_of(log_dir: Path) -> list[bytes]:
    """The records of every chunk on flash, in log order (v2 chunks decoded by the
    firmware's own decoder: the records as the v1 chunk would hold them)."""
    from wlfw import chunkcode  # on the path once the host port is loaded (recording)

    prev = [0] * (chunkcode.NF + 1)
    out = []
    for seg in sorted(log_dir.glob("*.wls")):
        data = seg.read_bytes()
        i = 0
        while i + HDR.size <= len(data):
            magic, n, _first, _base = HDR.unpack_from(data, i)
            start = i + HDR.size
            if magic == MAGIC2:
                step, blen = data[start], data[start + 1] | (data[start + 2] << 8)
                recs = bytearray(n * REC)
                chunkcode.decode(data, start + HDR2, n, step, recs, 0, 0, n, prev)
                out.append(bytes(recs))
                i = start + HDR2 + blen + CRC
            else:
                out.append(data[start:start + n * REC])
                i = start + n * REC + CRC
    return out


def measure(days: float, targets: tuple[str, ...] = ("wasm", "unix")) -> dict[str, Any]:
    from bench.recording import recording

    rec = recording(days)
    chunks = chunks_of(rec.run.log_dir)
    res: dict[str, Any] = {"days": rec.run.simulated_s / 86400,
                           "bytes_written": rec.run.app.log.bytes_written,
                           "coded": rec.run.app.log.coded}
    with tempfile.TemporaryDirectory() as d:
        blob = Path(d) / "chunks.bin"
        blob.write_bytes(b"".join(bytes([len(c) // REC]) + c for c in chunks))
        for target in targets:
            run = run_module(MODULE, extra={"/t/chunks.bin": blob}, target=target,
                             heapsize=4 * 1024 * 1024, timeout=900)
            line = next((x for x in run.output.splitlines() if x.startswith("@@BENCH ")), None)
            if line is None:
                raise RuntimeError(f"the log-coding bench printed nothing on {target}:\n"
                                   f"{run.output[-2000:]}")
            res[target] = json.loads(line[len("@@BENCH "):])
    return res


def rows(res: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    days = res["days"]
    for target in ("wasm", "unix"):
        m = res.get(target)
        if m is None:
            continue
        n, c = m["records"], m["chunks"]
        v1 = m["raw"] + c * (HDR.size + CRC)
        out.append(figure(f"{target}: v1 chunk bytes per record", v1 / n, "bytes/record",
                          REC, "11-byte record", note=f"{c} chunks, {n} records, "
                          f"{days:g} simulated days"))
        for k in CODINGS:
            if k + "_unavailable" in m:
                out.append(figure(f"{target}: {k}", None, "", note=m[k + "_unavailable"]))
                continue
            # the firmware's coder: its own chunks (13-byte header, v1 where not smaller)
            flash = m["v2_chunk_bytes"] if k == "mask" else m[k] + c * (HDR.size + CRC + LEN_BYTE)
            out += [
                figure(f"{target}: {k}: chunk bytes per record", flash / n, "bytes/record",
                       v1 / n, "v1 chunk"),
                figure(f"{target}: {k}: days per MiB (chunks alone)",
                       (1 << 20) / (flash / days), "days/MiB", (1 << 20) / (v1 / days),
                       "v1 chunks alone"),
                figure(f"{target}: {k}: encode CPU per record", m[k + "_enc_us"] / n,
                       "us/record", note="VM on this machine, not a board"),
                figure(f"{target}: {k}: decode CPU per record", m[k + "_dec_us"] / n,
                       "us/record"),
            ]
    return out


def run(quick: bool = False) -> dict[str, Any]:
    """Figures for `python -m bench`, on the same recording as the firmware area."""
    from bench.recording import DAYS, QUICK_DAYS

    res = measure(QUICK_DAYS if quick else DAYS)
    return {"figures": rows(res), "raw": res}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.logcoding",
                                description=__doc__.splitlines()[0])
    p.add_argument("--days", type=float, default=3.0)
    a = p.parse_args(argv)
    res = measure(a.days)
    print(json.dumps({k: v for k, v in res.items() if k not in ("wasm", "unix")}))
    for r in rows(res):
        ratio = f"  (x{r['ratio']:.3g} of {r['baseline_name']})" if r["ratio"] else ""
        print(f"{r['name']}: {r['value']} {r['unit']}{ratio}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
