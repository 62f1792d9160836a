"""Adding a field to the epoch record touches the field table and the feature code only.

A copy of wlproto and wlfw gets one row in EPOCH_TABLE (a 16-bit count of the epoch's
samples, added in protocol v2, default 65535 for records made before it) and one line in
wlfw.features setting it; nothing else is edited. A subprocess running that copy with the
project's companion (tests/shared/add_field_check.py) then finds the field in the wire
records (and v1 peers refused with the version message), in a device log written by the
real tree before the change (upgraded at boot, old records given the default, new ones
carrying the measured value), in a SQLite database and a PostgreSQL one made before the
change (migrated: the column added, PostgreSQL's views recreated), in the CSV export, in
what the upload client sends and the upload schema, and through backup and restore. The
real table is untouched: phase A (the log and the databases as they were) runs here.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wearlog.store import Store
from wlfw.recordlog import RecordLog
from wlproto.const import EV_SYMPTOM, EVENT_TYPES, FLAG_ALL
from wlproto.records import EPOCH_TABLE, Epoch, Event

ROOT = Path(__file__).resolve().parents[2]
ROW_AFTER = '    ("temp_hc", "b", "0.5 degC", -128, 127, TEMP_UNKNOWN, 1),\n'
NEW_ROW = '    ("samples", "H", "samples", 0, U16_MAX, U16_MAX, 2),  # samples in the epoch\n'
FEATURE_AFTER = "        rec.steps = steps\n"
FEATURE_LINE = "        rec.samples = n if n < 65535 else 65535\n"


def _patched_tree(dest: Path) -> None:
    """wlproto and wlfw with the new row and its feature line (and no other edit)."""
    shutil.copytree(ROOT / "shared" / "wlproto", dest / "shared" / "wlproto")
    shutil.copytree(ROOT / "firmware" / "wlfw", dest / "firmware" / "wlfw")
    for rel, after, line in (("shared/wlproto/fields.py", ROW_AFTER, NEW_ROW),
                             ("firmware/wlfw/features.py", FEATURE_AFTER, FEATURE_LINE)):
        path = dest / rel
        text = path.read_text()
        assert text.count(after) == 1, f"{rel} changed: the test's anchor is gone"
        path.write_text(text.replace(after, after + line))


def _records() -> list[Epoch | Event]:
    """Epochs with changing values (so the log codes them) and two events, seq 0.."""
    out: list[Epoch | Event] = []
    t = 1_767_225_600
    for i in range(30):
        if i in (7, 19):
            out.append(Event(len(out), t + i * 30 + 5, 1, 1 + i % 5))
        out.append(Epoch(len(out), t + i * 30, (i % 3) * 4, 100 + 17 * i, 80 + (i * 7) % 50,
                         -40 + i, i % 9, i % 4, 60 + i % 2))
    return out


def _as_dict(r: Epoch | Event) -> dict[str, int | str]:
    return {"kind": "epoch" if isinstance(r, Epoch) else "event",
            **dict(zip(r.FIELDS, r.fields(), strict=True))}


def _v1_log(log_dir: Path, recs: list[Epoch | Event]) -> None:
    """A log as v1 firmware leaves it: raw chunks (before log v2), then coded ones."""
    log_dir.mkdir()
    for part, coded in ((recs[:12], False), (recs[12:], True)):
        log = RecordLog(str(log_dir), chunk_records=8, epoch_s=30, coded=coded)
        for r in part:
            (log.append_record(r) if isinstance(r, Epoch)
             else log.append_event(r.time, r.flags, r.etype, r.value, r.arg, r.aux))
        log.flush()
    assert set(_magics(log_dir)) == {0xC5, 0xC6}, _magics(log_dir)  # both v1 chunk kinds


def _magics(log_dir: Path) -> list[int]:
    """Each chunk's magic, in order (the v1 layout: 11-byte records)."""
    out = []
    for seg in sorted(log_dir.iterdir()):
        data, i = seg.read_bytes(), 0
        while i < len(data):
            magic, n = data[i], data[i + 1]
            out.append(magic)
            i += 10 + (n * 11 if magic == 0xC5 else 3 + int.from_bytes(data[i + 11:i + 13],
                                                                       "little")) + 4
    return out


def _fill(store: Store, recs: list[Epoch | Event]) -> None:
    store.add_patient("P-FIELD")
    store.add_device(1, "P-FIELD")
    store.ingest(1, recs)


