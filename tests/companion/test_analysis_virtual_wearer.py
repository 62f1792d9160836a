"""The whole chain on the real firmware: virtual wearer -> unchanged firmware (host port)
-> records -> store -> analysis, scored against the wearer's ground truth."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from wearlog.analysis import AnalysisConfig, analyse_patient
from wearlog.analysis.nonwear import detect_nonwear
from wearlog.analysis.sleep import sustained_inactivity
from wearlog.analysis.timeline import load_timeline
from wearlog.store import Store

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def analysed(tmp_path_factory: pytest.TempPathFactory):
    from wearlog.virtual.hostport import run_wearer

    d = tmp_path_factory.mktemp("vw")
    run = run_wearer(days=3, seed=11, log_dir=d / "log", nap_chance=1.0)
    s = Store(d / "w.db")
    s.add_patient("V-1", "UTC")
    s.add_device(1, "V-1")
    s.ingest(1, run.records())
    out = analyse_patient(s, "V-1")
    yield run.truth, s, out
    s.close()


def test_nights_follow_the_bed_and_up_presses(analysed) -> None:
    truth, _, out = analysed
    nights = [n for n in out.nights if n["valid"]]
    assert len(nights) == len(truth.in_bed) >= 2
    for n, (bed, up) in zip(nights, truth.in_bed, strict=True):
        assert n["source"] == "markers"
        assert abs(n["onset_utc"] - (truth.start_utc + bed)) <= 60
        # the wearer presses "up" 40 s before getting up; markers fall on 30-s epochs
        assert abs(n["offset_utc"] - (truth.start_utc + up)) <= 90
        i, j = int(bed // 30), int(up // 30)
        truth_tst = truth.asleep[i:j].sum() / 2
        assert n["tst_min"] == pytest.approx(truth_tst, abs=30)


def test_epoch_sleep_and_wear_agree_with_truth(analysed) -> None:
    truth, s, _ = analysed
    tl = load_timeline(s, "V-1")
    cfg = AnalysisConfig()
    off = (tl.start - truth.start_utc) // 30
    assert off == 0
    n = min(tl.n, truth.epochs)
    worn = ~detect_nonwear(tl, cfg)[:n]
    assert np.mean(worn == truth.worn[:n]) >= 0.95
    sib = sustained_inactivity(tl, ~detect_nonwear(tl, cfg), cfg)[:n]
    in_bed = np.zeros(n, dtype=bool)
    for a, b in truth.in_bed:
        in_bed[int(a // 30):int(b // 30)] = True
    assert np.mean(sib[in_bed] == truth.asleep[:n][in_bed]) >= 0.85


def test_naps_found_and_sitting_still_not_called_a_nap(analysed) -> None:
    truth, _, out = analysed
    n = truth.epochs
    in_bed = np.zeros(n, dtype=bool)
    for a, b in truth.in_bed:
        in_bed[int(a // 30):int(b // 30)] = True
    nap = truth.asleep & ~in_bed
    for d in out.days:
        day0 = int((dt.datetime.fromisoformat(d["day"]).replace(tzinfo=dt.UTC).timestamp()
                    - truth.start_utc) // 30)
        lo, hi = max(day0, 0), min(day0 + 2880, n)
        assert d["nap_min"] == pytest.approx(nap[lo:hi].sum() / 2, abs=15), d["day"]
    assert sum(d["nap_min"] for d in out.days) > 0
