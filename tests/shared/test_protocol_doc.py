"""shared/PROTOCOL.md is checked against the code: tables, formats and the worked example."""

from __future__ import annotations

import json
import re
import struct
from pathlib import Path

import pytest

from wlproto import const as C
from wlproto import errors, frames, records

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "shared" / "PROTOCOL.md").read_text()
TYPES = {"u8": "B", "i8": "b", "u16": "H", "u32": "I"}


def section(title: str) -> str:
    m = re.search(rf"^#+ {re.escape(title)}\n(.*?)(?=^#+ |\Z)", DOC, re.S | re.M)
    assert m, f"PROTOCOL.md has no section {title!r}"
    return m.group(1)


def table(text: str) -> list[list[str]]:
    rows = [ln for ln in text.splitlines() if ln.startswith("|")]
    out = []
    for ln in rows[2:]:  # skip header and separator
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", ln.strip())[1:-1]]
        out.append(cells)
    return out


def doc_value(v: str) -> int | str:
    return int(v, 0) if re.fullmatch(r"0x[0-9a-fA-F]+|\d+", v) else v


def name_value_rows() -> list[tuple[str, str]]:
    out = []
    for ln in DOC.splitlines():
        m = re.match(r"^\| ([A-Z][A-Z0-9_]+) \| ([^|]+?) \|", ln)
        if m and m.group(1) not in ("UUID",):
            out.append((m.group(1), m.group(2)))
    return out


@pytest.mark.parametrize("name,value", name_value_rows())
def test_constant_tables_match_code(name: str, value: str) -> None:
    if not hasattr(C, name):
        pytest.fail(f"PROTOCOL.md names {name}, which wlproto.const does not define")
    assert getattr(C, name) == doc_value(value), name


def test_every_opcode_status_flag_and_event_is_documented() -> None:
    documented = {n for n, _ in name_value_rows()}
    for name in dir(C):
        if re.match(r"^(OP|ST|EV|FLAG|STATUS_FLAG|SEG)_", name) and name != "FLAG_ALL":
            assert name in documented, f"{name} is in the code but not in PROTOCOL.md"


@pytest.mark.parametrize("title,fmt", [
    ("Epoch record", records.EPOCH_FMT),
    ("Event record", records.EVENT_FMT),
    ("Frame header (records and end frames)", frames.FRAME_HEADER_FMT),
    ("Reply header", frames.REPLY_HEADER_FMT),
    ("Status struct", frames.STATUS_FMT),
])
def test_layout_tables_match_struct_formats(title: str, fmt: str) -> None:
    text = section(title)
    assert f"`{fmt}`" in text, f"{title}: format {fmt} not stated"
    rows = [r for r in table(text) if len(r) == 4 and r[0].isdigit()]
    assert rows, f"{title}: no layout table"
    offset = 0
    built = "<"
    for off, field, typ, _ in rows:
        assert int(off) == offset, f"{title}.{field}: offset {off}, expected {offset}"
        built += TYPES[typ]
        offset += struct.calcsize("<" + TYPES[typ])
    assert built == fmt
    assert offset == struct.calcsize(fmt)


def test_error_table_matches_exception_classes() -> None:
    rows = table(section("Errors"))
    names = {r[0] for r in rows}
    for name in names:
        assert issubclass(getattr(errors, name), ValueError)
    code = {n for n in dir(errors) if n.endswith("Error") and n != "ProtocolError"}
    assert names == code


def test_worked_example_is_the_golden_vector() -> None:
    block = section("Worked example").split("```")[1]
    first_line = block.strip().splitlines()[0]
    hexstr = re.sub(r"[^0-9a-f]", "", first_line)
    golden = json.loads((ROOT / "shared" / "vectors" / "golden.json").read_text())
    case = next(c for c in golden["cases"] if c["name"] == "one_epoch_sleeping")
    assert hexstr == case["hex"]


def test_frame_size_formula() -> None:
    assert "`16 + 11 n`" in DOC
    assert C.FRAME_HEADER_SIZE + C.CRC_SIZE == 16 and C.RECORD_SIZE == 11


def test_uuids_in_doc_match_code() -> None:
    for name in ("SERVICE_UUID", "CONTROL_UUID", "DATA_UUID", "STATUS_UUID"):
        assert f"| {name} | {getattr(C, name)} |" in DOC
