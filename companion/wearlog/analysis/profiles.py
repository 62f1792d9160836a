"""Compact per-day activity profiles: what the actogram, completeness and rhythm read.

One profile per local calendar day on a local-clock grid of 2,880 30-s slots (so a DST
day still has 2,880 slots: the repeated hour keeps its later pass, the skipped hour is
missing). Two byte arrays, zlib-compressed:
- ENMO in 0.1 mg (uint16), MISSING where no worn measurement exists;
- state (uint8): 1 asleep inside a sleep period, 0 awake inside the noon-to-noon window
  of a night whose sleep was scored, UNSCORED worn elsewhere, NOT_WORN recorded but off
  the wrist, NO_DATA nothing recorded. The SRI compares states 0/1 only (no scored sleep
  anywhere: no SRI, not a perfect 100).
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import zlib
from zoneinfo import ZoneInfo

import numpy as np

from wearlog.analysis.errors import NotEnoughDataError
from wearlog.analysis.rhythm import rhythm_metrics
from wearlog.analysis.timeline import Timeline, local_bounds
from wlproto.const import EPOCH_S

PER_DAY = 86400 // EPOCH_S
MISSING = 0xFFFF
UNSCORED = 253
NOT_WORN = 254
NO_DATA = 255


def day_slots(tl: Timeline, day: dt.date, tz: ZoneInfo) -> tuple[np.ndarray, np.ndarray]:
    """(grid indices, local-clock slots) of the epochs of one local day."""
    i0 = tl.index(local_bounds(day, tz, 0))
    i1 = tl.index(local_bounds(day + dt.timedelta(days=1), tz, 0))
    idx = np.arange(i0, i1)
    per_hour = 3600 // tl.epoch_s
    slots = np.empty(len(idx), dtype=np.int64)
    # clocks change on the hour or half hour: one zone lookup per hour is enough
    for j in range(0, len(idx), per_hour):
        t = dt.datetime.fromtimestamp(tl.start + int(idx[j]) * tl.epoch_s, tz)
        s0 = (t.hour * 3600 + t.minute * 60 + t.second) // tl.epoch_s
        seg = slice(j, j + per_hour)
        slots[seg] = s0 + np.arange(len(idx[seg]))
    ok = slots < PER_DAY
    return idx[ok], slots[ok]


def day_profile(tl: Timeline, day: dt.date, tz: ZoneInfo, worn: np.ndarray,
                asleep: np.ndarray, scored: np.ndarray | None = None) -> tuple[bytes, bytes]:
    """The compressed (ENMO, state) profile of one day; `asleep`: sleep inside the SPT,
    `scored`: inside the noon-to-noon window of a night with a sleep period."""
    idx, slots = day_slots(tl, day, tz)
    enmo = np.full(PER_DAY, MISSING, dtype=np.uint16)
    state = np.full(PER_DAY, NO_DATA, dtype=np.uint8)
    pres, w = tl.present[idx], worn[idx]
    measured = w & tl.enmo_known[idx]
    enmo[slots[measured]] = np.clip(np.rint(tl.enmo[idx][measured] * 10), 0, MISSING - 1)
    known = np.ones(len(idx), dtype=bool) if scored is None else scored[idx]
    st = np.where(w, np.where(known, asleep[idx].astype(np.uint8), UNSCORED), NOT_WORN)
    state[slots[pres]] = st[pres]
    return encode(enmo, state)


def _deflate(raw: bytes) -> bytes:
    # run-length matches only: ENMO values repeat little beyond runs (missing, still), so
    # the default string search costs ~2.5x the CPU for a larger result; any zlib inflates it
    z = zlib.compressobj(6, zlib.DEFLATED, 15, 8, zlib.Z_RLE)
    return z.compress(raw) + z.flush()


def encode(enmo_dmg: np.ndarray, state: np.ndarray) -> tuple[bytes, bytes]:
    """Compress one day's 2,880 ENMO values (0.1 mg, MISSING) and states (zlib format)."""
    return (_deflate(np.asarray(enmo_dmg, dtype=np.uint16).tobytes()),
            _deflate(np.asarray(state, dtype=np.uint8).tobytes()))


def decode(profile: tuple[bytes, bytes]) -> tuple[np.ndarray, np.ndarray]:
    """(ENMO in 0.1 mg as uint16, state as uint8) of one stored profile."""
    e, s = profile
    return (np.frombuffer(zlib.decompress(e), dtype=np.uint16),
            np.frombuffer(zlib.decompress(s), dtype=np.uint8))


