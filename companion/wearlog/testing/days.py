"""What a simulated wearer's days are made of, and how they become device records.

Every generator in wearlog.testing draws its wearer's days from a seed and records what
really happened per epoch in these terms; the renderers share the record encoding below.

Per-epoch truth (``state``): WAKE, SLEEP (in a night), NAP (asleep in the day) or
NONWEAR (off the wrist); while awake and worn an ``intensity`` (SEDENTARY, LIGHT,
MODERATE, VIGOROUS) and the steps taken. Events: symptom presses (severity 1-5) and
bed/up marks, as (UTC seconds, EV_* type, value).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from wearlog.analysis.runs import runs
from wlproto.const import EPOCH_S
from wlproto.records import Epoch, Event

__all__ = [
    "EPOCH_S", "LIGHT", "MODERATE", "NAP", "NONWEAR", "PER_DAY", "SEDENTARY", "SLEEP",
    "VIGOROUS", "WAKE", "EpochColumns", "ScenarioError", "epoch_records", "runs",
]

PER_DAY = 86400 // EPOCH_S

# truth codes per epoch
WAKE, SLEEP, NONWEAR, NAP = 0, 1, 2, 3
# intensity while awake and worn
SEDENTARY, LIGHT, MODERATE, VIGOROUS = 0, 1, 2, 3

EventTuple = tuple[int, int, int]  # (UTC seconds, EV_* type, value)


class ScenarioError(ValueError):
    """The scenario parameters cannot describe a wearable day."""


class EpochColumns:
    """A wearer's epoch features as whole-number columns in the record's units
    (flags, 0.1 mg, 0.1 mg, degrees, 0.1 degrees, steps, 0.5 degC), one row per epoch."""

    def __init__(self, flags: np.ndarray, enmo_dmg: np.ndarray, mad_dmg: np.ndarray,
                 zangle_deg: np.ndarray, dangle_ddeg: np.ndarray, steps: np.ndarray,
                 temp_hc: int) -> None:
        self.cols = [np.asarray(c).tolist() for c in
                     (flags, enmo_dmg, mad_dmg, zangle_deg, dangle_ddeg, steps)]
        self.temp_hc = temp_hc
        self.n = len(self.cols[0])


def epoch_records(t0: int, cols: EpochColumns, events: Sequence[EventTuple] = (), *,
                  interleave: bool = True) -> list[Epoch | Event]:
    """Device records for epochs from t0 (every EPOCH_S) and events, numbered from 0.

    interleave: events take their place in time order among the epochs, as the device
    logs them; otherwise they follow the last epoch (the sample database's layout).
    """
    flags, enmo, mad, z, dangle, steps = cols.cols
    temp = cols.temp_hc
    out: list[Epoch | Event] = []
    pending = sorted(events) if interleave else []
    ei = 0
    for i in range(cols.n):
        t = t0 + i * EPOCH_S
        while ei < len(pending) and pending[ei][0] <= t:
            et, etype, val = pending[ei]
            out.append(Event(len(out), et, etype, val))
            ei += 1
        out.append(Epoch(len(out), t, flags[i], enmo[i], mad[i], z[i], dangle[i], steps[i],
                         temp))
    rest = pending[ei:] if interleave else list(events)
    out += [Event(len(out) + k, int(et), etype, int(val))
            for k, (et, etype, val) in enumerate(rest)]
    return out
