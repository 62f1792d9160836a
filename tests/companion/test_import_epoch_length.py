"""A file-ingested device is registered with the epoch length of the epochs it stores, by
every importer alike, and the companion has one epoch-length constant (wlproto's EPOCH_S,
where a default is needed; a paired or imported device's own is devices.epoch_s)."""

from __future__ import annotations

import ast
import csv
import math
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import wearlog
from wearlog.imports import import_awd, import_epoch_csv, import_raw_csv
from wearlog.store import Store
from wlproto.const import EPOCH_S

T0 = 1_780_000_020  # on the UTC grid of EPOCH_S and of whole minutes
SHORT = [d for d in range(1, EPOCH_S) if EPOCH_S % d == 0]  # aggregated to EPOCH_S
LONG = [EPOCH_S * k for k in (1, 2, 4, 10)]  # stored as they are


def stored(store: Store, device_id: int) -> tuple[int, list[int]]:
    """(the device's registered epoch length, the times of its stored epochs)."""
    epoch_s = store.device(device_id)["epoch_s"]
    times = [t for (t,) in store.conn.execute(
        "SELECT utc FROM timed_epochs WHERE device_id=? ORDER BY utc", (device_id,))]
    return epoch_s, times


def write_epoch_csv(path: Path, spacing: int, n: int, skip: frozenset[int] = frozenset()) -> Path:
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["timestamp", "enmo", "counts"])
        w.writerows([T0 + spacing * i, 20 + i % 9, i % 5] for i in range(n) if i not in skip)
    return path


def check_grid(epoch_s: int, times: list[int]) -> None:
    assert times and all(t % epoch_s == T0 % epoch_s for t in times)
    assert min(b - a for a, b in zip(times, times[1:], strict=False)) == epoch_s


@settings(max_examples=15, deadline=None)
@given(spacing=st.sampled_from(SHORT + LONG), n=st.integers(2, 200),
       skip=st.frozensets(st.integers(1, 198), max_size=20))
def test_an_epoch_csv_device_has_the_length_of_what_it_stores(
        spacing: int, n: int, skip: frozenset[int]) -> None:
    with tempfile.TemporaryDirectory() as d:
        p = write_epoch_csv(Path(d) / "e.csv", spacing, n, skip)
        with Store(Path(d) / "e.db") as s:
            r = import_epoch_csv(s, "E-1", p, tz="UTC")
            epoch_s, times = stored(s, r.device_id)
    assert epoch_s == r.epoch_s == max(spacing, EPOCH_S)
    assert r.source_epoch_s == spacing
    if len(times) > 1:
        check_grid(epoch_s, times)
    # nothing lost: every row is a stored epoch, or falls in exactly one when aggregated
    rows = [T0 + spacing * i for i in range(n) if i not in skip]
    assert times == (rows if spacing >= EPOCH_S
                     else sorted({t // EPOCH_S * EPOCH_S for t in rows}))


@pytest.mark.parametrize("code, spacing", [("1", 15), ("2", 30), ("4", 60), ("8", 120)])
def test_an_awd_device_has_the_length_of_what_it_stores(
        tmp_path: Path, code: str, spacing: int) -> None:
    p = tmp_path / "x.AWD"
    p.write_text("\n".join(["s", "02-Mar-2026", "22:00", code, "40", "L0123", "F"]
                           + [str(i % 7) for i in range(40)]))
    with Store(tmp_path / "a.db") as s:
        r = import_awd(s, "A-1", p, tz="UTC")
        epoch_s, times = stored(s, r.device_id)
    assert epoch_s == r.epoch_s == max(spacing, EPOCH_S) and r.source_epoch_s == spacing
    assert len(times) == math.ceil(40 * spacing / epoch_s)
    assert all(b - a == epoch_s for a, b in zip(times, times[1:], strict=False))


def test_a_raw_csv_device_has_the_firmware_epoch(tmp_path: Path) -> None:
    p = tmp_path / "raw.csv"
    rate = 25
    with p.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["t", "x", "y", "z"])
        w.writerows([f"{T0 + i / rate:.3f}", "0.0", "0.0", "1.0"] for i in range(rate * 130))
    with Store(tmp_path / "r.db") as s:
        r = import_raw_csv(s, "R-1", p, tz="UTC")
        epoch_s, times = stored(s, r.device_id)
    assert epoch_s == r.epoch_s == EPOCH_S and len(times) == 4
    check_grid(epoch_s, times)


def test_one_patient_two_lengths_two_devices(tmp_path: Path) -> None:
    """Files of one patient at 30 and 60 s: each length its own device, each registered
    with its own; a third file at 10 s lands on the 30-s device (aggregated to 30 s)."""
    with Store(tmp_path / "m.db") as s:
        a = import_epoch_csv(s, "M-1", write_epoch_csv(tmp_path / "a.csv", 30, 50), tz="UTC")
        b = import_epoch_csv(s, "M-1", write_epoch_csv(tmp_path / "b.csv", 60, 50))
        c = import_epoch_csv(s, "M-1", write_epoch_csv(tmp_path / "c.csv", 10, 600))
        assert a.device_id != b.device_id and c.device_id == a.device_id
        assert [s.device(x.device_id)["epoch_s"] for x in (a, b, c)] == [30, 60, 30]


def test_one_epoch_length_constant() -> None:
    """No module of the companion declares its own epoch length: a default comes from
    wlproto.const.EPOCH_S (a new `STORE_EPOCH_S = 30` makes this fail)."""
    found = []
    root = Path(wearlog.__file__).parent
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            targets = (node.targets if isinstance(node, ast.Assign)
                       else [node.target] if isinstance(node, ast.AnnAssign) else [])
            value = getattr(node, "value", None)
            for t in targets:
                if (isinstance(t, ast.Name) and "EPOCH" in t.id and t.id.endswith("_S")
                        and isinstance(value, ast.Constant) and isinstance(value.value, int)):
                    found.append(f"{path.relative_to(root)}:{node.lineno}: {t.id}")
    assert found == []
