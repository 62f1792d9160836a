"""Sleep from activity counts alone (no angle, no ENMO): Tudor-Locke 2014 periods, Cole-Kripke
within, Choi 2011 non-wear; hand-made inputs, independent of ../shared/data (the ICHI14
figures are bench.validate's job)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from wearlog.analysis import AnalysisConfig, analyse_patient
from wearlog.analysis.counts import crespo, tudor_locke_periods
from wearlog.analysis.nonwear import detect_nonwear
from wearlog.analysis.runs import runs
from wearlog.analysis.sleep import count_sleep_cells
from wearlog.analysis.timeline import load_timeline
from wearlog.imports.common import import_seq
from wearlog.imports.save import ParsedImport, save
from wearlog.store import Store
from wlproto.records import Epoch

EVENING = int(dt.datetime(2026, 3, 1, 18, tzinfo=dt.UTC).timestamp())


def test_tudor_locke_bedtime_wake_time_and_minimum_length() -> None:
    s = np.zeros(600, dtype=bool)
    s[100:104] = True  # 4 sleep minutes: no bedtime yet
    s[110:300] = True
    s[300:309] = False  # 9 wake minutes do not end the period
    s[309:400] = True
    # 10 wake minutes from 400 end it; 450..600 is 150 min: under 160, dropped
    s[450:600] = True
    assert tudor_locke_periods(s) == [(110, 400)]
    assert tudor_locke_periods(s, min_len=150) == [(110, 400), (450, 600)]


def _store_counts(tmp_path: Path, per_min: np.ndarray, epoch_s: int = 60) -> Store:
    s = Store(tmp_path / "c.db")
    recs, counts = [], {}
    for i, c in enumerate(per_min):
        t = EVENING + i * epoch_s
        recs.append(Epoch(import_seq(t, epoch_s), t, 0, 0, 0, 0, 0, 0))
        counts[import_seq(t, epoch_s)] = int(c)
    save(s, "C-1", ParsedImport("c.csv", "import-counts", epoch_s, recs, counts,
                                fingerprint="c"), "UTC")
    return s


def test_choi_non_wear_tolerates_a_two_minute_spike_but_not_more(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    x = rng.integers(200, 2000, 600)
    x[100:200] = 0
    x[150:152] = 40  # a 2-min spike with 50 and 48 zero minutes either side
    x[300:380] = 0  # 80 min of zeros: too short
    x[450:560] = 0
    x[500:503] = 40  # a 3-min spike splits 110 min into two runs under 90
    s = _store_counts(tmp_path, x)
    tl = load_timeline(s, "C-1")
    assert tl is not None
    nw = detect_nonwear(tl, AnalysisConfig())[::2]  # minutes on the 30-s grid
    assert nw[100:200].all()
    assert not nw[300:380].any() and not nw[450:560].any()
    s.close()


def test_a_night_of_counts_gets_a_period_and_sleep(tmp_path: Path) -> None:
    """18:00 to 12:00: active by day (200-2000 counts a minute), asleep 23:00-07:00 (0-30,
    never 90 zero minutes in a row), one 20-min awakening at 03:00."""
    rng = np.random.default_rng(1)
    x = rng.integers(200, 2000, 18 * 60)
    x[5 * 60:13 * 60] = rng.integers(1, 30, 8 * 60)
    x[9 * 60:9 * 60 + 20] = rng.integers(300, 1500, 20)
    s = _store_counts(tmp_path, x)
    out = analyse_patient(s, "C-1")
    (night,) = [n for n in out.nights if n["onset_utc"] is not None]
    assert night["source"] == "counts" and night["valid"], night
    assert abs(night["onset_utc"] - (EVENING + 5 * 3600)) <= 10 * 60
    assert abs(night["offset_utc"] - (EVENING + 13 * 3600)) <= 10 * 60
    assert 7 * 60 - 30 <= night["tst_min"] <= 8 * 60 - 10  # the awakening is wake
    assert night["waso_min"] >= 15
    s.close()


def test_thirty_second_counts_are_summed_into_minutes(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    x = rng.integers(100, 1000, 18 * 120)
    x[5 * 120:13 * 120] = rng.integers(0, 15, 8 * 120)
    s = _store_counts(tmp_path, x, epoch_s=30)
    out = analyse_patient(s, "C-1")
    (night,) = [n for n in out.nights if n["onset_utc"] is not None]
    assert night["source"] == "counts"
    assert abs(night["tib_min"] - 8 * 60) <= 20
    s.close()


def test_periods_closer_than_the_gap_are_joined_before_the_length_rule() -> None:
    s = np.zeros(600, dtype=bool)
    s[100:200] = True
    s[230:330] = True  # 30 wake minutes between two 100-min periods
    assert tudor_locke_periods(s) == []  # as published: both under 160 min
    assert tudor_locke_periods(s, merge_gap=60) == [(100, 330)]


def _week_of_counts(seed: int = 3) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """Seven days of minute counts from 18:00: active (200-2000) by day, rest 23:00-07:00
    (0-30, never 15 zero minutes in a row), with the rest minutes (start, stop)."""
    rng = np.random.default_rng(seed)
    x = rng.integers(200, 2000, 7 * 1440).astype(float)
    rests = []
    for d in range(7):
        a, b = d * 1440 + 5 * 60, d * 1440 + 13 * 60
        if b <= len(x):
            x[a:b] = rng.integers(1, 30, b - a)
            rests.append((a, b))
    return x, rests


def test_crespo_finds_every_rest_of_a_week_including_the_edges() -> None:
    """Crespo et al. 2012 with the paper's parameters: one rest run per night, each within
    30 min of the truth, the first night (5 h after the recording starts) too."""
    x, truth = _week_of_counts()
    found = runs(crespo(x))
    assert len(found) == len(truth)
    for (a, b), (ta, tb) in zip(found, truth, strict=True):
        assert abs(a - ta) <= 30 and abs(b - tb) <= 30, ((a, b), (ta, tb))


def test_crespo_on_a_single_night_calls_about_alpha_over_24_h_rest() -> None:
    """The documented limit: the rank-order threshold (the alpha/24 h quantile) assumes
    whole days, so a 10-h recording of one 8-h night gets only part of the night as rest."""
    rng = np.random.default_rng(4)
    x = rng.integers(200, 2000, 600).astype(float)
    x[60:540] = rng.integers(1, 30, 480)
    rest = crespo(x)
    assert rest.any() and not rest[:60].any() and not rest[540:].any()
    assert rest.sum() < 0.8 * 480  # the night is cut short


def test_a_crespo_night_depends_only_on_data_within_its_context(tmp_path: Path) -> None:
    """Bounded dependency (incremental refresh): changing counts more than
    crespo_context_h away from a night's noon-to-noon window leaves that night alone."""
    x, _ = _week_of_counts()
    cfg = AnalysisConfig(counts_period_method="crespo")
    rows = {}
    for k, series in enumerate((x, np.concatenate([x[:-1440], x[-1440:][::-1] * 3]))):
        d = tmp_path / str(k)
        d.mkdir()
        s = _store_counts(d, series)
        out = analyse_patient(s, "C-1", cfg)
        rows[k] = {n["night"]: n for n in out.nights}
        s.close()
    # the change lies in the last day: nights ending > 24 h before it are untouched
    first = sorted(rows[0])[:3]
    for night in first:
        assert rows[0][night]["onset_utc"] == rows[1][night]["onset_utc"], night
        assert rows[0][night]["tst_min"] == rows[1][night]["tst_min"], night
    valid = [n for n in rows[0].values() if n["valid"]]
    assert len(valid) >= 5 and all(n["source"] == "counts" for n in valid)


