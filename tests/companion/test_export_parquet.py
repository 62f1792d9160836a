"""Parquet research export: DuckDB reads the files as-is, with every row and value."""

from __future__ import annotations

import duckdb
import pytest
from click.testing import CliRunner

from wearlog.cli import main
from wearlog.export.parquet import TABLES, write_parquet
from wearlog.store import Store
from wearlog.testing.database import make_patient
from wlproto.const import EV_SYMPTOM
from wlproto.records import Event

END = 1_795_000_000


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("pq") / "w.db"
    with Store(path) as s:
        make_patient(s, "P-1", 1, 6, seed=3, end_utc=END, diary_days=5)
        first = s.diary_between("P-1")[0]
        s.save_diary("P-1", [{**first, "note": "Flare, \"bad\" day; ünïcode ✓",
                              "stiffness_min": None, "updated_utc": END}])
        make_patient(s, "P-2", 2, 3, seed=4, end_utc=END)
        s.ingest(2, [Event(10**6 + i, END - 3600 * (i + 1), EV_SYMPTOM, 4) for i in range(3)])
        n0 = s.nights_between("P-2", "0000-01-01", "9999-12-31")[0]
        night, bed = n0["night"], n0["onset_utc"]
        s.save_corrections("P-2", [
            {"night": night, "bed_utc": bed - 1800, "up_utc": bed + 8 * 3600,
             "updated_utc": END},
            {"night": "2000-01-01", "bed_utc": 946_760_400, "up_utc": 946_789_200,
             "removed": 1, "updated_utc": END}])
        s.add_patient("P-EMPTY")
    return path


def scan(out, table):
    return f"read_parquet('{out}/{table}/*/*.parquet', hive_partitioning=true)"


def test_duckdb_reads_every_row_and_value(db, tmp_path):
    out = tmp_path / "cohort"
    r = CliRunner().invoke(main, ["export", "--format", "parquet", str(out), "--db", str(db)])
    assert r.exit_code == 0, r.output
    con = duckdb.connect()
    with Store.reader(db) as s:
        for table in TABLES:
            for pid in ("P-1", "P-2", "P-EMPTY"):
                want = list(s.export_rows(table, pid))
                got = con.execute(f"SELECT COUNT(*) FROM {scan(out, table)} "
                                  "WHERE patient_id = ?", [pid]).fetchone()[0]
                assert got == len(want), (table, pid)
        assert con.execute(f"SELECT COUNT(*) FROM {scan(out, 'epochs')}").fetchone()[0] \
            == s.filed_counts("P-1")["epochs"] + s.filed_counts("P-2")["epochs"] > 0
        # values: one epoch, one symptom event, one night, one day, compared field by field
        cols = s.export_columns("epochs")
        first = next(iter(s.export_rows("epochs", "P-2")))
        row = con.execute(f"SELECT {', '.join(cols)}, epoch(ts) FROM {scan(out, 'epochs')} "
                          "WHERE patient_id='P-2' ORDER BY device_id, seq LIMIT 1").fetchone()
        assert row[:-1] == first and row[-1] == first[cols.index("utc")]
        assert con.execute(f"SELECT COUNT(*), MAX(value) FROM {scan(out, 'events')} "
                           f"WHERE patient_id='P-2' AND etype={EV_SYMPTOM} "
                           "AND seq >= 1000000").fetchone() == (3, 4)
        night = s.nights_between("P-1", "0000-01-01", "9999-12-31")[-1]
        got = con.execute(f"SELECT tst_min, se_pct, valid FROM {scan(out, 'nights')} "
                          "WHERE patient_id='P-1' AND night=?", [night["night"]]).fetchone()
        assert got == (night["tst_min"], night["se_pct"], night["valid"])
        day = s.days_between("P-2", "0000-01-01", "9999-12-31")[0]
        assert con.execute(f"SELECT steps, wear_min FROM {scan(out, 'days')} WHERE "
                           "patient_id='P-2' AND day=?", [day["day"]]).fetchone() \
            == (day["steps"], day["wear_min"])
        # the wearer's diary, value by value (a NULL stiffness and a quoted note too)
        diary = s.diary_between("P-1")
        assert len(diary) >= 4
        cols = ("day", "pain", "fatigue", "sleep_quality", "mood", "stiffness_min", "note",
                "updated_utc")
        got = con.execute(f"SELECT {', '.join(cols)} FROM {scan(out, 'diary_entries')} "
                          "WHERE patient_id='P-1' ORDER BY day").fetchall()
        assert got == [tuple(d[c] for c in cols) for d in diary]
        assert got[0][5] is None and got[0][6] == 'Flare, "bad" day; ünïcode ✓'
        # the night corrections, the undone one kept and marked removed
        got = con.execute(f"SELECT night, bed_utc, up_utc, removed FROM "
                          f"{scan(out, 'night_corrections')} WHERE patient_id='P-2' "
                          "ORDER BY night").fetchall()
        assert got == [("2000-01-01", 946_760_400, 946_789_200, 1),
                       *[(c["night"], c["bed_utc"], c["up_utc"], 0)
                         for c in s.corrections_of("P-2")]]
        assert len(got) == 2
    # every file of a table has the same documented schema (an empty patient's too)
    for table in TABLES:
        types = {tuple(con.execute(f"DESCRIBE SELECT * FROM read_parquet('{f}')").fetchall())
                 for f in (out / table).glob("*/*.parquet")}
        assert len(types) == 1, table


def test_export_of_one_patient_and_unknown_patient(db, tmp_path):
    with Store(db) as s:
        counts = write_parquet(s, tmp_path / "one", ["P-2"])
        assert counts["epochs"] == s.filed_counts("P-2")["epochs"]
        assert sorted(p.name for p in (tmp_path / "one" / "epochs").iterdir()) \
            == ["patient_id=P-2"]
    r = CliRunner().invoke(main, ["export", "--format", "parquet", str(tmp_path / "x"),
                                  "--patient", "P-NOPE", "--db", str(db)])
    assert r.exit_code == 1 and "P-NOPE" in r.output and "Traceback" not in r.output
    assert not (tmp_path / "x" / "epochs").exists()
