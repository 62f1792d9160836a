"""bench.validate's own pieces on hand-made inputs (the PSG run itself needs the data,
which is not in this repository: without it the area reports itself skipped)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from bench import validate
from bench.validate_data import RATE, autocalibrate, epoch_labels, firmware_epochs
from wearlog.analysis import AnalysisConfig


def test_epoch_labels_take_the_majority_and_leave_unscored_out() -> None:
    per = RATE * 30
    lab = np.concatenate([
        np.full(per, 2),  # N2: sleep
        np.r_[np.full(per // 2 + 1, 6), np.full(per // 2 - 1, 5)],  # mostly wake
        np.r_[np.full(per // 2 + 1, 0), np.full(per // 2 - 1, 1)],  # under half scored
    ]).astype(np.int8)
    assert epoch_labels(lab, 3).tolist() == [1, 0, -1]


def test_movement_time_is_neither_sleep_nor_wake() -> None:
    """Code 7 is left out (it was counted as wake: ICHI14 p044's 110 min of it, in runs
    of 11-42 min with less wrist movement than N3, made every method's kappa negative)."""
    per = RATE * 30
    lab = np.concatenate([
        np.full(per, 7),  # all movement time: not scored
        np.r_[np.full(per // 2 + 1, 7), np.full(per // 2 - 1, 2)],  # under half scored
        np.r_[np.full(1000, 7), np.full(1100, 2), np.full(900, 6)],  # sleep, of the scored
    ]).astype(np.int8)
    assert epoch_labels(lab, 3).tolist() == [-1, -1, 1]


def _night_file(path: Path, start: float, rows: list[tuple[int, int, int, int, int]]) -> None:
    """An ICHI14-layout night: rows of (d, x, y, z, gt), `t` the rows' own clock as
    matplotlib legacy date numbers (days; 719163 = 1970-01-01)."""
    d = np.array([r[0] for r in rows])
    t = (start + np.concatenate([[0], np.cumsum(d)[:-1]]) / RATE) / 86400 + 719163.0
    a = np.zeros(len(rows), dtype=[("t", "<f8"), ("d", "u1"), ("x", "u1"), ("y", "u1"),
                                   ("z", "u1"), ("l", "<u2"), ("gt", "<i8")])
    a["t"], a["d"] = t, d
    for i, k in enumerate(("x", "y", "z")):
        a[k] = [r[1 + i] for r in rows]
    a["gt"] = [r[4] for r in rows]
    np.save(path, a)


def test_labels_line_up_with_the_firmware_epochs_they_describe(tmp_path: Path) -> None:
    """Labels and samples come from the same rows: the epoch scored wake is the one the
    firmware sees moving, on the clock's 30-s grid after the skipped start; the labels are
    built afresh from the file even when the features come from the cache."""
    still = (128, 128, 160)  # 1 g on z (32 counts a g)
    start = 1_000_000_012.34  # 7.66 s before the grid's next whole 30 s (1e9 + 20)
    rows = [(255, *still, 0)] * 3 + [(1, *still, 0)]  # 766 samples before the grid
    rows += [(250, *still, 2)] * 12  # epoch 0: N2, still
    rows += [(5, *((176, 128, 176) if i % 2 else still), 6) for i in range(600)]  # 1: wake
    rows += [(250, *still, 7)] * 12  # epoch 2: movement time, still
    rows += [(250, *still, 2)] * 12  # epoch 3: N2, still
    night = tmp_path / "p999.npy"
    _night_file(night, start, rows)
    for _ in range(2):  # computed, then from the cache
        e = firmware_epochs(night, tmp_path / "cache")
        assert e["t"].tolist() == [1_000_000_020 + 30 * k for k in range(4)]
        assert e["psg"].tolist() == [1, 0, -1, 1]
        for k in ("enmo", "mad"):  # the shaking is in epoch 1 and nowhere else
            assert e[k][1] > 1000 and e[k][[0, 2, 3]].max() < e[k][1] / 10
    cached = list((tmp_path / "cache").glob("p999-*.npz"))
    assert len(cached) == 1 and "psg" not in np.load(cached[0]).files


def test_van_hees_raw_needs_five_still_minutes() -> None:
    angle5 = np.zeros(12 * 20)  # 20 min of 5-s angles
    angle5[60:] += 10.0  # a 10-deg turn after 5 min
    angle5[96:] += 10.0  # another 3 min later
    sleep = validate.van_hees_raw(angle5, 40)
    assert sleep[:10].all()  # the first 5 min were still
    assert not sleep[10:16].any()  # 3 min between turns is too short
    assert sleep[16:].all()


def test_autocalibration_recovers_offset_and_scale() -> None:
    rng = np.random.default_rng(0)
    off, scale = np.array([0.05, -0.03, 0.1]), np.array([0.97, 1.02, 0.99])
    dirs = rng.normal(size=(60, 3))
    dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
    # 60 still 10-s windows in many orientations, as a miscalibrated sensor reads them
    g = np.repeat(dirs / scale - off, 10 * RATE, axis=0)
    o, s, ok = autocalibrate(g)
    assert ok
    assert np.allclose(o, off, atol=1e-3) and np.allclose(s, scale, atol=1e-3)


def test_autocalibration_leaves_a_sensor_alone_without_orientations() -> None:
    g = np.tile([0.0, 0.0, 1.05], (60 * 10 * RATE, 1))  # one orientation only
    o, s, ok = autocalibrate(g)
    assert not ok and (o == 0).all() and (s == 1).all()


def test_area_is_skipped_with_a_message_without_the_data(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(validate, "DEFAULT_PSG", tmp_path / "nowhere")
    res = validate.bench_area(quick=False)
    assert res["status"].startswith("skipped: no PSG data at ")
    assert validate.main(["--psg", str(tmp_path / "nowhere")]) == 2


def test_lono_variant_is_chosen_on_the_other_nights(monkeypatch: pytest.MonkeyPatch) -> None:
    # variant "a" is right on nights 0 and 1, "b" only on night 2: held out, nights 0 and 1
    # see one night each way (a tie, the first variant wins); night 2 sees "a" win twice
    monkeypatch.setattr(validate, "VARIANTS", {"a": ("angle", {}), "b": ("angle", {}),
                                               "c": ("counts", {})})
    truth = np.array([True, False, True, False])
    results = []
    for k in range(3):
        good, bad = {"pred": truth}, {"pred": ~truth}
        results.append({"truth_sleep": truth,
                        "variants": {"a": good if k < 2 else bad, "b": bad if k < 2 else good}})
    assert validate.lono_variant(results) == ["a", "a", "a"]
    results[0]["variants"]["a"] = {"pred": ~truth}
    results[0]["variants"]["b"] = {"pred": truth}
    # now "b" wins on nights 0 and 2 and is chosen for night 1, which it gets wrong
    assert validate.lono_variant(results)[1] == "b"


def test_enmo_lono_chooses_among_the_variants_and_the_within_grid(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The held-out ENMO row makes every ENMO choice on the other nights: the fallback
    variants and the within-threshold grid alike (not one of the angle variants)."""
    monkeypatch.setattr(validate, "VARIANTS", {"old": ("enmo", {}), "angle": ("angle", {})})
    monkeypatch.setattr(validate, "ENMO_WITHIN_VARIANTS", {"g1": ("enmo", {}),
                                                           "g2": ("enmo", {})})
    truth = np.array([True, False, True, False])
    results = [{"truth_sleep": truth,
                "variants": {"old": {"pred": ~truth}, "angle": {"pred": truth},
                             "g1": {"pred": ~truth}, "g2": {"pred": truth}}}
               for _ in range(3)]
    assert validate.lono_variant(results, "enmo") == ["g2", "g2", "g2"]


def test_the_enmo_default_is_a_point_of_its_grid() -> None:
    """The grid the bench reports (and the LONO rows choose from) holds the analysis's own
    default, with the default's settings, so its bold cell is what Wearlog runs."""
    cfg = AnalysisConfig()
    name = validate.enmo_within(round(cfg.enmo_within_percentile), cfg.enmo_within_multiplier,
                                round(cfg.enmo_fallback_mg))
    mode, kw = validate.ENMO_WITHIN_VARIANTS[name]
    assert mode == "enmo" and replace(cfg, **kw) == cfg


def test_ggir_hdcza_reference_finds_the_still_block_and_its_threshold_rules() -> None:
    """The published HDCZA as GGIR runs it on 5-s angles (the bench's reference row): a
    wandering arm for 2 h, 6 h with 0.1-deg jitter, 2 h wandering again; the block is the
    still part within the 5-min window's reach. A perfectly still sensor (P10 x 15 = 0)
    falls back to GGIR's 0.2 deg, or to its 0.13 deg floor with the clamp."""
    rng = np.random.default_rng(2)
    per_h = 720
    wander = lambda n: np.cumsum(rng.normal(0, 3, n))  # noqa: E731
    still = -20 + rng.choice([-0.1, 0.0, 0.1], 6 * per_h)
    angle5 = np.concatenate([wander(2 * per_h), still, wander(2 * per_h)])
    block = validate.ggir_hdcza(angle5)
    assert block is not None
    a, b = block
    assert abs(a - 2 * per_h) <= 60 and abs(b - 8 * per_h) <= 60  # within 5 min
    assert validate.ggir_hdcza(angle5[:100]) is None  # 8 min: no block of 30
    flat = np.concatenate([wander(2 * per_h), np.full(6 * per_h, -20.0), wander(2 * per_h)])
    for clamp in (False, True):
        fa, fb = validate.ggir_hdcza(flat, clamp=clamp) or (0, 0)
        assert abs(fa - 2 * per_h) <= 60 and abs(fb - 8 * per_h) <= 60


def test_lono_among_a_group_chooses_only_from_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """A LONO_GROUPS row: the choice is between the group's variants only, even when another
    variant of the mode is better on every night."""
    monkeypatch.setattr(validate, "VARIANTS", {"a": ("angle", {}), "b": ("angle", {}),
                                               "best": ("angle", {})})
    truth = np.array([True, False, True, False])
    half = np.array([True, True, True, False])
    results = [{"truth_sleep": truth,
                "variants": {"a": {"pred": ~truth}, "b": {"pred": half},
                             "best": {"pred": truth}}} for _ in range(3)]
    assert validate.lono_variant(results) == ["best"] * 3
    assert validate.lono_variant(results, "angle", ["a", "b"]) == ["b"] * 3


def test_lono_by_tst_takes_the_lowest_tst_error_on_the_other_nights(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A LONO_TST_GROUPS row: the variant with the lowest TST mean absolute error on the
    other nights, whatever its kappa; a night without a period (tst_err None) is skipped,
    and a variant with no TST error on any other night is never preferred."""
    monkeypatch.setattr(validate, "VARIANTS", {"a": ("angle", {}), "b": ("angle", {}),
                                               "none": ("angle", {})})
    truth = np.array([True, False, True, False])
    # "a" scores every epoch right but misses 40 min of TST; "b" is wrong everywhere but
    # within 10 min; on night 2 "b" has no period; "none" never has one
    errs_b = [10.0, -10.0, None]
    results = [{"truth_sleep": truth,
                "variants": {"a": {"pred": truth, "tst_err": 40.0},
                             "b": {"pred": ~truth, "tst_err": errs_b[k]},
                             "none": {"pred": truth, "tst_err": None}}} for k in range(3)]
    assert validate.lono_variant(results, "angle", ["a", "b"]) == ["a"] * 3
    assert validate.lono_variant(results, "angle", ["a", "b", "none"], by="tst") == ["b"] * 3
    # held out night 0, "b" has only night 1 (10 min) against "a"'s 40: still "b"; make
    # "b" worse than "a" on night 1 and night 0's choice flips to "a"
    results[1]["variants"]["b"]["tst_err"] = -50.0
    assert validate.lono_variant(results, "angle", ["a", "b"], by="tst")[0] == "a"


def test_tst_is_counted_on_psg_scored_epochs_and_the_whole_period_beside_it() -> None:
    """tst_err counts our sleep only where the PSG scored sleep or wake (as the agreement
    does), so sleep called on unscored epochs (before the PSG, code 7) adds only to
    tst_period_err, the night row's TST (every sleep epoch of the period); a night
    without a period has TST 0 on the first and no figure on the second."""
    from wearlog.analysis.sleep import SleepScores

    psg = np.array([-1, -1, 1, 1, 0, -1, 1, 0], dtype=np.int8)  # 3 PSG sleep epochs
    asleep = np.array([1, 1, 1, 1, 1, 1, 0, 0], dtype=bool)  # 6 of ours, 3 unscored
    scores = SleepScores([], np.ones(8, dtype=bool), asleep)
    row = {"onset_utc": 0, "offset_utc": 8 * 30, "tib_min": 4.0, "tst_min": 3.0,
           "waso_min": 0.0, "se_pct": 75.0, "valid": 1, "source": "hdcza"}
    truth = validate.night_truth(psg)
    r = validate._night_figures(scores, np.ones(8, dtype=bool), [row], psg,
                                validate.psg_period(psg), truth, 0)
    assert truth["tst"] == 1.5
    assert r["tst_period_err"] == 1.5  # 3.0 min of ours against 1.5 of the PSG's
    assert r["tst_err"] == 0.0  # 3 epochs on scored ones (2 right, 1 on wake)
    rs = [r, {**r, "tst_err": -1.0}]
    pooled = validate._pooled(rs, [{"epochs": 5}, {"epochs": 5}],
                              np.concatenate([psg[psg >= 0] == 1] * 2))
    assert pooled["tst_mae"] == 0.5 and pooled["tst_period_mae"] == 1.5
    none = {**row, "onset_utc": None, "offset_utc": None, "tib_min": None, "tst_min": None}
    r = validate._night_figures(SleepScores([], np.zeros(8, dtype=bool), np.zeros(8, dtype=bool)),
                                np.ones(8, dtype=bool), [none], psg, validate.psg_period(psg),
                                truth, 0)
    assert r["tst_err"] == -1.5 and r["tst_period_err"] is None


def _enmo_night(sleep_mg: float) -> dict:
    # 40 epochs: wake at 50 mg with a 2-min dip to 5 mg (epochs 2-5), then 20 epochs of
    # sleep at sleep_mg (10 min), then wake again
    enmo = np.full(40, 50.0)
    enmo[2:6] = 5.0
    enmo[10:30] = sleep_mg
    truth = np.zeros(40, dtype=bool)
    truth[10:30] = True
    scored = np.ones(40, dtype=bool)
    return {"enmo_mg": enmo, "scored": scored, "truth_sleep": truth}


def test_sustained_enmo_threshold_ignores_short_dips_and_is_chosen_on_the_other_nights(
) -> None:
    results = [_enmo_night(5.0), _enmo_night(5.0), _enmo_night(8.0)]
    per_epoch = validate.lono_enmo(results, validate.enmo_preds(results, 0))
    assert per_epoch[0][2:6].all()  # the 2-min dip is called sleep epoch by epoch
    preds = validate.enmo_preds(results, 5)
    sustained = validate.lono_enmo(results, preds, 5)
    assert not sustained[0][2:6].any() and sustained[0][10:30].all()
    # night 2 (sleep at 8 mg) is held out: the other nights choose 5 mg, which misses it;
    # night 0 sees night 2 among the others, so 8 mg is chosen for it
    assert results[2]["lono_enmo_thr"][5] == 5.0 and not sustained[2].any()
    assert results[0]["lono_enmo_thr"][5] == 8.0
    # the ceiling sees every night's labels, so it takes 8 mg and gets all of them right
    thr, calls = validate.best_enmo_threshold(results, preds)
    assert thr == 8.0
    assert all((c == r["truth_sleep"]).all() for c, r in zip(calls, results, strict=True))
    one = [_enmo_night(20.0)]
    per_night = validate.best_enmo_per_night(one, validate.enmo_preds(one, 5))
    assert (per_night[0] == _enmo_night(20.0)["truth_sleep"]).all()
