"""Per-epoch sleep/wake, wear and sleep-period membership as CSV, for researchers.

The states come from analyse_patient (the same scoring the report and dashboard show),
one row per epoch that holds a record, on the 30-s analysis grid.
"""

from __future__ import annotations

import csv
import datetime as dt
from typing import TextIO
from zoneinfo import ZoneInfo

import numpy as np

from wearlog.analysis.summary import EpochStates

COLUMNS = ("utc", "local_time", "worn", "in_sleep_period", "sleep")


def write_epoch_states(out: TextIO, states: EpochStates, tz: ZoneInfo) -> int:
    """Write the CSV; returns the number of epoch rows.

    sleep: 1 asleep, 0 awake, empty where not scored (outside a sleep period or not worn).
    """
    w = csv.writer(out, lineterminator="\n")
    w.writerow(COLUMNS)
    n = 0
    for i in np.flatnonzero(states.present):
        t = states.start + int(i) * states.epoch_s
        s = states.sleep[i]
        w.writerow((
            dt.datetime.fromtimestamp(t, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            dt.datetime.fromtimestamp(t, tz).isoformat(),
            int(states.worn[i]), int(states.in_period[i]),
            "" if np.isnan(s) else int(s),
        ))
        n += 1
    return n
