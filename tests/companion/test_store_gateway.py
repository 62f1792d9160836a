"""store/ is the only gateway to the database: no SQL statement and no sqlite3 connection
anywhere else in the package (a new one makes this test fail)."""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

import wearlog

ROOT = Path(wearlog.__file__).parent
SQL = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE|REPLACE|CREATE|ALTER|DROP|PRAGMA|BEGIN|"
                 r"COMMIT|ROLLBACK|ATTACH|WITH)\b")
SQL_ANYWHERE = re.compile(r"\b(SELECT\s.+\sFROM|INSERT\s+(OR\s+\w+\s+)?INTO|UPDATE\s+\w+\s+SET|"
                          r"DELETE\s+FROM|CREATE\s+(TABLE|INDEX))\b", re.DOTALL)
CALLS = re.compile(r"\.(execute|executemany|executescript)\(|sqlite3\.connect\(|"
                   r"sqlite_utils\.Database\(")


def offenders() -> list[str]:
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT)
        if rel.parts[0] == "store":
            continue
        text = path.read_text()
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type == tokenize.STRING:
                body = tok.string.strip("rbfuRBFU").strip("'\"")
                if (SQL.match(body) and " " in body.strip()) or SQL_ANYWHERE.search(body):
                    found.append(f"{rel}:{tok.start[0]}: SQL in a string")
        for n, line in enumerate(text.splitlines(), 1):
            if CALLS.search(line):
                found.append(f"{rel}:{n}: database call outside store/")
    return found


def test_no_sql_outside_store() -> None:
    assert offenders() == []


def test_the_check_catches_sql(tmp_path: Path) -> None:
    sample = 'x = conn.execute("SELECT a FROM b WHERE c=?", (1,))\n'
    toks = [t.string for t in tokenize.generate_tokens(io.StringIO(sample).readline)
            if t.type == tokenize.STRING]
    assert SQL.match(toks[0].strip("'\"")) and CALLS.search(sample)
