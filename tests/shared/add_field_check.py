"""Run by tests/shared/test_add_field.py in a subprocess whose wlproto and wlfw are a copy
of the tree with one row added to EPOCH_TABLE (and one line of feature code setting it):
everything below is the project's own code, unedited otherwise.

argv: the work folder (phase A's log, databases and expectations) and a PostgreSQL URL,
or "logs": check only the hypothesis-made logs of WORK/logs.json. Exits non-zero (an
AssertionError with its message) on the first failure.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import sys
from array import array
from pathlib import Path

WORK = Path(sys.argv[1])
PG_URL = sys.argv[2]
FIELD, DEFAULT = "samples", 65535  # the row the test adds (tests/shared/test_add_field.py)
ROOT = Path(__file__).resolve().parents[2]


def check_protocol() -> None:
    import wlproto
    from wlproto import const, frames, records
    from wlproto.errors import VersionError

    assert str(WORK) in wlproto.__file__, wlproto.__file__  # the copy, not the real tree
    assert const.PROTOCOL_VERSION == 2 and const.RECORD_SIZE == 13, (
        const.PROTOCOL_VERSION, const.RECORD_SIZE)
    assert records.EPOCH_FMT == "<BHHHbBBbH" and records.Epoch.FIELDS[-1] == FIELD
    assert const.MAX_MESSAGE_SIZE == 12 + 13 * 64 + 4
    ep = records.Epoch(5, 1000, 0, 12, 8, -35, 3, 0, 66, 750)
    assert records.Epoch(5, 1000).samples == DEFAULT  # the row's default
    ev = records.Event(6, 1010, 1, 3)
    f = frames.decode_message(frames.encode_frame([ep, ev]))
    assert f.records == [ep, ev] and f.records[0].samples == 750
    assert len(frames.encode_frame([ep])) == 12 + 13 + 4
    golden = json.loads((ROOT / "shared" / "vectors" / "golden.json").read_text())
    v1_frame = bytes.fromhex(golden["cases"][0]["hex"])  # written by a v1 device
    try:
        frames.decode_message(v1_frame)
        raise AssertionError("a v1 frame was decoded by a v2 companion")
    except VersionError as e:
        assert "v1" in str(e) and "update the wearable firmware" in str(e), str(e)
    try:
        frames.Status.decode(bytes([1]) + bytes(29))
        raise AssertionError("a v1 status was decoded by a v2 companion")
    except VersionError as e:
        assert "update the wearable firmware" in str(e), str(e)
    print("protocol: v2, 13-byte records, v1 peers refused with the version message")


def feature_records() -> list:
    """Two epochs through the device's feature code (wlfw.features via rawfeatures)."""
    from wlfw.rawfeatures import epochs_from_samples

    n = 25 * 30 * 2
    samples = array("h", [0, 0, 1000] * n)
    recs = list(epochs_from_samples(samples, rate_hz=25, epoch_s=30, start=1_767_300_000))
    assert [r.samples for r in recs] == [750, 750], [r.samples for r in recs]
    return recs


def check_log(expected: list[dict]) -> None:
    from wlfw.recordlog import MAGIC, MAGIC2, RecordLog
    from wlproto.const import RECORD_SIZE
    from wlproto.records import Epoch, unpack_record

    log_dir = str(WORK / "log")
    log = RecordLog(log_dir, chunk_records=8, epoch_s=30)  # boot: upgrades phase A's log
    assert log.oldest_seq == 0 and log.next_seq == len(expected), (log.oldest_seq,
                                                                    log.next_seq)

    def read_all() -> list:
        out, seq = [], 0
        buf = bytearray(64 * RECORD_SIZE)
        while seq < log.next_seq:
            first, n, base = log.read_into(seq, buf, 64)
            assert n > 0 and first == seq, (seq, first, n)
            out += [unpack_record(buf, k * RECORD_SIZE, first + k, base) for k in range(n)]
            seq = first + n
        return out

    got = read_all()
    for rec, want in zip(got, expected, strict=True):
        d = dict(zip(rec.FIELDS, rec.fields(), strict=True))
        if isinstance(rec, Epoch):
            assert d.pop(FIELD) == DEFAULT, d  # older records: the row's default
        assert d == {k: v for k, v in want.items() if k != "kind"}, (d, want)
    for name in Path(log_dir).iterdir():  # every chunk is in the new layout now
        data = name.read_bytes()
        assert data and data[0] in (MAGIC, MAGIC2) and MAGIC == 0xC7, (name, data[:1])
    new = feature_records()
    for r in new:
        log.append_record(r)
    log.append_event(1_767_300_070, 0, 1, 2)
    log.flush()
    log = RecordLog(log_dir, chunk_records=8, epoch_s=30)  # a reboot keeps everything
    after = read_all()
    assert after[:len(got)] == got and [r.samples for r in after[len(got):-1]] == [750, 750]
    print(f"log: {len(got)} records of a v1 log upgraded at boot, {len(new)} new epochs "
          "carry the field")


