"""Count-based sleep scoring for imported actigraphy (Cole-Kripke 1992, Sadeh 1994).

For data from other actigraphs that give activity counts rather than ENMO and angle.
Scores every epoch, then sums per noon-to-noon local window: minutes scored asleep.
There is no sleep-period detection here: the number is total scored sleep in 24 h.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from zoneinfo import ZoneInfo

import numpy as np

from wearlog.analysis.counts import cole_kripke, sadeh
from wearlog.analysis.errors import AnalysisError
from wearlog.store import Store

METHODS: dict[str, Callable[[np.ndarray], np.ndarray]] = {"cole-kripke": cole_kripke,
                                                          "sadeh": sadeh}


def count_sleep(store: Store, patient_id: str, method: str = "cole-kripke") -> list[dict]:
    """Per night (evening date, local): minutes scored asleep from 60-s activity counts."""
    if method not in METHODS:
        raise AnalysisError(f"unknown method {method!r}: use one of {', '.join(METHODS)}")
    tz = ZoneInfo(store.patient(patient_id)["tz"])
    rows = store.conn.execute(
        "SELECT e.utc, e.counts, d.epoch_s FROM timed_epochs e JOIN devices d USING(device_id) "
        "WHERE e.patient_id=? AND e.counts IS NOT NULL ORDER BY e.utc",
        (patient_id,),
    ).fetchall()
    if not rows:
        return []
    epoch_s = rows[0][2]
    if epoch_s != 60 or any(r[2] != 60 for r in rows):
        raise AnalysisError("count-based scoring needs 60-s epochs (the algorithms' own)")
    t0 = rows[0][0]
    n = (rows[-1][0] - t0) // 60 + 1
    x = np.zeros(n)
    for utc, c, _ in rows:
        x[(utc - t0) // 60] = c  # gaps count as no activity, as pyActigraphy does
    scored = METHODS[method](x)
    out: dict[str, float] = {}
    for i in np.flatnonzero(scored):
        local = dt.datetime.fromtimestamp(t0 + 60 * int(i), tz)
        night = (local - dt.timedelta(hours=12)).date().isoformat()
        out[night] = out.get(night, 0.0) + 1.0
    return [{"night": k, "method": method, "sleep_min": v} for k, v in sorted(out.items())]