@pytest.mark.parametrize("method", ["cole-kripke", "cole-kripke-actilife", "sadeh"])
def test_each_counts_sleep_method_scores_the_night(tmp_path: Path, method: str) -> None:
    """The documented counts_sleep_method options all find the 23:00-07:00 night; ActiLife's
    scaling (counts / 100) calls more sleep than Cole's (counts / 30) on the same counts."""
    rng = np.random.default_rng(5)
    x = rng.integers(200, 2000, 18 * 60)
    x[5 * 60:13 * 60] = rng.integers(1, 30, 8 * 60)
    x[9 * 60:9 * 60 + 30] = rng.integers(60, 200, 30)  # restless half hour
    s = _store_counts(tmp_path, x)
    out = analyse_patient(s, "C-1", AnalysisConfig(counts_sleep_method=method))
    (night,) = [n for n in out.nights if n["onset_utc"] is not None]
    assert night["source"] == "counts" and night["valid"], night
    assert abs(night["onset_utc"] - (EVENING + 5 * 3600)) <= 15 * 60
    tl = load_timeline(s, "C-1")
    assert tl is not None
    cells = {m: count_sleep_cells(tl, m)[18 * 60:26 * 60].sum()
             for m in ("cole-kripke", "cole-kripke-actilife")}
    assert cells["cole-kripke-actilife"] > cells["cole-kripke"]
    s.close()
