"""Counts-like epochs of the ICHI14 nights for bench.validate's counts-only path.

ActiGraph activity counts computed from the raw samples with agcounts (ActiGraph's own
published algorithm: Neishabouri et al. 2022, Sci Rep 12:16183; resampled to 30 Hz,
band-pass filtered, dead band, summed per epoch), vector magnitude of the three axes per
30 s (the wrist side and axis orientation of these loggers are not documented, so the
orientation-free magnitude rather than ActiLife's axis 1). agcounts is an optional bench
dependency (`pip install agcounts`): without it the counts path is reported as skipped.
Cached outside the repository, keyed by this module's source.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from bench.validate_data import EPOCH_S, RATE, cache_dir, grid_start, load_samples


def have_agcounts() -> bool:
    try:
        import agcounts.extract  # noqa: F401
    except ImportError:
        return False
    return True


def vm_counts(path: Path, n: int, cache: Path | None = None) -> np.ndarray:
    """ActiGraph vector-magnitude counts per 30-s epoch of one night (n epochs)."""
    cache = cache or cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    h = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:12]
    f = cache / f"{path.stem}-counts-{n}-{h}.npy"
    if f.exists():
        return np.load(f)
    from agcounts.extract import get_counts

    start, g = load_samples(path)
    _, skip = grid_start(start)
    g = g[skip: skip + n * RATE * EPOCH_S]
    c = get_counts(g, freq=RATE, epoch=EPOCH_S)
    vm = np.sqrt((np.asarray(c, dtype=float) ** 2).sum(axis=1))[:n]
    out = np.zeros(n)
    out[:len(vm)] = np.round(vm)
    tmp = f.with_suffix(".tmp.npy")
    np.save(tmp, out)
    tmp.replace(f)
    return out
