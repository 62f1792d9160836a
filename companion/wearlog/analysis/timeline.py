"""A patient's epochs on one regular UTC grid, plus local-time windows (DST-aware).

Nights and days are cut in the patient's zone with zoneinfo, then mapped to UTC
grid indices: a night across a DST change simply holds 23 or 25 hours of epochs.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import numpy as np

from wearlog.analysis.corrections import apply_corrections
from wearlog.store import Store
from wlproto.const import EPOCH_S, EV_BED, EV_SYMPTOM, EV_UP

# device kinds whose epochs lack a measurement: bit 1 = no arm angle, bit 2 = no ENMO
NO_ANGLE = {"import-enmo": 1, "import-counts": 3}


@dataclass
class Timeline:
    start: int  # UTC seconds of grid index 0
    epoch_s: int
    present: np.ndarray  # bool
    enmo: np.ndarray  # mg
    mad: np.ndarray  # mg
    z: np.ndarray  # deg
    dangle: np.ndarray  # deg per epoch
    steps: np.ndarray  # int
    flags: np.ndarray  # int
    angle_known: np.ndarray  # bool: the source measured the arm angle (sleep needs it)
    enmo_known: np.ndarray  # bool: the source measured ENMO (activity needs it)
    events: list[tuple[int, int, int]]  # (utc, etype, value) for symptoms and bed/up
    # imported activity counts per cell (a 60-s count is split evenly over its two cells),
    # NaN where none: sleep on counts-only data (Cole-Kripke within a Tudor-Locke period)
    counts: np.ndarray | None = None

    @property
    def n(self) -> int:
        return len(self.present)

    @property
    def end(self) -> int:
        return self.start + self.n * self.epoch_s

    def index(self, utc: float) -> int:
        """Grid index of a UTC time, clipped to 0..n."""
        i = int((utc - self.start) // self.epoch_s)
        return min(max(i, 0), self.n)


# The grid starts on a multiple of this (the non-wear windows' 15-min step), so a
# timeline loaded for a few days lines its windows up with one loaded for all days:
# the refresh step's partial re-analysis then gives the same results as a full one.
GRID_ALIGN_S = 900


def load_timeline(store: Store, patient_id: str, epoch_s: int = EPOCH_S,
                  since: int | None = None, until: int | None = None) -> Timeline | None:
    """The patient's anchored epochs (optionally those in [since, until)) on one grid."""
    # per record length (ascending), the devices' rows in their order: one array each
    groups: dict[int, list[tuple[np.ndarray, int]]] = {}
    for dev in store.patient_epochs(patient_id, since, until):
        # one device at a time, straight into numpy: no join, no sort (the grid orders)
        values = dev.values
        if len(values):
            groups.setdefault(dev.epoch_s, []).append((values, NO_ANGLE.get(dev.kind, 0)))
    if not groups:
        return None
    start = min(int(v[:, 0].min()) for g in groups.values() for v, _ in g)
    start = start // GRID_ALIGN_S * GRID_ALIGN_S
    last = max(int(v[:, 0].max()) + k for k, g in groups.items() for v, _ in g)
    n = -(-(last - start) // epoch_s)
    present = np.zeros(n, dtype=bool)
    enmo = np.zeros(n)
    mad = np.zeros(n)
    z = np.zeros(n)
    dangle = np.zeros(n)
    steps = np.zeros(n, dtype=np.int64)
    flags = np.zeros(n, dtype=np.int64)
    angle_known = np.zeros(n, dtype=bool)
    enmo_known = np.zeros(n, dtype=bool)
    # Records longer than the grid epoch (e.g. 60-s imports) fill several cells:
    # means (ENMO, MAD, angle) repeat, sums (angle change, steps) are shared out.
    # Where several sources cover one cell (an ENMO import and a counts import), a source
    # never overwrites a measurement with one it does not have: ENMO comes from sources
    # that measured it, the angle from sources that measured it.
    for k in sorted(groups):
        g = groups[k]
        a = g[0][0] if len(g) == 1 else np.concatenate([v for v, _ in g])
        kinds = {kind for _, kind in g}
        # a slice (every row) when all rows of this length have the measurement
        has_angle: np.ndarray | slice = slice(None)
        has_enmo: np.ndarray | slice = slice(None)
        if kinds != {0}:
            kb = np.concatenate([np.full(len(v), kind) for v, kind in g])
            has_angle, has_enmo = (kb & 1) == 0, (kb & 2) == 0
        parts = max(int(k) // epoch_s, 1)
        base = (a[:, 0] - start) // epoch_s
        enmo_v, mad_v = a[has_enmo, 1] / 10.0, a[has_enmo, 2] / 10.0
        z_v, dangle_v = a[has_angle, 3], a[has_angle, 4] / 10.0 / parts
        for p in range(parts):
            idx = base + p
            present[idx] = True
            ie, ia = idx[has_enmo], idx[has_angle]
            enmo[ie] = enmo_v
            mad[ie] = mad_v
            z[ia] = z_v
            dangle[ia] = dangle_v
            st = a[:, 5] // parts + (a[:, 5] % parts > p)
            steps[idx] = np.maximum(steps[idx], st)
            flags[idx] |= a[:, 6]
            angle_known[ia] = True
            enmo_known[ie] = True
    ev = store.patient_events(patient_id, (EV_SYMPTOM, EV_BED, EV_UP), since, until)
    fixes = [c for c in store.corrections_of(patient_id)
             if (since is None or c["bed_utc"] >= since) and (until is None or c["up_utc"] < until)]
    ev = apply_corrections(ev, fixes, ZoneInfo(store.patient(patient_id)["tz"]))
    return Timeline(start, epoch_s, present, enmo, mad, z, dangle, steps, flags,
                    angle_known, enmo_known, ev,
                    _count_cells(store.counts_series(patient_id), start, n, epoch_s))


def _count_cells(rows: list[tuple[int, int, int]], start: int, n: int,
                 epoch_s: int) -> np.ndarray | None:
    """Counts on the grid: a record longer than a cell is shared out evenly (a sum)."""
    if not rows:
        return None
    out = np.full(n, np.nan)
    for utc, c, rec_s in rows:
        parts = max(rec_s // epoch_s, 1)
        i = (utc - start) // epoch_s
        if i >= 0 and i + parts <= n:
            out[i:i + parts] = c / parts
    return out


def local_bounds(day: dt.date, tz: ZoneInfo, hour: int) -> int:
    """UTC seconds of `hour`:00 local time on `day`."""
    return int(dt.datetime.combine(day, dt.time(hour), tzinfo=tz).timestamp())


def local_dates(tl: Timeline, tz: ZoneInfo) -> list[dt.date]:
    first = dt.datetime.fromtimestamp(tl.start, tz).date()
    last = dt.datetime.fromtimestamp(tl.end - 1, tz).date()
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


def minutes_after_local_midnight(utc: float, day: dt.date, tz: ZoneInfo) -> float:
    """Local clock minutes of `utc` counted from 00:00 of `day` (may exceed 1440)."""
    t = dt.datetime.fromtimestamp(utc, tz)
    return (t.date() - day).days * 1440 + t.hour * 60 + t.minute + t.second / 60
