"""AWD (Actiwatch) import, and rhythm of imported counts against pyActigraphy.

The recordings are pyActigraphy's own examples, read from its PyPI wheel at test time.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from wearlog.imports import BadCsvError, count_rhythm, import_awd, read_awd
from wearlog.store import Store

REF = json.loads((Path(__file__).parent / "reference" / "pyactigraphy_reference.json")
                 .read_text())["recordings"]
METRICS = ("IS", "IV", "L5", "M10", "RA")


@pytest.mark.parametrize("name", sorted(REF))
def test_import_path_rhythm_matches_pyactigraphy_within_1_percent(
        tmp_path: Path, pyact_awd: dict[str, Path], name: str) -> None:
    s = Store(tmp_path / "a.db")
    res = import_awd(s, "A-1", pyact_awd[name], tz="UTC")
    assert res.kind == "import-counts" and res.epoch_s == 60 and res.new == REF[name]["n"]
    ours = count_rhythm(s, "A-1", partial_days=True)
    for k in METRICS:
        assert ours[k] == pytest.approx(REF[name][k], rel=0.01), k
    # the default keeps whole local days only: a different, documented convention
    default = count_rhythm(s, "A-1")
    assert default["partial_days"] is False and default["n_days"] < ours["n_days"]
    s.close()


def test_awd_header_and_epoch_codes(tmp_path: Path) -> None:
    p = tmp_path / "x.AWD"
    body = "\r\n".join(["Zoë", "02-Mar-2026", "22:00", " 1 ", "40", "L0123", "F"]
                       + [f"{i % 7} 12.5 M" if i == 3 else f"{i % 7}" for i in range(8)])
    p.write_bytes(body.encode("latin-1"))  # Windows software writes the name in Latin-1
    start, epoch_s, counts = read_awd(p)
    assert (start.hour, start.minute, epoch_s) == (22, 0, 15)
    assert counts[3] == (11, 3) and len(counts) == 8
    s = Store(tmp_path / "x.db")
    r = import_awd(s, "A-2", p, tz="UTC")
    # 15-s epochs are summed into 30-s ones: 0+1, 2+3, 4+5, 6+0
    assert (r.epoch_s, r.source_epoch_s, r.rows) == (30, 15, 4)
    got = [c for (c,) in s.conn.execute("SELECT counts FROM epochs ORDER BY seq")]
    assert got == [1, 5, 9, 6]
    s.close()


def test_bad_awd_says_where_and_stores_nothing(tmp_path: Path) -> None:
    p = tmp_path / "bad.AWD"
    p.write_text("\n".join(["s", "02-Mar-2026", "22:00", "4", "40", "V1", "F", "3", "x7", "2"]))
    s = Store(tmp_path / "b.db")
    with pytest.raises(BadCsvError, match="line 9"):
        import_awd(s, "A-3", p, tz="UTC")
    p.write_text("\n".join(["s", "2026-03-02", "22:00", "4", "40", "V1", "F", "3", "7"]))
    with pytest.raises(BadCsvError, match="line 2"):
        import_awd(s, "A-3", p, tz="UTC")
    assert s.counts()["patients"] == 0 and s.counts()["epochs"] == 0
    s.close()