def check_upgrade_power_cuts(expected: list[dict]) -> None:
    """A power cut at every byte, rename and remove of the boot-time upgrade: the next
    boot finishes it and every record reads back."""
    import shutil

    sys.path.insert(0, str(ROOT))  # tests.firmware.fswrap (no wlproto or wlfw at the top)
    from tests.firmware.fswrap import CutFs, PowerCut
    from wlfw.recordlog import RecordLog
    from wlproto.const import RECORD_SIZE
    from wlproto.records import unpack_record

    pristine = WORK / "log"
    trial = WORK / "cut"
    total = None
    budget = 0
    while total is None or budget <= total:
        shutil.rmtree(trial, ignore_errors=True)
        shutil.copytree(pristine, trial)
        fs = CutFs(budget)
        try:
            RecordLog(str(trial), fs=fs, chunk_records=8, epoch_s=30)
            total = fs.steps  # the whole upgrade fit in the budget: the last trial
        except PowerCut:
            pass
        log = RecordLog(str(trial), chunk_records=8, epoch_s=30)  # the next boot
        assert log.next_seq == len(expected), (budget, log.next_seq)
        buf = bytearray(64 * RECORD_SIZE)
        first, n, base = log.read_into(0, buf, 64)
        got = [unpack_record(buf, k * RECORD_SIZE, first + k, base).fields()[:len(want) - 1]
               for k, want in zip(range(n), expected, strict=False)]
        assert (first, n) == (0, len(expected)), (budget, first, n)
        assert got == [tuple(w[k] for k in w if k != "kind") for w in expected], budget
        budget += 1
    print(f"log upgrade: cut at each of its {total} steps, the next boot finishes it")


def store_rows(store, table: str) -> list[dict]:
    from wearlog.store.reads import EXPORTS

    cols = EXPORTS[table][0]
    return [dict(zip(cols, r, strict=True)) for r in store.export_rows(table, "P-FIELD")]


def check_store(location, expected_old: int) -> None:
    """A database made before the field: migrated; new records keep it; CSV and upload."""
    from wearlog.export.csv_tables import write_csv
    from wearlog.store import Store
    from wearlog.web.schemas import EpochIn
    from wlproto.records import Epoch

    with Store(location) as s:
        rows = store_rows(s, "epochs")
        assert len(rows) == expected_old and all(r[FIELD] == DEFAULT for r in rows), rows[:2]
        recs = feature_records()
        for i, r in enumerate(recs):
            r.seq = 100 + i
        assert s.ingest(1, recs) == 2
        rows = store_rows(s, "epochs")
        assert [r[FIELD] for r in rows[-2:]] == [750, 750]
        out = io.StringIO()
        write_csv(s, "P-FIELD", "epochs", out)
        table = list(csv.DictReader(io.StringIO(out.getvalue())))
        assert FIELD in table[0] and [t[FIELD] for t in table[-2:]] == ["750", "750"]
        ep, _ev = s.records_since(1, 100, 10)  # what the upload client sends
        assert [e[FIELD] for e in ep] == [750, 750]
        schema = EpochIn.model_json_schema()["properties"][FIELD]
        assert (schema["minimum"], schema["maximum"]) == (0, 65535)
        model = EpochIn.model_validate(ep[0])
        assert Epoch(**model.model_dump()) == recs[0]  # the upload router's own step
        try:
            EpochIn.model_validate({**ep[0], FIELD: 70000})
            raise AssertionError("an out-of-range field passed the upload schema")
        except ValueError:
            pass
        if s.dialect == "postgresql":  # the views were recreated with the column
            n = s.conn.execute(f"SELECT COUNT(*) FROM timed_epochs WHERE {FIELD} = 750"
                               ).fetchone()[0]
            assert n == 2, n
    with Store.reader(location) as r:  # a read-only handle on the migrated database
        assert len(store_rows(r, "epochs")) == expected_old + 2


