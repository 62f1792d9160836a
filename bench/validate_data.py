"""ICHI14 nights (wrist acceleration + PSG) for bench.validate: load, label, extract, cache.

Data: Borazio, Berlin, Kücükyildiz, Scholl, Van Laerhoven, "Towards a Benchmark for
Wearable Sleep Analysis with Inertial Wrist-worn Sensing Units", IEEE ICHI 2014. The
files are read from the folder given on the command line and never copied anywhere;
only derived 30-s epoch features are cached (outside the repository).

The samples go through exactly what `wearlog import --format raw` does with a CSV of
the same night in g: round(g * 1000) mg, epochs from the first whole 30 s of the clock,
wlfw.rawfeatures.epochs_from_samples (the firmware's own feature code). That is the
slow part (pure-Python per-sample loop, ~30 s a night), so its output is cached, keyed
by the night file and the source of the feature code: editing the firmware recomputes.
The PSG labels per epoch are not cached (cheap, and the cache key does not follow this
module): they are built afresh from the file on every call.

Labels and samples share the file's rows (both expanded with the run lengths `d`), so
they are aligned by sample index; the rows' clock `t` only gives the start. Code 7
(movement time) is left out, neither sleep nor wake (the README allows either): in this
data set it comes in runs of up to 42 min on some nights, with less wrist movement than
any sleep stage, which is not what movement time (an epoch obscured by movement) looks
like (docs/analysis.md, validation section, "Reference labels").
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from array import array
from pathlib import Path
from typing import Any

import numpy as np

RATE = 100
EPOCH_S = 30
ZERO_G, PER_G = 128, 32  # 8-bit counts: zero g at 128, about 32 counts per g (README)
SLEEP_CODES = (1, 2, 3, 5)  # N3, N2, N1, REM
WAKE_CODES = (6,)  # wake; 7 (movement time) is left out, 0 is not scored
FEATURE_SOURCES = ("firmware/wlfw/features.py", "firmware/wlfw/rawfeatures.py")
ROOT = Path(__file__).resolve().parent.parent


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "wearlog" / "validate"


def nights(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.npy"))


def load_samples(path: Path) -> tuple[float, np.ndarray]:
    """(start as POSIX seconds of the lab's clock, x/y/z in g (n, 3)); the PSG codes of
    the same samples: psg_epochs."""
    r = np.load(path).view(np.recarray)
    d = r.d.astype(np.int64)
    g = np.stack([np.repeat(r[c], d).astype(np.float64) for c in "xyz"], axis=1)
    g = (g - ZERO_G) / PER_G
    return posix(float(r.t[0])), g


def posix(t: float) -> float:
    """A matplotlib legacy date number (days, 1 = 0001-01-01) of the lab's clock as POSIX
    seconds read as UTC (so noon is the lab's noon)."""
    start = dt.datetime(1, 1, 1) + dt.timedelta(days=t - 1)
    return start.replace(tzinfo=dt.UTC).timestamp()


def _key(path: Path) -> str:
    h = hashlib.sha256()
    st = path.stat()
    h.update(f"{path.name}:{st.st_size}:{int(st.st_mtime)}".encode())
    for src in FEATURE_SOURCES:
        h.update((ROOT / src).read_bytes())
    return h.hexdigest()[:16]


def grid_start(start: float) -> tuple[int, int]:
    """First whole 30 s of the clock at or after the first sample, and samples to skip
    (as the raw import does)."""
    t0 = int(-(-start // EPOCH_S) * EPOCH_S)
    return t0, round((t0 - start) * RATE)


def firmware_epochs(path: Path, cache: Path | None = None) -> dict[str, np.ndarray]:
    """Per-epoch firmware features of one night (cached): t, flags, enmo, mad, z, dangle,
    steps as stored (0.1 mg, deg, 0.1 deg), plus the PSG label per epoch."""
    cache = cache or cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    f = cache / f"{path.stem}-{_key(path)}.npz"
    if f.exists():
        with np.load(f) as z:
            cached = {k: z[k] for k in z.files if k != "psg"}  # older caches held labels
        return {**cached, "psg": psg_epochs(path, len(cached["t"]))}
    from wlfw.rawfeatures import epochs_from_samples

    start, g = load_samples(path)
    t0, skip = grid_start(start)
    mg = np.round(g[skip:] * 1000).astype(np.int16)
    rows = [e.fields()[1:8]  # time, flags, enmo .. steps
            for e in epochs_from_samples(array("h", mg.ravel().tobytes()), RATE, EPOCH_S, 1000, t0)]
    a = np.array(rows, dtype=np.int64).reshape(-1, 7)
    out = {k: a[:, i] for i, k in enumerate(("t", "flags", "enmo", "mad", "z", "dangle",
                                                "steps"))}
    out.update(raw_references(g[skip:], len(a)))
    tmp = f.with_suffix(".tmp.npz")
    np.savez(tmp, **out)  # type: ignore[arg-type]
    tmp.replace(f)
    return {**out, "psg": psg_epochs(path, len(a))}


def reductions(path: Path, n: int, cache: Path | None = None) -> dict[str, np.ndarray]:
    """The night reduced to what other devices give (cached, keyed by this module's
    source): ENMO per 30 s in mg from the autocalibrated signal (as GGIR or a consumer
    watch's firmware computes it), and a calibration note."""
    cache = cache or cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    h = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:12]
    f = cache / f"{path.stem}-red-{n}-{h}.npz"
    if f.exists():
        with np.load(f) as z:
            return {k: z[k] for k in z.files}
    start, g = load_samples(path)
    _, skip = grid_start(start)
    g = g[skip:]
    off, scale, ok = autocalibrate(g)
    gc = (g + off) * scale
    enmo = np.maximum(np.linalg.norm(gc[: n * RATE * EPOCH_S], axis=1) - 1.0, 0.0)
    out = {"enmo_cal": enmo.reshape(n, RATE * EPOCH_S).mean(axis=1) * 1000,
           "cal": np.array([*off, *scale, float(ok)])}
    tmp = f.with_suffix(".tmp.npz")
    np.savez(tmp, **out)  # type: ignore[arg-type]
    tmp.replace(f)
    return out


def autocalibrate(g: np.ndarray, sd_g: float = 0.013,
                  iters: int = 200) -> tuple[np.ndarray, np.ndarray, bool]:
    """van Hees et al. 2014 (J Appl Physiol 117:738) autocalibration: per-axis offset and
    scale that bring the means of still 10-s windows (SD < 13 mg on every axis) onto the
    unit sphere, fitted iteratively to their closest points on it. Needs still windows on
    both sides of every axis (+-0.3 g, GGIR's sphere criterion); otherwise no change."""
    w = 10 * RATE
    m = len(g) // w
    blk = g[: m * w].reshape(m, w, 3)
    v = blk.mean(axis=1)[(blk.std(axis=1) < sd_g).all(axis=1)]
    off, scale = np.zeros(3), np.ones(3)
    if len(v) < 10 or not ((v.min(axis=0) < -0.3) & (v.max(axis=0) > 0.3)).all():
        return off, scale, False
    for _ in range(iters):
        cur = (v + off) * scale
        target = cur / np.linalg.norm(cur, axis=1, keepdims=True)
        new_off, new_scale = off.copy(), scale.copy()
        for i in range(3):
            b, a = np.polyfit(v[:, i], target[:, i], 1)  # target = a + b * raw
            new_scale[i], new_off[i] = b, a / b
        done = np.allclose(new_off, off, atol=1e-6) and np.allclose(new_scale, scale, atol=1e-6)
        off, scale = new_off, new_scale
        if done:
            break
    return off, scale, True


def psg_epochs(path: Path, n: int) -> np.ndarray:
    """The night's PSG label per epoch of the features' grid (epoch_labels)."""
    r = np.load(path).view(np.recarray)
    labels = np.repeat(r.gt.astype(np.int8), r.d.astype(np.int64))
    _, skip = grid_start(posix(float(r.t[0])))
    return epoch_labels(labels[skip:], n)


def epoch_labels(labels: np.ndarray, n: int) -> np.ndarray:
    """Per 30-s epoch: 1 sleep, 0 wake, -1 not scored. Majority of the samples scored
    sleep (N1-N3, REM) or wake; an epoch needs at least half its samples so scored
    (not scored: 0, before and after the PSG, and 7, movement time)."""
    per = RATE * EPOCH_S
    lab = labels[: n * per].reshape(n, per)
    scored = np.isin(lab, SLEEP_CODES + WAKE_CODES).sum(axis=1)
    sleep = np.isin(lab, SLEEP_CODES).sum(axis=1)
    out = np.where(sleep * 2 > scored, 1, 0)
    return np.where(scored * 2 >= per, out, -1).astype(np.int8)


def raw_references(g: np.ndarray, n: int) -> dict[str, Any]:
    """Reference signals straight from the raw samples (numpy, not the firmware):
    the 5-s mean z-angle (van Hees 2015 uses 5-s epochs) and ENMO per 30 s."""
    per5 = RATE * 5
    m5 = n * EPOCH_S // 5
    xyz = g[: m5 * per5].reshape(m5, per5, 3).mean(axis=1)
    ang5 = np.degrees(np.arctan2(xyz[:, 2], np.hypot(xyz[:, 0], xyz[:, 1])))
    enmo = np.maximum(np.linalg.norm(g[: n * RATE * EPOCH_S], axis=1) - 1.0, 0.0)
    enmo30 = enmo.reshape(n, RATE * EPOCH_S).mean(axis=1) * 1000
    return {"raw_angle5": ang5, "raw_enmo": enmo30}
