"""Accuracy of the analysis on the virtual wearer's ground truth (the shared host-port
recording: unchanged firmware -> records -> store -> wearlog.analysis).

- Sleep/wake per 30-s epoch inside the true in-bed periods (where actigraphy scoring is
  validated): the analysis's sustained-inactivity score (wearlog.analysis.sleep) against
  the truth, as accuracy, sensitivity (sleep found), specificity (wake found), Cohen's kappa.
  Baseline: always answering "asleep" in bed (the majority class).
- Sleep periods: onset/offset of each valid night against the true lights-out / got-up
  times, and total sleep time, with the wearer's bed/up presses (markers) and again with
  those events removed (the HDCZA arm-angle detector alone).
- Steps: the device's step count over each true walking bout against the true steps.
Figures compare with truth the simulator drew, not with people: they validate the chain,
not the method's clinical accuracy.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from bench.figures import figure
from bench.recording import DAYS, QUICK_DAYS, Recording, recording
from wearlog.analysis import AnalysisConfig, analyse_patient
from wearlog.analysis.nonwear import detect_nonwear
from wearlog.analysis.sleep import sustained_inactivity
from wearlog.analysis.timeline import load_timeline
from wearlog.store import Store
from wlproto import const as C
from wlproto.const import EPOCH_S
from wlproto.records import Epoch


def agreement(pred: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    """Epoch agreement with sleep as the positive class; kappa per Cohen (1960)."""
    pred = pred.astype(bool)
    truth = truth.astype(bool)
    n = len(truth)
    if n == 0:
        nan = float("nan")
        return {"n": 0, "accuracy": nan, "sensitivity": nan, "specificity": nan, "kappa": nan}
    tp = float(np.sum(pred & truth))
    tn = float(np.sum(~pred & ~truth))
    fp = float(np.sum(pred & ~truth))
    fn = float(np.sum(~pred & truth))
    po = (tp + tn) / n
    pe = ((tp + fp) * (tp + fn) + (tn + fn) * (tn + fp)) / (n * n)
    return {
        "n": n,
        "accuracy": po,
        "sensitivity": tp / (tp + fn) if tp + fn else float("nan"),
        "specificity": tn / (tn + fp) if tn + fp else float("nan"),
        "kappa": (po - pe) / (1 - pe) if pe < 1 else 0.0,
    }


def _num(v: float) -> float | None:
    return None if np.isnan(v) else v


def _in_bed_mask(truth: Any, n: int) -> np.ndarray:
    m = np.zeros(n, dtype=bool)
    for a, b in truth.in_bed:
        m[int(a // EPOCH_S):int(b // EPOCH_S)] = True
    return m


def _period_errors(nights: list[dict[str, Any]], truth: Any) -> dict[str, Any]:
    """Per true night, the valid detected night nearest in onset (minutes)."""
    valid = [n for n in nights if n["valid"] and n["onset_utc"] is not None]
    on_err, off_err, tst_err = [], [], []
    for bed, up in truth.in_bed:
        t_on, t_off = truth.start_utc + bed, truth.start_utc + up
        if not valid:
            break
        best = min(valid, key=lambda n: abs(n["onset_utc"] - t_on))
        if abs(best["onset_utc"] - t_on) > 6 * 3600:
            continue  # no detected night for this one
        i, j = int(bed // EPOCH_S), int(up // EPOCH_S)
        on_err.append((best["onset_utc"] - t_on) / 60)
        off_err.append((best["offset_utc"] - t_off) / 60)
        tst_err.append(best["tst_min"] - truth.asleep[i:j].sum() * EPOCH_S / 60)
    return {"true_nights": len(truth.in_bed), "matched": len(on_err),
            "onset": np.array(on_err), "offset": np.array(off_err), "tst": np.array(tst_err)}


def _store(rec: Recording, path: Path) -> Store:
    s = Store(path)
    s.add_patient("V-BENCH", "UTC")
    s.add_device(1, "V-BENCH")
    s.ingest(1, rec.records)
    return s


def _steps(rec: Recording) -> dict[str, Any]:
    truth = rec.run.truth
    dev = np.zeros(truth.epochs)
    for r in rec.records:
        if isinstance(r, Epoch) and not r.flags & C.FLAG_CLOCK_UNSET:
            k = (r.time - truth.start_utc) // EPOCH_S
            if 0 <= k < truth.epochs:
                dev[k] += r.steps
    bout_err = []
    for a, b, _cad in truth.walks:
        i, j = int(a // EPOCH_S), min(int(np.ceil(b / EPOCH_S)), truth.epochs)
        t = truth.steps[i:j].sum()
        if t >= 20:
            bout_err.append(100 * (dev[i:j].sum() - t) / t)
    walk = truth.walking
    return {
        "bouts": len(bout_err),
        "bout_err_pct": np.array(bout_err),
        "walking_dev": float(dev[walk].sum()),
        "walking_truth": float(truth.steps[walk].sum()),
        "total_dev": float(dev.sum()),
        "total_truth": float(truth.steps.sum()),
    }


def run(quick: bool = False) -> dict[str, Any]:
    rec = recording(QUICK_DAYS if quick else DAYS)
    truth = rec.run.truth
    cfg = AnalysisConfig()
    rows: list[dict[str, Any]] = []
    raw: dict[str, Any] = {"days": rec.days}
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        s = _store(rec, tmp / "acc.db")
        out = analyse_patient(s, "V-BENCH")
        tl = load_timeline(s, "V-BENCH")
        assert tl is not None
        off = (tl.start - truth.start_utc) // EPOCH_S
        worn = ~detect_nonwear(tl, cfg)
        sib = sustained_inactivity(tl, worn, cfg)
        s.close()
        shutil.copy(tmp / "acc.db", tmp / "nomarkers.db")
        s2 = Store(tmp / "nomarkers.db")
        with s2.transaction() as c:
            c.execute("DELETE FROM events WHERE etype IN (?, ?)", (C.EV_BED, C.EV_UP))
        out_hdcza = analyse_patient(s2, "V-BENCH")
        s2.close()

    # epoch alignment: truth index k is timeline index k - off
    n = min(truth.epochs, tl.n + off)
    k = np.arange(max(off, 0), n)
    bed = _in_bed_mask(truth, truth.epochs)[k]
    truly_worn = truth.worn[k]
    pred = sib[k - off]
    sel = bed & truly_worn
    ag = agreement(pred[sel], truth.asleep[k][sel])
    base = agreement(np.ones(int(sel.sum()), dtype=bool), truth.asleep[k][sel])
    raw["sleep_wake_in_bed"] = ag
    note = f"{ag['n']} in-bed worn epochs"
    for key, unit, scale in (("accuracy", "%", 100), ("sensitivity", "%", 100),
                             ("specificity", "%", 100), ("kappa", "kappa", 1)):
        rows.append(figure(f"sleep/wake in bed: {key}", _num(scale * ag[key]), unit,
                           _num(scale * base[key]), "always 'asleep'",
                           note=note if key == "accuracy" else None))
    wear_acc = float(np.mean(worn[k - off] == truly_worn))
    rows.append(figure("wear/non-wear agreement, all epochs", 100 * wear_acc, "%",
                       100 * float(np.mean(truly_worn)), "always 'worn'"))

    for label, summary in (("with bed/up markers", out), ("arm angle only (HDCZA)", out_hdcza)):
        e = _period_errors(summary.nights, truth)
        raw[f"periods {label}"] = {k2: (v.tolist() if isinstance(v, np.ndarray) else v)
                                   for k2, v in e.items()}
        m = f"{e['matched']} of {e['true_nights']} nights matched"
        for what in ("onset", "offset", "tst"):
            v = e[what]
            name = {"onset": "sleep-period onset", "offset": "sleep-period offset",
                    "tst": "total sleep time"}[what]
            if len(v):
                rows.append(figure(f"{name} error, {label}: mean |error|",
                                   float(np.mean(np.abs(v))), "min",
                                   note=f"bias {np.mean(v):+.1f} min, max |error| "
                                        f"{np.max(np.abs(v)):.1f} min; {m}"))
            else:
                rows.append(figure(f"{name} error, {label}", None, "min",
                                   note=f"no night matched ({m})"))

    st = _steps(rec)
    raw["steps"] = {k2: (v.tolist() if isinstance(v, np.ndarray) else v) for k2, v in st.items()}
    if st["bouts"]:
        b = st["bout_err_pct"]
        rows.append(figure("step count error per walking bout: median |error|",
                           float(np.median(np.abs(b))), "%",
                           note=f"{st['bouts']} bouts of >= 20 true steps; bias "
                                f"{np.mean(b):+.1f} %, 95th pct |error| "
                                f"{np.percentile(np.abs(b), 95):.1f} %"))
    if st["walking_truth"]:
        rows.append(figure("steps in walking epochs (device)", st["walking_dev"], "steps",
                           st["walking_truth"], "true steps"))
    if st["total_truth"]:
        rows.append(figure("steps, whole recording (device)", st["total_dev"], "steps",
                           st["total_truth"], "true steps"))
    return {"figures": rows, "raw": raw}