def check_readonly_refuses_unmigrated(path: Path) -> None:
    from wearlog.store import Store
    from wearlog.store.errors import StoreError

    try:
        Store.reader(path)
        raise AssertionError("a read-only handle opened a database lacking a field column")
    except StoreError as e:
        assert "record fields" in str(e) and "run any wearlog command" in str(e), str(e)


def check_backup(old_backup: Path) -> None:
    from wearlog.store import Store
    from wearlog.store.errors import BackupError

    live = WORK / "old.db"
    with Store(live) as s:
        s.backup(WORK / "new-backup.db")
        n = len(store_rows(s, "epochs"))
    with Store(WORK / "restored.db") as r:  # a new file: made with the column
        r.restore(WORK / "new-backup.db")
        rows = store_rows(r, "epochs")
        assert len(rows) == n and [x[FIELD] for x in rows[-2:]] == [750, 750]
    with Store(WORK / "restored-old.db") as r:  # a backup from before the field
        r.restore(old_backup)
        rows = store_rows(r, "epochs")
        assert rows and all(x[FIELD] == DEFAULT for x in rows)
    conn = sqlite3.connect(WORK / "new-backup.db")  # the row check reads the new row
    conn.execute(f"UPDATE epochs SET {FIELD} = 70000 WHERE seq = 100")
    conn.commit()
    conn.close()
    with Store(WORK / "restored-bad.db") as r:
        try:
            r.restore(WORK / "new-backup.db")
            raise AssertionError("a backup with an out-of-range field was restored")
        except BackupError as e:
            assert "impossible value" in str(e), str(e)
    print("backup: restored with the field; a pre-field backup restores with its default")


def check_any_logs() -> None:
    """Each log of WORK/logs.json (hypothesis-made by v1 firmware) boots, upgrades and
    serves every record it held, old fields unchanged and the new one at its default."""
    from wlfw.recordlog import RecordLog
    from wlproto.const import RECORD_SIZE
    from wlproto.records import Epoch, unpack_record

    def served(log) -> tuple[list, list]:  # type: ignore[no-untyped-def]
        recs, raw, seq = [], [], 0
        buf = bytearray(64 * RECORD_SIZE)
        while seq < log.next_seq:
            first, n, base = log.read_into(seq, buf, 64)
            assert n > 0 and first == seq, (log.dir, seq, first, n)
            recs += [unpack_record(buf, k * RECORD_SIZE, first + k, base) for k in range(n)]
            raw.append((first, base, bytes(buf[:n * RECORD_SIZE])))
            seq = first + n
        return recs, raw

    cases = json.loads((WORK / "logs.json").read_text())
    for i, case in enumerate(cases):
        log = RecordLog(case["dir"], chunk_records=case["chunk"], epoch_s=30)
        got, got_raw = served(log)
        # the same records written by the new firmware serve the same bytes (padding too)
        (WORK / f"ref{i}").mkdir()
        ref = RecordLog(str(WORK / f"ref{i}"), chunk_records=case["chunk"], epoch_s=30)
        for kind, _seq, t, flags, *vals in case["records"]:
            (ref.append_epoch(t, flags, *vals, DEFAULT) if kind == "e"
             else ref.append_event(t, flags, *vals))
        ref.flush()
        assert served(ref)[1] == got_raw, case["dir"]
        assert len(got) == len(case["records"]), (case["dir"], len(got))
        for rec, want in zip(got, case["records"], strict=True):
            vals = list(rec.fields())
            if isinstance(rec, Epoch):
                assert vals.pop() == DEFAULT, (case["dir"], vals)
            assert vals == want[1:], (case["dir"], vals, want)
    print(f"any logs: {len(cases)} v1 logs upgraded, every record kept")


def main() -> None:
    if PG_URL == "logs":
        check_any_logs()
        print("ok")
        return
    expected = json.loads((WORK / "expected.json").read_text())
    check_protocol()
    check_upgrade_power_cuts(expected["log"])
    check_log(expected["log"])
    check_readonly_refuses_unmigrated(WORK / "readonly.db")
    check_store(WORK / "old.db", expected["epochs"])
    check_backup(WORK / "old-backup.db")
    if PG_URL != "-":
        check_store(PG_URL, expected["epochs"])
        print("postgresql: migrated, views recreated, field stored and exported")
    print("ok")


if __name__ == "__main__":
    main()