def test_a_new_epoch_field_needs_only_its_row_and_feature_line(tmp_path: Path,
                                                                pg_server) -> None:
    work = tmp_path / "work"
    _patched_tree(work)
    recs = _records()
    # phase A, the real tree: a v1 log holding raw chunks (firmware before log v2) and
    # coded ones, and databases made before the field
    _v1_log(work / "log", recs)
    epochs = [r for r in recs if isinstance(r, Epoch)]
    for name in ("old.db", "readonly.db"):
        with Store(work / name) as s:
            _fill(s, recs)
    with Store(work / "old.db") as s:
        s.backup(work / "old-backup.db")
    url = pg_server.database()
    with Store(url) as s:
        _fill(s, recs)
    from wearlog.store import pg

    pg.close_pools(url)
    (work / "expected.json").write_text(json.dumps(
        {"log": [_as_dict(r) for r in recs], "epochs": len(epochs)}))
    # phase B, the copy with the new row: the project's code, run as it is
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(work / "shared"), str(work / "firmware"), str(ROOT / "companion")])}
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("add_field_check.py")), str(work), url],
        capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.strip().endswith("ok"), proc.stdout
    print(proc.stdout)
    # the real table is as it was
    assert Epoch.FIELDS[-1] == "temp_hc"


def test_the_device_upgrades_its_log_on_the_vm(tmp_path: Path) -> None:
    """The same change on the MicroPython VM (.mpy modules, as a board loads them): the
    log a v1 firmware wrote is rewritten at boot and the new field is carried."""
    from tests.vm.harness import run_module

    work = tmp_path / "work"
    _patched_tree(work)
    recs = _records()
    _v1_log(tmp_path / "log", recs)
    expected = tmp_path / "expected.json"
    expected.write_text(json.dumps({"log": [_as_dict(r) for r in recs]}))
    (seg,) = (tmp_path / "log").iterdir()
    run = run_module(ROOT / "tests" / "firmware" / "mp_log_upgrade.py", mpy=True, extra={
        "/lib/wlproto/fields.py": work / "shared" / "wlproto" / "fields.py",
        "/lib/wlfw/features.py": work / "firmware" / "wlfw" / "features.py",
        "/upg/" + seg.name: seg, "/t/expected.json": expected})
    res = run.results.get("test_boot_upgrades_an_older_layout")
    assert res is not None, run.output[-3000:]
    assert res.ok, res.error


_EPOCH_VALUES = st.tuples(*(st.integers(f[3], f[4]) for f in EPOCH_TABLE))
_EVENT = st.sampled_from(EVENT_TYPES).flatmap(lambda et: st.tuples(
    st.just(et), st.integers(1, 5) if et == EV_SYMPTOM else st.integers(0, 255),
    st.integers(0, 2**32 - 1), st.integers(0, 65535)))
_STEP = st.tuples(st.integers(0, FLAG_ALL), st.integers(0, 400) | st.integers(0, 90_000),
                  st.one_of(_EPOCH_VALUES.map(lambda v: ("e", v)),
                            _EVENT.map(lambda v: ("v", v))))


def test_any_v1_log_upgrades_without_loss(tmp_path: Path) -> None:
    """Nothing lost, for any v1 log: hypothesis writes logs with the real (v1) firmware
    (any field values at their range's ends or between, events, time jumps that split
    chunks, raw or coded chunks, any chunk size); the copy with the new row boots each
    and must serve every record, old fields unchanged, the new one at its default."""
    work = tmp_path / "work"
    _patched_tree(work)
    cases: list[dict[str, object]] = []

    @settings(max_examples=60, deadline=None, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture,
                                     HealthCheck.too_slow])
    @given(st.integers(1, 150).flatmap(lambda n: st.lists(_STEP, min_size=n, max_size=n)),
           st.booleans(), st.integers(1, 32))
    def write(steps: list, coded: bool, chunk: int) -> None:
        d = tmp_path / f"log{len(cases)}"
        d.mkdir()
        log = RecordLog(str(d), chunk_records=chunk, epoch_s=30, coded=coded)
        t = 1_767_225_600
        want = []
        for flags, gap, (kind, vals) in steps:
            t += gap
            seq = (log.append_epoch(t, flags, *vals) if kind == "e"
                   else log.append_event(t, flags, *vals))
            want.append([kind, seq, t, flags & 0x3F, *vals])
        log.flush()
        cases.append({"dir": str(d), "chunk": chunk, "records": want})

    write()
    (work / "logs.json").write_text(json.dumps(cases))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(work / "shared"), str(work / "firmware"), str(ROOT / "companion")])}
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("add_field_check.py")), str(work),
         "logs"], capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.strip().endswith("ok"), proc.stdout
    assert f"any logs: {len(cases)} v1 logs upgraded" in proc.stdout, proc.stdout
    print(proc.stdout, sum(len(c["records"]) for c in cases), "records")  # type: ignore[arg-type]
