"""Raw research-device files through actipy and the firmware's feature code.

actipy is not a Wearlog dependency (academic non-commercial licence, needs Java): without
it the import says so in one line; with it (installed by the researcher) a GENEActiv .bin
written by geneactiv_bin.py goes through the same feature code as a raw CSV.
"""

from __future__ import annotations

import datetime as dt
import math
import shutil
import sys
from array import array
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.companion.geneactiv_bin import write_bin
from wearlog.cli import main
from wearlog.store import Store

RATE = 50
START = dt.datetime(2026, 3, 1, 22, 0, 0)  # a whole 30 s: epochs start at the first sample


def signal(seconds: int) -> list[tuple[float, float, float]]:
    out = []
    for i in range(seconds * RATE):
        if i >= 60 * RATE:  # arm swinging ~2 Hz
            ph = 2 * math.pi * 2 * i / RATE
            out.append((0.6 * math.sin(ph), 0.3, 0.8 + 0.5 * math.cos(ph)))
        else:
            out.append((0.0, 0.05, 0.99))
    return out


def test_without_actipy_the_import_says_what_to_do(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "actipy", None)  # as if not installed
    p = write_bin(tmp_path / "g.bin", START, RATE, signal(60))
    db = tmp_path / "d.db"
    res = CliRunner().invoke(main, ["import", str(p), "--format", "device", "--patient", "G-1",
                                    "--tz", "UTC", "--db", str(db)])
    assert res.exit_code == 1 and "Traceback" not in res.output
    assert "needs actipy" in res.output and "--format raw" in res.output
    s = Store(db)
    assert s.counts()["patients"] == 0
    s.close()


@pytest.mark.skipif(shutil.which("java") is None, reason="actipy needs Java")
def test_geneactiv_bin_through_actipy_gives_the_firmware_epochs(tmp_path: Path) -> None:
    pytest.importorskip("actipy", reason="actipy is installed separately (licence)")
    from wearlog.imports.device_raw import import_device_file
    from wlfw.rawfeatures import epochs_from_samples

    xyz = signal(120)
    p = write_bin(tmp_path / "g.bin", START, RATE, xyz)
    s = Store(tmp_path / "d.db")
    r = import_device_file(s, "G-1", p, tz="UTC")
    assert r.kind == "import-raw" and r.rows == 4
    got = s.conn.execute("SELECT time, flags, enmo_dmg, mad_dmg, zangle_deg, dangle_ddeg, "
                         "steps FROM epochs ORDER BY seq").fetchall()
    # the file stores 12-bit values at 256 per g: compare with the same quantised samples
    q = array("h", [round(round(v * 256) / 256 * 1000) for row in xyz for v in row])
    t0 = int(START.replace(tzinfo=dt.UTC).timestamp())
    want = [e.fields()[1:8] for e in epochs_from_samples(q, RATE, 30, 1000, t0)]
    assert got == want
    assert got[0][2] < 100 < got[-1][2]
    s.close()
