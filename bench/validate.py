"""`python -m bench.validate --psg DIR`: Wearlog's sleep analysis against polysomnography.

The full path on every night of DIR (ICHI14 layout, see bench/validate_data.py): raw
samples -> the firmware's own feature code (as `wearlog import --format raw`) -> a real
SQLite store -> the default analysis (non-wear, sleep period, sleep/wake). The same nights
again with the arm angle withheld: ENMO-only 30-s epochs from the autocalibrated raw signal
(van Hees 2014, as a watch or GGIR would export them), stored as an ENMO epoch import.

Per night and pooled over all PSG-scored 30-s epochs: accuracy, sensitivity (sleep found),
specificity (wake found), Cohen's kappa, epochs left unscored (no call: non-wear or no
period; counted as wake in the agreement), sleep-period onset/offset error against PSG
(first and last PSG sleep epoch), TST, WASO and SE errors. TST is compared on the epochs
the PSG scored (sleep or wake), the same epochs as the agreement: the PSG has no label
outside its recording or on code 7, so neither side counts sleep there (as epoch-by-epoch
validations compare within the PSG's recording); the whole period's TST (the night row's,
every sleep epoch of our period) is reported beside it. WASO and SE are the night row's.
Baselines from the same run:
always-sleep; van Hees 2015 straight from the raw signal (5-s z-angles, no change > 5 deg
for >= 5 min, no period step); one threshold on the calibrated ENMO chosen
leave-one-night-out (best pooled kappa on the other nights, applied to the held-out one),
also with van Hees 2015's and GGIR's sustained rules (>= 5 / 10 min under it). Beside them,
ceilings that use the nights' own labels (bounds, not methods): the best single ENMO
threshold on all nights, and the best per night. The ENMO-only path's two chosen parameters
(the fallback threshold; the percentile x multiplier of the period's ENMO that sleep within
must stay under) run on their grids on every night; the LONO rows choose among them, so the
held-out figure is the one to expect on new nights.
Data: Borazio et al., IEEE ICHI 2014 (see docs/analysis.md); the files are read in place
and never copied.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from bench.accuracy_bench import agreement
from bench.validate_counts import have_agcounts, vm_counts
from bench.validate_data import EPOCH_S, firmware_epochs, nights, reductions
from wearlog.analysis import AnalysisConfig, analyse_patient
from wearlog.analysis.counts import cole_kripke
from wearlog.analysis.nonwear import detect_nonwear
from wearlog.analysis.runs import keep_runs_at_least, runs
from wearlog.analysis.sleep import SleepScores, score_sleep
from wearlog.analysis.timeline import Timeline, load_timeline
from wearlog.imports.common import import_seq
from wearlog.imports.save import ParsedImport, save
from wearlog.store import Store
from wlproto.const import FLAG_NONWEAR, FLAG_SENSOR_FAULT
from wlproto.records import Epoch

# beside the repository (../shared/data), or WEARLOG_PSG
DEFAULT_PSG = Path(os.environ.get("WEARLOG_PSG") or Path(__file__).resolve().parent.parent.parent
                   / "shared" / "data" / "ichi14-dev")
UTC = ZoneInfo("UTC")  # the files hold the lab's local clock; read as UTC, noon is lab noon
MODES = ("angle", "enmo", "counts")
KIND = {"angle": "import-raw", "enmo": "import-enmo", "counts": "import-counts"}
# AnalysisConfig.enmo_fallback_mg over a 5-mg grid (0: none, the default until Dec 2026)
ENMO_FALLBACK_MG = (0, 5, 10, 15, 20, 25, 30)


# AnalysisConfig.enmo_within_percentile x enmo_within_multiplier: sleep within an ENMO-only
# period at or under this multiple of a percentile of the period's own ENMO (each grid point
# with the steps that come with it: the period cut to L5 +- 6 h and trimmed to its bouts)
ENMO_WITHIN_PCT = (50, 55, 60, 65, 70, 75, 80, 85, 90, 95)
ENMO_WITHIN_MULT = (1.0, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0)


def enmo_fallback(mg: int) -> str:
    """The name of the ENMO variant with this fallback threshold (sleep within the period
    at the period's own threshold for >= 5 min, as until Dec 2026)."""
    return ("ENMO: within at the period's threshold, 5 min, no fallback" if mg == 0 else
            f"ENMO: within at the period's threshold, 5 min, fallback {mg} mg")


def enmo_within(pct: int, mult: float, mg: int) -> str:
    """The name of the ENMO grid point: sleep within the period at mult x the pct-th
    percentile of its ENMO for >= 10 min, with fallback threshold mg (0: none)."""
    return (f"ENMO: within at {mult:g} x P{pct} of the period, "
            + (f"fallback {mg} mg" if mg else "no fallback"))


# Published variants of the period and non-wear steps (angle path) and of the period step
# (counts path), each run on every night; bench.validate picks one per held-out night by the
# best pooled kappa on the other nights (leave-one-night-out) and reports every variant's
# own figures too. name -> (mode, AnalysisConfig overrides)
# (period_bout_min: 0 = the HDCZA block untrimmed; on ENMO nights it acts only with the
# sleep-within steps, which _OLD_WITHIN turns off)
_SIB5 = {"sib_min": 5.0, "period_bout_min": 0.0}
_OLD_WITHIN = {"enmo_within_percentile": 0.0}  # ENMO: sleep within at the period's threshold
_SIB10 = {"sib_min": 10.0, "period_bout_min": 0.0}
UNTRIMMED = "HDCZA bridging short blocks, non-wear 90 min (Choi 2011)"
TRIM10 = "HDCZA bridging short blocks, non-wear 90 min, period trimmed to 10-min SIBs"
TRIM10_SIB10 = TRIM10 + ", SIB 10 min"
VARIANTS: dict[str, tuple[str, dict[str, Any]]] = {
    "HDCZA as published, non-wear 60 min (van Hees 2011)":
        ("angle", {"hdcza_bridge_short_blocks": False, "nonwear_window_min": 60.0, **_SIB5}),
    "HDCZA bridging short blocks, non-wear 60 min":
        ("angle", {"hdcza_bridge_short_blocks": True, "nonwear_window_min": 60.0, **_SIB5}),
    "HDCZA as published, non-wear 90 min (Choi 2011)":
        ("angle", {"hdcza_bridge_short_blocks": False, "nonwear_window_min": 90.0, **_SIB5}),
    UNTRIMMED:
        ("angle", {"hdcza_bridge_short_blocks": True, "nonwear_window_min": 90.0, **_SIB5}),
    # GGIR's last step: the period from the first to the last sustained inactivity bout
    # that overlaps the HDCZA block (GGIR docs, chapter 10)
    "HDCZA bridging short blocks, non-wear 90 min, period bounded by SIB (GGIR)":
        ("angle", {"hdcza_bridge_short_blocks": True, "nonwear_window_min": 90.0, **_SIB5,
                   "period_from_sib": True}),
    # van Hees 2015 with GGIR's second documented time threshold (timethreshold = c(5, 10))
    "HDCZA as published, non-wear 90 min, SIB 10 min":
        ("angle", {"hdcza_bridge_short_blocks": False, "nonwear_window_min": 90.0, **_SIB10}),
    "HDCZA bridging short blocks, non-wear 90 min, SIB 10 min":
        ("angle", {"hdcza_bridge_short_blocks": True, "nonwear_window_min": 90.0, **_SIB10}),
    # the quantised-sensor rule's boundary: a P10 under one step of dangle counts as 0
    # (AnalysisConfig.hdcza_p10_below_step)
    "HDCZA bridging short blocks, non-wear 90 min, P10 under one step counts as 0":
        ("angle", {"hdcza_bridge_short_blocks": True, "nonwear_window_min": 90.0, **_SIB5,
                   "hdcza_p10_below_step": True}),
    "HDCZA bridging short blocks, non-wear 90 min, P10 under one step counts as 0, SIB 10 min":
        ("angle", {"hdcza_bridge_short_blocks": True, "nonwear_window_min": 90.0, **_SIB10,
                   "hdcza_p10_below_step": True}),
    # the period trimmed to the first and last sustained inactivity bout of GGIR's second
    # time threshold (10 min) that overlaps the HDCZA block (AnalysisConfig.period_bout_min,
    # the default since Dec 2026)
    TRIM10:
        ("angle", {"hdcza_bridge_short_blocks": True, "nonwear_window_min": 90.0, **_SIB5,
                   "period_bout_min": 10.0}),
    # the default with GGIR's second time threshold for sleep within as well (sib_min = 10)
    TRIM10_SIB10:
        ("angle", {"hdcza_bridge_short_blocks": True, "nonwear_window_min": 90.0, **_SIB10,
                   "period_bout_min": 10.0}),
    # Actiware's sleep interval within the block: first to last 5 / 10 min with all but
    # one epoch still (AnalysisConfig.immobile_bounds_min)
    "HDCZA bridging short blocks, non-wear 90 min, Actiware immobile minutes 5":
        ("angle", {"hdcza_bridge_short_blocks": True, "nonwear_window_min": 90.0, **_SIB5,
                   "immobile_bounds_min": 5.0}),
    "HDCZA bridging short blocks, non-wear 90 min, Actiware immobile minutes 10":
        ("angle", {"hdcza_bridge_short_blocks": True, "nonwear_window_min": 90.0, **_SIB5,
                   "immobile_bounds_min": 10.0}),
    "ENMO: within at the period's threshold, 10 min, no fallback":
        ("enmo", {**_SIB10, "enmo_fallback_mg": 0.0, **_OLD_WITHIN}),
    # a fallback threshold (AnalysisConfig.enmo_fallback_mg) for the nights where P10 x 15
    # finds no still block, over a 5-mg grid; the LONO group below chooses among them
    **{enmo_fallback(mg): ("enmo", {**_SIB5, "enmo_fallback_mg": float(mg), **_OLD_WITHIN})
       for mg in ENMO_FALLBACK_MG},
    "counts: Tudor-Locke 2014 as published":
        ("counts", {"counts_merge_gap_min": 0.0}),
    "counts: Tudor-Locke 2014, periods < 60 min apart joined":
        ("counts", {"counts_merge_gap_min": 60.0}),
    "counts: Tudor-Locke 2014 joined, Cole-Kripke with ActiLife's scaling":
        ("counts", {"counts_merge_gap_min": 60.0, "counts_sleep_method": "cole-kripke-actilife"}),
    "counts: Tudor-Locke 2014 joined, Sadeh 1994 within":
        ("counts", {"counts_merge_gap_min": 60.0, "counts_sleep_method": "sadeh"}),
    "counts: Crespo 2012 period, Cole-Kripke within":
        ("counts", {"counts_period_method": "crespo"}),
    "counts: Crespo 2012 period, Sadeh 1994 within":
        ("counts", {"counts_period_method": "crespo", "counts_sleep_method": "sadeh"}),
}

# Sleep within an ENMO-only period at a multiple of a percentile of the period's own ENMO,
# over ENMO_WITHIN_PCT x ENMO_WITHIN_MULT x ENMO_FALLBACK_MG: run on every night like the
# variants, reported as a grid (not in the variants table) and chosen among by the LONO
# groups below
ENMO_WITHIN_VARIANTS: dict[str, tuple[str, dict[str, Any]]] = {
    enmo_within(q, m, mg): ("enmo", {"enmo_within_percentile": float(q),
                                     "enmo_within_multiplier": m, "enmo_within_min": 10.0,
                                     "enmo_fallback_mg": float(mg)})
    for mg in ENMO_FALLBACK_MG for q in ENMO_WITHIN_PCT for m in ENMO_WITHIN_MULT}
_DEFAULT_FALLBACK = round(AnalysisConfig().enmo_fallback_mg)

ENMO_FALLBACK_GROUP = "ENMO: no fallback or a fallback threshold on the 5-mg grid"
ENMO_WITHIN_GROUP = (f"ENMO: the within threshold on the percentile x multiplier grid "
                     f"(fallback {_DEFAULT_FALLBACK} mg)")
# Narrower leave-one-night-out choices, each between the untrimmed block and one published
# alternative (the all-variants LONO row above picks among every variant of a mode):
# name -> (mode, variants to choose from)
LONO_GROUPS: dict[str, tuple[str, list[str]]] = {
    "angle: untrimmed or period trimmed to 10-min SIBs": ("angle", [UNTRIMMED, TRIM10]),
    "angle: untrimmed or Actiware immobile minutes 5 / 10": (
        "angle", [UNTRIMMED,
                  "HDCZA bridging short blocks, non-wear 90 min, Actiware immobile minutes 5",
                  "HDCZA bridging short blocks, non-wear 90 min, Actiware immobile minutes 10"]),
    "angle: trimmed (default) or the same with SIB 10 min": ("angle", [TRIM10, TRIM10_SIB10]),
    ENMO_FALLBACK_GROUP: ("enmo", [enmo_fallback(mg) for mg in ENMO_FALLBACK_MG]),
    ENMO_WITHIN_GROUP: ("enmo", [enmo_within(q, m, _DEFAULT_FALLBACK) for q in ENMO_WITHIN_PCT
                                 for m in ENMO_WITHIN_MULT]),
}
# The same choices made by the lowest TST mean absolute error on the other nights (issue
# 12's TST target) instead of the best pooled kappa: name -> (mode, variants)
LONO_TST_GROUPS: dict[str, tuple[str, list[str]]] = {
    "angle, by TST MAE: trimmed (default) or the same with SIB 10 min":
        ("angle", [TRIM10, TRIM10_SIB10]),
    "angle, by TST MAE: every angle variant":
        ("angle", [k for k, (m, _) in VARIANTS.items() if m == "angle"]),
}

GGIR_RAW = "GGIR HDCZA + van Hees 2015, raw 5-s angles"
GGIR_RAW_CLAMPED = "the same, threshold in GGIR's 0.13-0.50 deg range"


def van_hees_raw(angle5: np.ndarray, n: int) -> np.ndarray:
    """van Hees et al. 2015 on 5-s z-angles: sleep in stretches of >= 5 min without an
    angle change > 5 deg; a 30-s epoch is sleep when most of its 5-s epochs are."""
    change = np.abs(np.diff(angle5, prepend=angle5[:1])) > 5.0
    sib = np.zeros(len(angle5), dtype=bool)
    idx = np.flatnonzero(change)
    bounds = np.concatenate([[0], idx, [len(angle5)]])
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        if (b - a) * 5 >= 300:
            sib[a:b] = True
    per = EPOCH_S // 5
    return sib[: n * per].reshape(n, per).sum(axis=1) * 2 > per


def ggir_hdcza(angle5: np.ndarray, ws3: int = 5, clamp: bool = False) -> tuple[int, int] | None:
    """HDCZA as GGIR implements it (van Hees et al. 2018; GGIR's HDCZA), on 5-s z-angles:
    per 5-s step the median of the 59 absolute successive differences in the 5 min from
    it; threshold = 15 x its 10th percentile (0.2 deg when that is 0, GGIR's fallback; or,
    clamp=True, constrained to 0.13-0.50 deg as GGIR's constrain2range and its current
    releases); low movement strictly below it; runs longer than 30 min kept; every gap
    shorter than 60 min filled (including those at the window's ends, as GGIR's does);
    the longest block. Returns (start, stop) in 5-s steps, or None."""
    k1 = 5 * 60 // ws3
    d = np.abs(np.diff(angle5))
    if len(d) < k1 - 1:
        return None
    x = np.median(np.lib.stride_tricks.sliding_window_view(d, k1 - 1), axis=1)
    pp = float(np.quantile(x, 0.1)) * 15
    pp = min(max(pp, 0.13), 0.50) if clamp else (pp or 0.20)
    per_min = 60 // ws3
    blocks = [(a, b) for a, b in runs(x < pp) if b - a > 30 * per_min]
    if not blocks:
        return None
    spt = np.zeros(len(x), dtype=bool)
    for a, b in blocks:
        spt[a:b] = True
    for a, b in runs(~spt):
        if b - a < 60 * per_min:
            spt[a:b] = True
    return max(runs(spt), key=lambda ab: ab[1] - ab[0])


def ggir_raw_night(angle5: np.ndarray, psg: np.ndarray, clamp: bool = False) -> dict[str, Any]:
    """The published pair straight from the raw signal, as a reference: GGIR's HDCZA period
    on the 5-s angles and van Hees 2015 sleep within it; figures as _night_figures gives."""
    n = len(psg)
    scored = psg >= 0
    per = psg_period(psg)
    block = ggir_hdcza(angle5, clamp=clamp)
    pred = np.zeros(n, dtype=bool)
    r: dict[str, Any] = {"onset_err": None, "offset_err": None, "tst_period_err": None,
                         "waso_err": None, "se_err": None, "valid": 0,
                         "nonwear_on_psg_sleep": 0, "unscored_pct": 100.0}  # no period
    if block is not None:
        i, j = block[0] * 5 // EPOCH_S, min(-(-block[1] * 5 // EPOCH_S), n)
        pred[i:j] = van_hees_raw(angle5, n)[i:j]
        r["unscored_pct"] = 0.0
        if per is not None:
            tst = float(pred.sum() * EPOCH_S / 60)
            r.update(onset_err=(i - per[0]) * EPOCH_S / 60, offset_err=(j - per[1]) * EPOCH_S / 60,
                     tst_period_err=tst - psg_tst(psg))
    r["tst_err"] = _tst_err(pred, psg)
    r["pred"] = pred[scored]
    return r


def _store_night(store: Store, pid: str, e: dict[str, np.ndarray], mode: str) -> None:
    """Ingest one night as the imports do: the firmware's features of the raw samples, or
    ENMO alone from the autocalibrated signal (what a watch or GGIR exports; an ENMO epoch
    import stores it in both the ENMO and MAD fields, no angle)."""
    recs = []
    counts: dict[int, int] | None = {} if mode == "counts" else None
    for i in range(len(e["t"])):
        t = int(e["t"][i])
        if counts is not None:
            recs.append(Epoch(import_seq(t, EPOCH_S), t, 0, 0, 0, 0, 0, 0))
            counts[import_seq(t, EPOCH_S)] = int(e["counts"][i])
        elif mode == "angle":
            recs.append(Epoch(import_seq(t, EPOCH_S), t, int(e["flags"][i]), int(e["enmo"][i]),
                              int(e["mad"][i]), int(e["z"][i]), int(e["dangle"][i]),
                              int(e["steps"][i])))
        else:
            v = int(min(e["enmo_cal_dmg"][i], 65535))
            recs.append(Epoch(import_seq(t, EPOCH_S), t, 0, v, v, 0, 0, 0))
    # the importers' own last step (patient, import device, audit row, epochs in one go)
    save(store, pid, ParsedImport(f"{pid}.npy", KIND[mode], EPOCH_S, recs, counts,
                                  fingerprint=f"{pid}-{mode}-{len(recs)}"), "UTC")


def analyse(store: Store, pid: str, cfg: AnalysisConfig, n: int, t0: int,
            stored: bool = True, tl: Timeline | None = None
            ) -> tuple[SleepScores, np.ndarray, list[dict[str, Any]]]:
    """The stored analysis (analyse_patient) plus its per-epoch sleep scores, aligned to
    the night's epochs; stored=False: the night rows of score_sleep alone (variants, on the
    timeline `tl` when given: loading it is the slow part)."""
    summary = analyse_patient(store, pid, cfg) if stored else None
    tl = tl or load_timeline(store, pid)
    assert tl is not None
    worn = ~detect_nonwear(tl, cfg)
    scores = score_sleep(tl, UTC, worn, cfg, pid)
    off = (t0 - tl.start) // EPOCH_S
    sl = slice(off, off + n)
    return (SleepScores(scores.nights, scores.in_period[sl], scores.asleep[sl]), worn[sl],
            summary.nights if summary is not None else scores.nights)


def psg_period(psg: np.ndarray) -> tuple[int, int] | None:
    s = np.flatnonzero(psg == 1)
    return (int(s[0]), int(s[-1]) + 1) if len(s) else None


def psg_tst(psg: np.ndarray) -> float:
    """The PSG's total sleep time in minutes."""
    return float((psg == 1).sum() * EPOCH_S / 60)


def _tst_err(asleep: np.ndarray, psg: np.ndarray) -> float:
    """Our TST minus the PSG's, both counted on the epochs the PSG scored sleep or wake
    (a night without a period: our TST is 0 there)."""
    return float(asleep[psg >= 0].sum() * EPOCH_S / 60) - psg_tst(psg)


def night_truth(psg: np.ndarray) -> dict[str, float]:
    per = psg_period(psg)
    tst = psg_tst(psg)
    if per is None:
        return {"tst": tst, "waso": 0.0, "se": 0.0}
    a, b = per
    waso = float((psg[a:b] == 0).sum() * EPOCH_S / 60)
    return {"tst": tst, "waso": waso, "se": 100 * tst / ((b - a) * EPOCH_S / 60)}


def _night_figures(scores: SleepScores, worn: np.ndarray, rows: list[dict[str, Any]],
                   psg: np.ndarray, per: tuple[int, int] | None, truth: dict[str, float],
                   t0: int) -> dict[str, Any]:
    """One night's agreement and period/TST errors for one way of analysing it."""
    scored = psg >= 0
    pred = scores.asleep
    unscored = ~worn | (not scores.in_period.any())
    r: dict[str, Any] = agreement(pred[scored], psg[scored] == 1)
    r["pred"] = pred[scored]
    r["in_period"] = scores.in_period[scored]
    r["unscored_pct"] = float(100 * unscored[scored].mean())
    r["nonwear_on_psg_sleep"] = int(np.sum(~worn & (psg == 1)))
    with_period = [x for x in rows if x["onset_utc"] is not None]
    r["valid"] = sum(1 for x in rows if x["valid"])
    r["reasons"] = [x["reason"] for x in rows if x.get("reason")]
    if with_period and per is not None:
        night = max(with_period, key=lambda x: x["tib_min"])
        on = (night["onset_utc"] - t0) / 60 - per[0] * EPOCH_S / 60
        offe = (night["offset_utc"] - t0) / 60 - per[1] * EPOCH_S / 60
        r.update(onset_err=on, offset_err=offe,
                 # the whole period's TST: also our sleep outside the PSG recording and on
                 # code 7, where the PSG judges neither (the headline until Dec 2026)
                 tst_period_err=night["tst_min"] - truth["tst"],
                 waso_err=night["waso_min"] - truth["waso"], se_err=night["se_pct"] - truth["se"],
                 source=night["source"])
    else:
        r.update(onset_err=None, offset_err=None, tst_period_err=None, waso_err=None,
                 se_err=None, source="none")
    r["tst_err"] = _tst_err(pred, psg)
    return r


def run_night(path: Path, cfg: AnalysisConfig, workdir: Path) -> dict[str, Any]:
    e = firmware_epochs(path)
    psg = e["psg"]
    n = len(psg)
    red = reductions(path, n)
    e = {**e, "enmo_cal_dmg": np.round(red["enmo_cal"] * 10).astype(np.int64)}
    scored = psg >= 0
    truth = psg[scored] == 1
    out: dict[str, Any] = {"night": path.stem, "epochs": int(scored.sum()),
                           "psg_sleep_h": float(truth.sum() * EPOCH_S / 3600),
                           "truth": night_truth(psg), "truth_sleep": truth}
    flags = e["flags"]
    out["fw_fault_pct"] = float(100 * np.mean((flags & FLAG_SENSOR_FAULT) != 0))
    out["fw_nonwear_on_psg_sleep"] = int(np.sum(((flags & FLAG_NONWEAR) != 0) & (psg == 1)))
    per = psg_period(psg)
    modes = MODES if have_agcounts() else MODES[:2]
    if "counts" in modes:
        e["counts"] = vm_counts(path, n)
        minutes = np.repeat(e["counts"][: n // 2 * 2].reshape(-1, 2).sum(axis=1), 2)
        minutes = np.concatenate([minutes, np.zeros(n - len(minutes))])
        out["ck_all"] = np.repeat(cole_kripke(minutes[::2]), 2)[:n][scored].astype(bool)
        out["ck_actilife"] = np.repeat(cole_kripke(np.minimum(minutes[::2], 30000), divisor=100),
                                       2)[:n][scored].astype(bool)
    for mode in modes:
        with Store(workdir / f"{path.stem}-{mode}.db") as store:
            pid = f"ichi-{path.stem}"
            _store_night(store, pid, e, mode)
            scores, worn, rows = analyse(store, pid, cfg, n, int(e["t"][0]))
            out[mode] = _night_figures(scores, worn, rows, psg, per, out["truth"], int(e["t"][0]))
            out.setdefault("variants", {})
            tl = load_timeline(store, pid)
            for name, (vmode, kw) in {**VARIANTS, **ENMO_WITHIN_VARIANTS}.items():
                if vmode == mode:
                    vs, vw, vr = analyse(store, pid, replace(cfg, **kw), n, int(e["t"][0]),
                                         stored=False, tl=tl)
                    out["variants"][name] = _night_figures(vs, vw, vr, psg, per, out["truth"],
                                                           int(e["t"][0]))
    out["vanhees_raw"] = van_hees_raw(e["raw_angle5"], n)[scored]
    out["ggir_raw"] = ggir_raw_night(e["raw_angle5"], psg)
    out["ggir_raw_clamped"] = ggir_raw_night(e["raw_angle5"], psg, clamp=True)
    out["enmo_mg"], out["scored"] = red["enmo_cal"], scored  # the whole night's ENMO
    out["calibrated"] = bool(red["cal"][-1])
    return out


ENMO_GRID = np.arange(0.0, 100.5, 0.5)  # mg: the thresholds the ENMO baselines choose from
# Sustained forms of the ENMO threshold baseline: sleep where ENMO stays at or under the
# threshold for this long (van Hees 2015's 5 min; GGIR's second time threshold, 10 min).
ENMO_SUSTAINED_MIN = (5, 10)


EnmoPreds = list[list[np.ndarray]]  # per threshold of ENMO_GRID, per night: the calls


def enmo_preds(results: list[dict[str, Any]], still_min: int) -> EnmoPreds:
    """Per threshold of ENMO_GRID, per night: the PSG-scored epochs called sleep (ENMO <=
    the threshold; still_min > 0: only in runs at least that long, over the whole night)."""
    k = max(still_min * 60 // EPOCH_S, 1)
    return [[keep_runs_at_least(r["enmo_mg"] <= g, k)[r["scored"]] for r in results]
            for g in ENMO_GRID]


def lono_enmo(results: list[dict[str, Any]], preds: EnmoPreds, still_min: int = 0
              ) -> list[np.ndarray]:
    """Per night: ENMO <= threshold is sleep (preds: enmo_preds(results, still_min)), the
    threshold chosen on the other nights (best pooled kappa over ENMO_GRID, 0..100 mg in
    0.5-mg steps). The choice is kept as the night's lono_enmo_thr[still_min]."""
    out = []
    for k in range(len(results)):
        t = np.concatenate([r["truth_sleep"] for j, r in enumerate(results) if j != k])
        best = max(range(len(ENMO_GRID)), key=lambda i: agreement(
            np.concatenate([p for j, p in enumerate(preds[i]) if j != k]), t)["kappa"])
        results[k].setdefault("lono_enmo_thr", {})[still_min] = float(ENMO_GRID[best])
        out.append(preds[best][k])
    return out


def best_enmo_threshold(results: list[dict[str, Any]], preds: EnmoPreds
                        ) -> tuple[float, list[np.ndarray]]:
    """The one threshold with the best pooled kappa on every night's own labels, and its
    calls: not a method (the labels of the nights it is scored on choose it) but a
    ceiling for any single ENMO threshold on these nights."""
    t = np.concatenate([r["truth_sleep"] for r in results])
    best = max(range(len(ENMO_GRID)),
               key=lambda i: agreement(np.concatenate(preds[i]), t)["kappa"])
    return float(ENMO_GRID[best]), preds[best]


def best_enmo_per_night(results: list[dict[str, Any]], preds: EnmoPreds
                        ) -> list[np.ndarray]:
    """Per night, the threshold with the best kappa on that night's own labels: the room a
    threshold adapted to each recording would have (a looser ceiling than one threshold)."""
    return [preds[max(range(len(ENMO_GRID)), key=lambda i: agreement(
        preds[i][k], r["truth_sleep"])["kappa"])][k] for k, r in enumerate(results)]


def enmo_row(still_min: int, ceiling: bool = False, per_night: bool = False) -> str:
    """The name of an ENMO threshold row (baseline, or ceiling with the labels used)."""
    rule = f", still >= {still_min} min" if still_min else ""
    if per_night:
        return (f"one ENMO threshold per night{rule}, each the best on its night's own "
                f"labels (a looser ceiling)")
    if ceiling:
        return (f"one ENMO threshold{rule}, the best on all nights' own labels "
                f"(a ceiling, not a method)")
    return f"ENMO threshold{rule} (LONO)"


def _abs(xs: list[float | None]) -> np.ndarray:
    return np.abs(np.array([x for x in xs if x is not None], dtype=float))


def _pooled(rs: list[dict[str, Any]], results: list[dict[str, Any]],
            truth: np.ndarray) -> dict[str, Any]:
    """Pooled agreement and period/TST errors of one way of analysing every night."""
    pred = np.concatenate([x["pred"] for x in rs])
    unsc = sum(x["unscored_pct"] * r["epochs"] for x, r in zip(rs, results, strict=True))
    d = {**agreement(pred, truth), "unscored_pct": unsc / len(truth)}
    d["nights_with_period"] = sum(1 for x in rs if x["onset_err"] is not None)
    d["valid_nights"] = sum(x["valid"] for x in rs)
    for k in ("onset_err", "offset_err"):
        v = _abs([x[k] for x in rs])
        d[k.replace("_err", "_medae_min")] = float(np.median(v)) if len(v) else None
    for k in ("tst_err", "waso_err", "se_err", "tst_period_err"):
        v = _abs([x.get(k) for x in rs])
        d[k.replace("_err", "_mae")] = float(v.mean()) if len(v) else None
        raw = [x[k] for x in rs if x.get(k) is not None]
        d[k.replace("_err", "_bias")] = float(np.mean(raw)) if raw else None
    d["nonwear_on_psg_sleep"] = sum(x["nonwear_on_psg_sleep"] for x in rs)
    return d


def lono_variant(results: list[dict[str, Any]], mode: str = "angle",
                 among: list[str] | None = None, by: str = "kappa") -> list[str]:
    """Per night: the variant of `mode` (every one: VARIANTS and, for ENMO, the grid) or of
    `among` with the best pooled kappa on the other nights (by="tst": the lowest TST mean
    absolute error on them; ties: the first in VARIANTS, or in `among`)."""
    names = among if among is not None else [
        k for k, (m, _) in {**VARIANTS, **ENMO_WITHIN_VARIANTS}.items() if m == mode]
    chosen = []
    for k in range(len(results)):
        others = [r for j, r in enumerate(results) if j != k]
        t = np.concatenate([r["truth_sleep"] for r in others])

        def kappa(name: str, others: list[dict[str, Any]] = others,
                  t: np.ndarray = t) -> float:
            return float(agreement(np.concatenate([r["variants"][name]["pred"] for r in others]),
                                   t)["kappa"])

        def neg_tst_mae(name: str, others: list[dict[str, Any]] = others) -> float:
            v = _abs([r["variants"][name]["tst_err"] for r in others])
            return -float(v.mean()) if len(v) else -float("inf")

        chosen.append(max(names, key=kappa if by == "kappa" else neg_tst_mae))
    return chosen


def _take(preds: list[np.ndarray]) -> Callable[[dict[str, Any], int], np.ndarray]:
    """A summarise method that reads night k's calls from a list made beforehand."""
    return lambda r, k: preds[k]


def summarise(results: list[dict[str, Any]]) -> dict[str, Any]:
    truth = np.concatenate([r["truth_sleep"] for r in results])
    pooled: dict[str, Any] = {"nights": len(results), "epochs": int(len(truth)),
                              "enmo_ceiling_thr": {}}
    methods: dict[str, Callable[[dict[str, Any], int], np.ndarray]] = {
        "always-sleep": lambda r, k: np.ones(len(r["truth_sleep"]), dtype=bool),
        "van Hees 2015 (raw)": lambda r, k: r["vanhees_raw"],
    }
    for m in (0, *ENMO_SUSTAINED_MIN):  # the ENMO threshold baselines and their ceilings
        preds = enmo_preds(results, m)
        methods[enmo_row(m)] = _take(lono_enmo(results, preds, m))
        thr, best = best_enmo_threshold(results, preds)
        pooled["enmo_ceiling_thr"][m] = thr
        methods[enmo_row(m, ceiling=True)] = _take(best)
        if m == ENMO_SUSTAINED_MIN[-1]:
            methods[enmo_row(m, per_night=True)] = _take(best_enmo_per_night(results, preds))
    if all("ck_all" in r for r in results):
        methods["Cole-Kripke, whole recording"] = lambda r, k: r["ck_all"]
        methods["Cole-Kripke (ActiLife scaling), whole recording"] = \
            lambda r, k: r["ck_actilife"]
    for name, fn in methods.items():
        pred = np.concatenate([fn(r, k) for k, r in enumerate(results)])
        pooled[name] = {**agreement(pred, truth), "unscored_pct": 0.0,
                        "per_night_kappa": [agreement(fn(r, k), r["truth_sleep"])["kappa"]
                                            for k, r in enumerate(results)]}
    for mode in MODES:
        if all(mode in r for r in results):
            pooled[f"Wearlog ({mode})"] = _pooled([r[mode] for r in results], results, truth)
    for key, name in (("ggir_raw", GGIR_RAW), ("ggir_raw_clamped", GGIR_RAW_CLAMPED)):
        if all(key in r for r in results):
            pooled[name] = _pooled([r[key] for r in results], results, truth)
    pooled["variants"] = {name: _pooled([r["variants"][name] for r in results], results, truth)
                          for name in VARIANTS if all(name in r["variants"] for r in results)}
    pooled["lono_variant_choices"] = []
    for mode in MODES:
        if f"Wearlog ({mode})" not in pooled:
            continue
        chosen = lono_variant(results, mode)
        pooled[f"Wearlog ({mode}, LONO variant)"] = _pooled(
            [r["variants"][c] for r, c in zip(results, chosen, strict=True)], results, truth)
        pooled["lono_variant_choices"] += chosen
    ran = set.intersection(*(set(r["variants"]) for r in results))
    grid: dict[str, dict[str, Any]] = {}  # the default fallback's slice of the grid
    for q in ENMO_WITHIN_PCT:
        for m in ENMO_WITHIN_MULT:
            name = enmo_within(q, m, _DEFAULT_FALLBACK)
            if name in ran:
                d = _pooled([r["variants"][name] for r in results], results, truth)
                grid[f"P{q} x {m:g}"] = {"kappa": d["kappa"], "tst_mae": d["tst_mae"]}
    pooled["enmo_within_grid"] = grid
    pooled["lono_groups"] = {}
    for group, (mode, among) in LONO_GROUPS.items():
        if f"Wearlog ({mode})" in pooled and ran.issuperset(among):
            chosen = lono_variant(results, mode, among)
            pooled["lono_groups"][group] = {
                **_pooled([r["variants"][c] for r, c in zip(results, chosen, strict=True)],
                          results, truth),
                "picks": {n: chosen.count(n) for n in among}}
    for group, (mode, among) in LONO_TST_GROUPS.items():
        if f"Wearlog ({mode})" in pooled and ran.issuperset(among):
            chosen = lono_variant(results, mode, among, by="tst")
            pooled["lono_groups"][group] = {
                **_pooled([r["variants"][c] for r, c in zip(results, chosen, strict=True)],
                          results, truth),
                "picks": {n: chosen.count(n) for n in among}}
    pooled["fw_fault_pct"] = float(np.mean([r["fw_fault_pct"] for r in results]))
    pooled["fw_nonwear_on_psg_sleep"] = sum(r["fw_nonwear_on_psg_sleep"] for r in results)
    return pooled


def _f(v: Any, nd: int = 2) -> str:
    if v is None or (isinstance(v, float) and v != v):
        return "–"
    if isinstance(v, float):
        return f"{v:.{nd}f}"
    return str(v)


def markdown(results: list[dict[str, Any]], pooled: dict[str, Any]) -> str:
    out = ["| Method (pooled, 30-s epochs) | κ | accuracy | sensitivity | specificity | "
           "unscored % | onset MedAE min | offset MedAE min | TST MAE min | "
           "TST MAE min, whole period | WASO MAE min | SE MAE % |",
           "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for name in ("Wearlog (angle)", "Wearlog (enmo)", "Wearlog (counts)", "van Hees 2015 (raw)",
                 GGIR_RAW, GGIR_RAW_CLAMPED, "ENMO threshold (LONO)",
                 *[enmo_row(m) for m in ENMO_SUSTAINED_MIN],
                 *[enmo_row(m, ceiling=True) for m in (0, *ENMO_SUSTAINED_MIN)],
                 enmo_row(ENMO_SUSTAINED_MIN[-1], per_night=True),
                 "Cole-Kripke, whole recording", "Cole-Kripke (ActiLife scaling), whole recording",
                 "always-sleep"):
        if name not in pooled:
            continue
        d = pooled[name]
        out.append(f"| {name} | {_f(d['kappa'], 3)} | {_f(d['accuracy'])} | "
                   f"{_f(d['sensitivity'])} | {_f(d['specificity'])} | "
                   f"{_f(d['unscored_pct'], 1)} | "
                   f"{_f(d.get('onset_medae_min'), 0)} | {_f(d.get('offset_medae_min'), 0)} | "
                   f"{_f(d.get('tst_mae'), 0)} | {_f(d.get('tst_period_mae'), 0)} | "
                   f"{_f(d.get('waso_mae'), 0)} | "
                   f"{_f(d.get('se_mae'), 1)} |")
    if pooled["enmo_ceiling_thr"]:
        chosen = {m: sorted({r["lono_enmo_thr"][m] for r in results})
                  for m in (0, *ENMO_SUSTAINED_MIN)}
        out += ["", "ENMO threshold rows: the calibrated 30-s ENMO of the whole night (no "
                "period step), sleep where it is at or under the threshold (\"still >= N "
                "min\": in runs that long). LONO thresholds picked (mg): " + "; ".join(
                    f"{enmo_row(m)}: {', '.join(_f(v, 1) for v in chosen[m])}"
                    for m in chosen) + ". Ceilings (mg): " + "; ".join(
                    f"{m or 'per epoch'}{' min' if m else ''}: "
                    f"{_f(pooled['enmo_ceiling_thr'][m], 1)}"
                    for m in pooled["enmo_ceiling_thr"]) + "."]
    out += ["", "Published variants of the period and non-wear steps (every night; "
            "the LONO row takes, for each night, the variant with the best pooled κ on the "
            "other nights; rows marked \"by TST MAE\" the lowest TST mean absolute error on "
            "them):", "",
            "| Variant | κ | unscored % | onset MedAE min | offset MedAE min | TST MAE min | "
            "TST MAE min, whole period | valid nights | PSG sleep called non-wear |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    lono = [(f"LONO-selected variant ({m})", pooled[f"Wearlog ({m}, LONO variant)"])
            for m in MODES if f"Wearlog ({m}, LONO variant)" in pooled]
    lono += [(f"LONO-selected, {g}", d) for g, d in pooled.get("lono_groups", {}).items()]
    for name, d in [*pooled["variants"].items(), *lono]:
        out.append(f"| {name} | {_f(d['kappa'], 3)} | {_f(d['unscored_pct'], 1)} | "
                   f"{_f(d['onset_medae_min'], 0)} | {_f(d['offset_medae_min'], 0)} | "
                   f"{_f(d['tst_mae'], 1)} | {_f(d['tst_period_mae'], 1)} | "
                   f"{d['valid_nights']} | {d['nonwear_on_psg_sleep']} |")
    picks = sorted(set(pooled["lono_variant_choices"]))
    out.append("")
    out.append("LONO picks: " + "; ".join(
        f"{p}: {pooled['lono_variant_choices'].count(p)} nights" for p in picks) + ".")
    for g, d in pooled.get("lono_groups", {}).items():
        out.append(f"LONO picks ({g}): " + "; ".join(
            f"{n}: {k} nights" for n, k in d["picks"].items() if k) + ".")
    grid = pooled.get("enmo_within_grid", {})
    if grid:
        cfg = AnalysisConfig()
        out += ["", f"ENMO-only: sleep within the period (cut to L5 +- 6 h, trimmed to its "
                f"10-min bouts) where ENMO stays for >= 10 min at or under a multiple of a "
                f"percentile of the period's own non-zero ENMO (fallback {_DEFAULT_FALLBACK} "
                f"mg), pooled κ (TST MAE min); the default, "
                f"{cfg.enmo_within_multiplier:g} x P{cfg.enmo_within_percentile:g}, in bold:",
                "", "| percentile | " + " | ".join(f"x {m:g}" for m in ENMO_WITHIN_MULT) + " |",
                "|---|" + "---:|" * len(ENMO_WITHIN_MULT)]
        for q in ENMO_WITHIN_PCT:
            cells = []
            for m in ENMO_WITHIN_MULT:
                d = grid.get(f"P{q} x {m:g}")
                c = "–" if d is None else f"{_f(d['kappa'], 3)} ({_f(d['tst_mae'], 0)})"
                default = (q == cfg.enmo_within_percentile and m == cfg.enmo_within_multiplier)
                cells.append(f"**{c}**" if default else c)
            out.append(f"| P{q} | " + " | ".join(cells) + " |")
    a, en = pooled["Wearlog (angle)"], pooled["Wearlog (enmo)"]
    out += ["", f"Nights: {pooled['nights']}, PSG-scored epochs: {pooled['epochs']}. "
            f"Angle path: a period on {a['nights_with_period']} nights, valid "
            f"{a['valid_nights']}; ENMO-only: a period on {en['nights_with_period']}, valid "
            f"{en['valid_nights']}. TST (on the epochs the PSG scored sleep or wake) bias "
            f"(angle) {_f(a['tst_bias'], 0)} min, (ENMO) {_f(en['tst_bias'], 0)} min; over "
            f"the whole period (also our sleep outside the PSG recording and on code 7, "
            f"where the PSG judges neither; the headline until Dec 2026), the angle path's "
            f"TST MAE is {_f(a['tst_period_mae'], 1)} min (bias "
            f"{_f(a['tst_period_bias'], 0)}). "
            f"PSG sleep called non-wear by the analysis: "
            f"{a['nonwear_on_psg_sleep']} epochs (angle), {en['nonwear_on_psg_sleep']} (ENMO); "
            + (f"GGIR's HDCZA on the raw 5-s angles: a period on "
               f"{pooled[GGIR_RAW]['nights_with_period']} nights "
               f"({pooled[GGIR_RAW_CLAMPED]['nights_with_period']} with the clamp); "
               if GGIR_RAW in pooled and GGIR_RAW_CLAMPED in pooled else "") +
            f"flagged FLAG_NONWEAR by the firmware (a hint only): "
            f"{pooled['fw_nonwear_on_psg_sleep']}; sensor-fault flag on "
            f"{_f(pooled['fw_fault_pct'], 2)} % of epochs."
            + (f" Counts-only (ActiGraph VM counts via agcounts): a period on "
               f"{pooled['Wearlog (counts)']['nights_with_period']} nights, valid "
               f"{pooled['Wearlog (counts)']['valid_nights']}, TST bias "
               f"{_f(pooled['Wearlog (counts)']['tst_bias'], 0)} min."
               if "Wearlog (counts)" in pooled else
               " Counts-only: skipped (agcounts not installed)."), "",
            "| Night | PSG sleep h | κ angle | κ ENMO | κ vH raw | κ ENMO LONO (thr mg) | "
            "unscored % | onset err min | offset err min | TST err min | "
            "TST err min, whole period | source | not valid because |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|"]
    vh = pooled["van Hees 2015 (raw)"]["per_night_kappa"]
    lo = pooled["ENMO threshold (LONO)"]["per_night_kappa"]
    for k, r in enumerate(results):
        x = r["angle"]
        out.append(f"| {r['night']} | {r['psg_sleep_h']:.1f} | {_f(x['kappa'])} | "
                   f"{_f(r['enmo']['kappa'])} | {_f(vh[k])} | {_f(lo[k])} "
                   f"({_f(r['lono_enmo_thr'][0], 1)}) | {_f(x['unscored_pct'], 1)} | "
                   f"{_f(x['onset_err'], 0)} | {_f(x['offset_err'], 0)} | "
                   f"{_f(x['tst_err'], 0)} | {_f(x['tst_period_err'], 0)} | {x['source']} | "
                   f"{'; '.join(x['reasons']) or ''} |")
    return "\n".join(out) + "\n"


def run(psg: Path = DEFAULT_PSG, only: list[str] | None = None,
        log: Callable[[str], None] = lambda s: None) -> tuple[list[dict[str, Any]],
                                                             dict[str, Any]]:
    files = [p for p in nights(psg) if only is None or p.stem in only]
    if not files:
        raise FileNotFoundError(f"no ICHI14 nights (*.npy) in {psg}")
    cfg = AnalysisConfig()
    results = []
    with tempfile.TemporaryDirectory(prefix="wearlog-validate-") as tmp:
        for p in files:
            log(f"validate: {p.stem}")
            results.append(run_night(p, cfg, Path(tmp)))
    return results, summarise(results)


def bench_area(quick: bool) -> dict[str, Any]:
    """The `make bench` area: skipped with a message when the data folder is absent."""
    from bench.figures import figure

    if not DEFAULT_PSG.is_dir():
        return {"status": f"skipped: no PSG data at {DEFAULT_PSG} (see bench/validate.py)"}
    results, pooled = run(DEFAULT_PSG, only=None)
    rows = []
    vh = pooled["van Hees 2015 (raw)"]["kappa"]
    g = pooled.get(GGIR_RAW, {})  # the published HDCZA + van Hees 2015 on the raw 5-s angles
    for mode in MODES:
        if f"Wearlog ({mode})" not in pooled:
            rows.append(figure(f"{mode}: skipped (pip install agcounts)", 0, ""))
            continue
        d = pooled[f"Wearlog ({mode})"]
        rows += [
            figure(f"{mode}: Cohen's kappa (pooled)", d["kappa"], "", vh, "van Hees 2015 raw"),
            figure(f"{mode}: Cohen's kappa vs LONO ENMO threshold", d["kappa"], "",
                   pooled["ENMO threshold (LONO)"]["kappa"], "ENMO threshold, LONO"),
            figure(f"{mode}: accuracy", d["accuracy"], "", pooled["always-sleep"]["accuracy"],
                   "always-sleep"),
            figure(f"{mode}: epochs unscored", d["unscored_pct"], "%"),
            figure(f"{mode}: TST MAE", d["tst_mae"], "min", g.get("tst_mae"), GGIR_RAW),
            figure(f"{mode}: onset MedAE", d["onset_medae_min"], "min",
                   g.get("onset_medae_min"), GGIR_RAW),
            figure(f"{mode}: offset MedAE", d["offset_medae_min"], "min",
                   g.get("offset_medae_min"), GGIR_RAW),
            figure(f"{mode}: nights with a period", d["nights_with_period"], "nights",
                   pooled["nights"], "nights"),
        ]
    held_out = pooled.get("Wearlog (enmo, LONO variant)")
    if held_out is not None:  # the default's fallback and within thresholds were chosen
        rows += [  # on these nights: the figures with every choice made on the other nights
            figure("enmo: Cohen's kappa, every ENMO choice made on the other nights (LONO, "
                   "held out)", held_out["kappa"], "", vh, "van Hees 2015 raw"),
            figure("enmo: TST MAE, every ENMO choice made on the other nights (LONO, held "
                   "out)", held_out["tst_mae"], "min", g.get("tst_mae"), GGIR_RAW)]
    ceiling = enmo_row(ENMO_SUSTAINED_MIN[-1], ceiling=True)
    if ceiling in pooled:
        rows.append(figure(f"{ceiling}: Cohen's kappa", pooled[ceiling]["kappa"], "", vh,
                           "van Hees 2015 raw"))
    rows.append(figure("angle: TST MAE, whole period (also outside the PSG recording and "
                       "on code 7; the headline until Dec 2026)",
                       pooled["Wearlog (angle)"]["tst_period_mae"], "min",
                       g.get("tst_period_mae"), GGIR_RAW))
    rows += [figure("firmware sensor-fault flag", pooled["fw_fault_pct"], "% of epochs"),
             figure("PSG sleep called non-wear (analysis)",
                    pooled["Wearlog (angle)"]["nonwear_on_psg_sleep"], "epochs")]
    return {"figures": rows, "raw": {"pooled": _jsonable(pooled),
                                     "markdown": markdown(results, pooled)}}


def _jsonable(d: Any) -> Any:
    if isinstance(d, dict):
        return {k: _jsonable(v) for k, v in d.items()}
    if isinstance(d, list):
        return [_jsonable(v) for v in d]
    if isinstance(d, np.generic):
        return d.item()
    return d


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.validate",
                                description=(__doc__ or "").splitlines()[0])
    p.add_argument("--psg", type=Path, default=DEFAULT_PSG, help="folder of ICHI14 *.npy nights")
    p.add_argument("--nights", help="comma-separated night names (default: all)")
    p.add_argument("--out", type=Path, help="also write the Markdown tables here")
    a = p.parse_args(argv)
    if not a.psg.is_dir():
        print(f"no PSG data folder at {a.psg}: pass --psg DIR", file=sys.stderr)
        return 2
    only = a.nights.split(",") if a.nights else None
    results, pooled = run(a.psg, only, lambda s: print(s, file=sys.stderr, flush=True))
    md = markdown(results, pooled)
    print(md)
    if a.out:
        a.out.write_text(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
