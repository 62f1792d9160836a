"""The sleep detector on signals like real loggers give (quantised, angle-less), without the
real recordings: those are checked by bench/validate.py against polysomnography.

Kept independent of ../shared/data: the data is not part of this repository and a test
run must not depend on what lies beside it. The PSG figures are the bench's job, where a
missing folder is reported as skipped rather than passed.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from click.testing import CliRunner

from wearlog.analysis import AnalysisConfig
from wearlog.analysis.sleep import hdcza_threshold, longest_block, resolution_step, score_sleep
from wearlog.analysis.timeline import Timeline
from wearlog.cli import main
from wearlog.store import Store
from wlproto.records import Epoch

UTC = ZoneInfo("UTC")
CFG = AnalysisConfig()
EVENING = int(dt.datetime(2026, 3, 1, 18, tzinfo=dt.UTC).timestamp())
PER_H = 120  # 30-s epochs an hour


def timeline(start: int, z: np.ndarray, dangle: np.ndarray, enmo: np.ndarray,
             angle: bool = True, has_enmo: bool = True) -> Timeline:
    n = len(z)
    return Timeline(start, 30, np.ones(n, bool), enmo.astype(float), enmo.astype(float),
                    z.astype(float), dangle.astype(float), np.zeros(n, np.int64),
                    np.zeros(n, np.int64), np.full(n, angle), np.full(n, has_enmo), [])


def quantised_day(seed: int = 1, hours: float = 18.0,
                  bed_h: float = 5.0, up_h: float = 13.0) -> Timeline:
    """18:00 to 12:00: awake and moving, asleep from 23:00 to 07:00 on an 8-bit-like logger
    (as in the ICHI14 recordings): in sleep, stretches of 10-30 min where the reading never
    changes (summed angle change exactly 0) alternate with quantisation noise (0.5-3 deg an
    epoch), and the wearer turns every 90 min. ENMO follows: 0 while held, 0-3 mg else."""
    rng = np.random.default_rng(seed)
    n = int(hours * PER_H)
    night = np.zeros(n, bool)
    night[int(bed_h * PER_H):int(up_h * PER_H)] = True
    z = np.clip(np.cumsum(rng.normal(0, 12, n)), -80, 80)
    dangle = rng.uniform(10, 60, n)
    enmo = rng.uniform(20, 150, n)
    held = np.zeros(n, bool)
    i = int(bed_h * PER_H)
    while i < int(up_h * PER_H):
        length = int(rng.integers(20, 60))
        held[i:i + length] = rng.random() < 0.5
        i += length
    lying = -10.0
    for i in np.flatnonzero(night):
        if (i - int(bed_h * PER_H)) % 180 == 0:
            lying = -lying + rng.normal(0, 3)  # a turn
        z[i] = lying
    dangle[night] = np.where(held, 0.0, rng.uniform(0.5, 3.0, n))[night]
    enmo[night] = np.where(held, 0.0, rng.uniform(0, 3, n))[night]
    return timeline(EVENING, z, dangle, enmo)


def the_night(tl: Timeline):
    scores = score_sleep(tl, UTC, np.ones(tl.n, bool), CFG, "P")
    rows = [r for r in scores.nights if r["onset_utc"] is not None]
    assert len(rows) == 1, scores.nights
    return rows[0], scores


def test_quantised_still_night_gets_its_period() -> None:
    """P10 of the rolling median angle change is exactly 0 here (the old clamp sat on its
    floor); the threshold comes from what the sensor did resolve, and the night is found."""
    tl = quantised_day()
    from wearlog.analysis.sleep import hdcza_signal

    sig = hdcza_signal(tl, CFG)
    assert np.percentile(sig, 10) == 0 and hdcza_threshold(sig, np.ones(tl.n, bool), CFG) > 0
    row, scores = the_night(tl)
    assert row["source"] == "hdcza" and row["valid"] == 1 and row["reason"] is None
    bed, up = EVENING + 5 * 3600, EVENING + 13 * 3600
    assert abs(row["onset_utc"] - bed) <= 15 * 60 and abs(row["offset_utc"] - up) <= 15 * 60
    assert row["tst_min"] >= 7 * 60
    i, j = tl.index(bed), tl.index(up)
    assert scores.asleep[i + 20:j - 20].mean() > 0.95


def test_edge_epochs_are_scored_and_the_reason_is_given() -> None:
    """A recording that starts asleep: its first epochs are scored like any other (sleep),
    and the night says why it is not valid rather than showing blanks."""
    full = quantised_day()
    cut = 6 * PER_H  # starts at 00:00, an hour into the night
    tl = timeline(EVENING + cut * 30, full.z[cut:], full.dangle[cut:], full.enmo[cut:])
    row, scores = the_night(tl)
    assert scores.asleep[0] and scores.asleep[:10].all()
    assert row["valid"] == 0 and "start" in row["reason"]


def test_a_short_period_says_how_short() -> None:
    full = quantised_day()
    a, b = 4 * PER_H, int(6.5 * PER_H)  # 22:00 to 00:30: an hour and a half of sleep
    tl = timeline(EVENING + a * 30, full.z[a:b], full.dangle[a:b], full.enmo[a:b])
    row, _ = the_night(tl)
    assert row["valid"] == 0
    m = re.search(r"sleep period only (\d\.\d) h \(needs 2 h\)", row["reason"])
    assert m and 1.3 <= float(m.group(1)) <= 1.7, row["reason"]


def test_enmo_only_night_gets_a_period_and_sleep() -> None:
    full = quantised_day(seed=3)
    tl = timeline(EVENING, np.zeros(full.n), np.zeros(full.n), full.enmo, angle=False)
    row, scores = the_night(tl)
    bed, up = EVENING + 5 * 3600, EVENING + 13 * 3600
    assert row["source"] == "enmo" and row["valid"] == 1
    assert abs(row["onset_utc"] - bed) <= 15 * 60 and abs(row["offset_utc"] - up) <= 15 * 60
    i, j = tl.index(bed), tl.index(up)
    assert scores.asleep[i + 20:j - 20].mean() > 0.9
    assert not scores.asleep[:i - 20].any()


def test_enmo_only_night_under_a_floor_level_threshold_gets_the_fallback() -> None:
    """A coarse sensor's calibrated ENMO (as ICHI14 p022): in bed, 10-30 min stretches that
    read almost nothing (0-0.3 mg, a quarter exactly 0) alternate with quantisation noise
    (2-6 mg). P10 x 15 of the 5-min median then lands near 1.5 mg, under the noise, so no
    30-min block is still: without the fallback no period; with it (10 mg) the night."""
    rng = np.random.default_rng(5)
    n, bed, up = 18 * PER_H, 5 * PER_H, 13 * PER_H
    enmo = rng.uniform(20, 150, n)
    i, quiet = bed, True
    while i < up:
        k = min(int(rng.integers(20, 60)), up - i)
        enmo[i:i + k] = (np.where(rng.random(k) < 0.25, 0.0, rng.uniform(0, 0.3, k)) if quiet
                         else rng.uniform(2, 6, k))
        i, quiet = i + k, not quiet
    tl = timeline(EVENING, np.zeros(n), np.zeros(n), enmo, angle=False)
    (row,) = score_sleep(tl, UTC, np.ones(n, bool), replace(CFG, enmo_fallback_mg=0.0),
                         "P").nights
    assert row["onset_utc"] is None and "no still stretch" in row["reason"]
    row, scores = the_night(tl)
    assert row["source"] == "enmo" and row["valid"] == 1
    assert abs(row["onset_utc"] - (EVENING + bed * 30)) <= 15 * 60
    assert abs(row["offset_utc"] - (EVENING + up * 30)) <= 15 * 60
    assert scores.asleep[bed + 20:up - 20].mean() > 0.9 and not scores.asleep[:bed - 20].any()


def test_enmo_only_lying_awake_in_the_period_is_wake_at_the_periods_own_level() -> None:
    """Forty minutes lying awake in bed (6-12 mg, above the sleep's 0-3 mg but under the
    day's movement): inside the period, sleep is judged against the period's own ENMO (2.5
    x its 70th percentile, >= 10 min), so they are wake; the HDCZA threshold of the whole
    window (the rule until Dec 2026) calls them sleep. The rule is relative: the same night
    read by a sensor with 3x the gain gets the same calls."""
    full = quantised_day(seed=3)
    enmo = full.enmo.copy()
    awake = slice(8 * PER_H, 8 * PER_H + 80)  # 03:00-03:40
    enmo[awake] = np.random.default_rng(7).uniform(6, 12, 80)
    tl = timeline(EVENING, np.zeros(full.n), np.zeros(full.n), enmo, angle=False)
    row, scores = the_night(tl)
    bed, up = 5 * PER_H, 13 * PER_H
    assert row["source"] == "enmo" and row["valid"] == 1
    assert scores.in_period[awake].all() and not scores.asleep[awake].any()
    rest = np.r_[bed + 20:awake.start - 20, awake.stop + 20:up - 20]
    assert scores.asleep[rest].mean() > 0.9
    old = score_sleep(tl, UTC, np.ones(tl.n, bool), replace(CFG, enmo_within_percentile=0.0),
                      "P")
    assert old.asleep[awake].mean() > 0.9
    gain = timeline(EVENING, np.zeros(full.n), np.zeros(full.n), 3 * enmo, angle=False)
    assert np.array_equal(the_night(gain)[1].asleep, scores.asleep)


def test_counts_only_windows_give_no_night_rows() -> None:
    """Counts alone (no angle, no ENMO) are scored per 24 h by count_sleep, not here."""
    full = quantised_day()
    tl = timeline(EVENING, np.zeros(full.n), np.zeros(full.n), np.zeros(full.n),
                  angle=False, has_enmo=False)
    scores = score_sleep(tl, UTC, np.ones(tl.n, bool), CFG, "P")
    assert scores.nights == [] and not scores.in_period.any()


def test_no_still_stretch_is_a_reason() -> None:
    """The threshold adapts to the recording, so a block needs 30 min of data at least:
    20 minutes give none, and the night says so."""
    n = 40
    tl = timeline(EVENING + 5 * 3600, np.full(n, -10.0), np.zeros(n), np.zeros(n))
    scores = score_sleep(tl, UTC, np.ones(n, bool), CFG, "P")
    (row,) = scores.nights
    assert row["onset_utc"] is None and "no still stretch" in row["reason"]


def test_bridging_counts_short_still_stretches_out_of_the_gap() -> None:
    """Two awakenings 28 min apart: published HDCZA (drop blocks < 30 min, then merge gaps
    < 60 min) splits the night; our documented change keeps it whole."""
    m = 2  # epochs a minute
    cand = np.zeros(600 * m, bool)
    cand[0:180 * m] = True  # 3 h asleep
    cand[200 * m:228 * m] = True  # 20 min awake, 28 min asleep, 20 min awake
    cand[248 * m:500 * m] = True  # then over 4 h asleep
    ours = longest_block(cand, CFG, 30)
    published = longest_block(cand, AnalysisConfig(hdcza_bridge_short_blocks=False), 30)
    assert ours == (0, 500 * m)
    assert published == (248 * m, 500 * m)


def test_report_shows_why_a_night_is_not_valid(tmp_path: Path) -> None:
    db = tmp_path / "w.db"
    full = quantised_day()
    a, b = 4 * PER_H, int(6.5 * PER_H)
    s = Store(db)
    s.add_patient("P-1", "UTC")
    s.add_device(3, "P-1")
    s.ingest(3, [Epoch(k, EVENING + (a + k) * 30, 0, int(full.enmo[a + k] * 10),
                       int(full.enmo[a + k] * 10), int(round(full.z[a + k])),
                       int(full.dangle[a + k] * 10), 0) for k in range(b - a)])
    s.close()
    res = CliRunner().invoke(main, ["report", "--patient", "P-1", "--db", str(db)],
                             terminal_width=250)
    assert res.exit_code == 0, res.output
    assert "no: sleep period only 1." in " ".join(res.output.split()), res.output


def test_a_restless_recording_gets_no_period_from_its_quietest_block() -> None:
    """The threshold adapts, so three restless hours still have a 'quietest' block; with
    no 5 min without movement in it, it is no sleep period, and the night says so."""
    rng = np.random.default_rng(2)
    n = 3 * PER_H
    z = np.where(np.arange(n) % 2 == 0, 40.0, -30.0)  # the arm turns every epoch
    tl = timeline(EVENING, z, rng.uniform(20, 25, n), rng.uniform(50, 200, n))
    scores = score_sleep(tl, UTC, np.ones(n, bool), CFG, "P")
    (row,) = scores.nights
    assert row["onset_utc"] is None and "no 5 min without movement" in row["reason"]
    assert not scores.in_period.any()


def test_count_scoring_scores_the_first_and_last_minutes() -> None:
    """Cole-Kripke and Sadeh score a recording's edges from the neighbours they have:
    quiet edges are sleep, active edges wake (pyActigraphy's convention, all wake, is an
    option); the interior is unchanged."""
    from wearlog.analysis.counts import cole_kripke, sadeh

    quiet = np.zeros(30)
    for fn in (cole_kripke, sadeh):
        assert fn(quiet).all()
        assert not fn(quiet, edges_wake=True)[:4].any()
        busy = np.full(30, 400.0)
        assert not fn(busy).any()
        mixed = np.r_[np.zeros(10), np.full(10, 400.0), np.zeros(10)]
        assert np.array_equal(fn(mixed)[6:24], fn(mixed, edges_wake=True)[6:24])
        assert fn(np.zeros(5)).all()  # shorter than any full window


def test_an_hour_of_still_sleep_is_not_nonwear_but_a_logger_on_a_table_is() -> None:
    """Choi et al. 2011's 90-min window: an 8-bit logger on a sleeper can hold one reading
    for an hour (ICHI14 p08b); 75 min of it inside movement is worn, 2 h of it is not."""
    from wearlog.analysis.nonwear import detect_nonwear

    n = 8 * PER_H
    rng = np.random.default_rng(3)
    z = np.clip(np.cumsum(rng.normal(0, 12, n)), -80, 80)
    dangle = rng.uniform(10, 60, n)
    enmo = rng.uniform(20, 150, n)
    for a, b in ((PER_H, PER_H + 150), (5 * PER_H, 7 * PER_H)):  # 75 min, then 2 h still
        z[a:b], dangle[a:b], enmo[a:b] = z[a], 0.0, 0.0
    nonwear = detect_nonwear(timeline(EVENING, z, dangle, enmo), CFG)
    assert not nonwear[PER_H:PER_H + 150].any()
    assert nonwear[5 * PER_H:7 * PER_H].all()
    # the 60-min window of van Hees 2011 (the variant LONO did not choose) calls the hour off
    assert detect_nonwear(timeline(EVENING, z, dangle, enmo),
                          AnalysisConfig(nonwear_window_min=60.0))[PER_H:PER_H + 150].any()


def test_a_half_step_p10_counts_as_unresolved_only_with_the_option() -> None:
    """ICHI14 p002's case: a 10-epoch median of a 0 and one step (0.1 deg) is half a step,
    so P10 is 0.05 deg rather than 0 and the quantised-sensor rule did not fire (threshold
    0.75 deg, under the in-bed level). hdcza_p10_below_step treats a P10 under one step of
    the input as unresolved too; the default keeps the rule at exactly 0."""
    sig = np.concatenate([np.zeros(9), np.full(2, 0.05), np.full(20, 1.0), np.full(69, 2.0)])
    worn = np.ones(len(sig), bool)
    assert np.percentile(sig, 10) == pytest.approx(0.05)
    assert hdcza_threshold(sig, worn, CFG, step=0.1) == pytest.approx(0.75)
    on = AnalysisConfig(hdcza_p10_below_step=True)
    assert hdcza_threshold(sig, worn, on, step=0.1) == pytest.approx(15.0)  # P10 of >= 0.1
    # a P10 at or above one step is left alone, and exactly 0 is handled as before
    assert hdcza_threshold(sig + 0.1, worn, on, step=0.1) == hdcza_threshold(sig + 0.1, worn, CFG)
    zero = np.concatenate([np.zeros(20), np.full(80, 2.0)])
    assert hdcza_threshold(zero, np.ones(100, bool), on, step=0.1) == \
        hdcza_threshold(zero, np.ones(100, bool), CFG) == pytest.approx(30.0)
    assert resolution_step(np.array([0.0, 0.3, 0.1, 2.0])) == pytest.approx(0.1)
    assert resolution_step(np.zeros(3)) == 0.0


def test_still_epochs_of_a_window_match_the_whole_timeline() -> None:
    """The period options test stillness on one night's window only: the window's still
    epochs are the whole timeline's, the first one judged against the epoch before it."""
    from wearlog.analysis.sleep import still_epochs

    rng = np.random.default_rng(5)
    n = 500
    tl = timeline(EVENING, np.round(np.cumsum(rng.normal(0, 4, n))), rng.uniform(0, 9, n),
                  rng.uniform(0, 50, n))
    tl.present[rng.random(n) < 0.05] = False  # gaps: the epoch after one is not compared
    tl.angle_known[300:320] = False
    full = still_epochs(tl, CFG)
    assert 0 < full.sum() < n
    for lo, hi in ((0, n), (1, n), (37, 301), (319, 321), (n - 1, n), (10, 10)):
        assert np.array_equal(still_epochs(tl, CFG, lo, hi), full[lo:hi]), (lo, hi)