@functools.lru_cache(maxsize=512)
def _decoded(e_blob: bytes, s_blob: bytes) -> tuple[np.ndarray, np.ndarray]:
    """(ENMO mg, NaN where missing; state) of one stored profile, decoded once: a refresh
    and the views read the same days many times (every range, rhythm, completeness)."""
    e, s = decode((e_blob, s_blob))
    mg = np.where(e == MISSING, np.nan, e / 10.0)
    mg.flags.writeable = False
    return mg, s


def grids(dates: list[dt.date], stored: dict[str, tuple[bytes, bytes]]
          ) -> tuple[np.ndarray, np.ndarray]:
    """(ENMO mg with NaN where missing, state) for consecutive dates, shape (days, 2880)."""
    enmo = np.full((len(dates), PER_DAY), np.nan)
    state = np.full((len(dates), PER_DAY), NO_DATA, dtype=np.uint8)
    for i, d in enumerate(dates):
        p = stored.get(d.isoformat())
        if p is None:
            continue
        enmo[i], state[i] = _decoded(bytes(p[0]), bytes(p[1]))
    return enmo, state


def sub_grids(dates: list[dt.date], base_dates: list[dt.date],
              base: tuple[np.ndarray, np.ndarray], stored: dict[str, tuple[bytes, bytes]]
              ) -> tuple[np.ndarray, np.ndarray] | None:
    """grids(dates, stored) taken from base = grids(base_dates, stored) (consecutive dates,
    the same stored profiles) without decoding or copying again: the rows of the dates
    inside base_dates (views: read only), all-missing rows before them. None when
    `dates` run past base_dates' last date or a date outside base_dates has a profile."""
    if not dates or not base_dates:
        return None
    off = (dates[0] - base_dates[0]).days
    if off + len(dates) > len(base_dates) or off + len(dates) <= 0:
        return None
    if off >= 0:
        return base[0][off:off + len(dates)], base[1][off:off + len(dates)]
    if any(d.isoformat() in stored for d in dates[:-off]):
        return None
    enmo = np.full((len(dates), PER_DAY), np.nan)
    state = np.full((len(dates), PER_DAY), NO_DATA, dtype=np.uint8)
    enmo[-off:], state[-off:] = base[0][:off + len(dates)], base[1][:off + len(dates)]
    return enmo, state


def sleep_regularity_index(state: np.ndarray, epoch_s: int) -> float | None:
    """Phillips et al. 2017: 200 x P(same state 24 h apart) - 100 over the pairs whose
    both states are known (profile states: 0 awake and 1 asleep known, the others not);
    None under half a day of such pairs. Counted on the state bytes (no float copy)."""
    s = state.ravel()
    lag = 86400 // epoch_s
    if len(s) <= lag:
        return None
    known = s <= 1
    ok = known[:-lag] & known[lag:]
    pairs = int(np.count_nonzero(ok))  # (counts of True: the same as .sum(), faster)
    if pairs < lag // 2:
        return None
    same = int(np.count_nonzero(ok & (s[:-lag] == s[lag:])))
    return float(200.0 * (np.float64(same) / np.float64(pairs)) - 100.0)


def rhythm(dates: list[dt.date], stored: dict[str, tuple[bytes, bytes]],
           valid_days: set[str], min_days: int,
           grid: tuple[np.ndarray, np.ndarray] | None = None) -> dict[str, float | int | None]:
    """IS, IV, RA, L5, M10 (+ onsets) over the valid days among `dates`, and the SRI
    over all of them. Gaps inside valid days take the mean of the same clock slot on the
    other valid days (the series must be regular). grid: grids(dates, stored) when the
    caller has it already."""
    out: dict[str, float | int | None] = {
        k: None for k in ("IS", "IV", "RA", "L5", "M10", "L5_onset", "M10_onset", "SRI")}
    enmo, state = grids(dates, stored) if grid is None else grid
    keep = [i for i, d in enumerate(dates) if d.isoformat() in valid_days]
    out["n_valid_days"] = len(keep)
    if len(keep) >= min_days:
        # every date valid: the grid itself, copied only if a gap is filled in it
        g = enmo if len(keep) == len(enmo) else enmo[keep]
        miss = np.isnan(g)  # once (np.nansum finds it again: the same sums as below)
        if miss.any():
            if g is enmo:
                g = enmo.copy()
            cnt = len(keep) - miss.sum(axis=0)
            prof = np.where(cnt > 0, np.where(miss, 0.0, g).sum(axis=0) / np.maximum(cnt, 1),
                            0.0)
            np.copyto(g, prof[None, :], where=miss)  # (g is a copy of the grid's rows)
        try:
            out.update(rhythm_metrics(g.ravel(), 0, EPOCH_S))
        except NotEnoughDataError:
            pass
    out["SRI"] = sleep_regularity_index(state, EPOCH_S)
    return {k: (None if isinstance(v, float) and not math.isfinite(v) else v)
            for k, v in out.items()}
