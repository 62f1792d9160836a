"""Nights and days across DST changes: 23- and 25-hour local days, metrics in real time."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from wearlog.analysis import analyse_patient
from wearlog.store import Store
from wearlog.testing.epochs import make_wearer

TZ = "Europe/Berlin"


def analyse(tmp_path: Path, start: dt.date, days: int):
    w = make_wearer(days, tz=TZ, start=start, seed=11, markers=True, jitter_h=0.2)
    s = Store(tmp_path / "dst.db")
    s.add_patient("P-DST", TZ)
    s.add_device(1, "P-DST")
    s.ingest(1, w.records)
    return w, s, analyse_patient(s, "P-DST")


@pytest.mark.parametrize(
    ("start", "change_night", "change_day", "day_hours"),
    [
        (dt.date(2026, 3, 25), "2026-03-28", "2026-03-29", 23),  # clocks go forward
        (dt.date(2026, 10, 21), "2026-10-24", "2026-10-25", 25),  # clocks go back
    ],
)
def test_metrics_stay_right_across_dst(tmp_path: Path, start: dt.date, change_night: str,
                                       change_day: str, day_hours: int) -> None:
    w, s, out = analyse(tmp_path, start, 7)
    zone = ZoneInfo(TZ)
    nights = {n["night"]: n for n in out.nights}
    n = nights[change_night]
    bed, up = w.truth.nights[change_night]
    assert n["valid"] == 1 and n["source"] == "markers"
    # time in bed is elapsed time, not the difference of the wall clocks
    assert n["tib_min"] == (up - bed) / 60
    wall = (dt.datetime.fromtimestamp(up, zone).replace(tzinfo=None)
            - dt.datetime.fromtimestamp(bed, zone).replace(tzinfo=None)).total_seconds() / 60
    assert n["tib_min"] == wall + (60 if day_hours == 25 else -60)
    assert n["tst_min"] <= n["tib_min"]
    # the midpoint is reported on the local clock of that morning
    mid = dt.datetime.fromtimestamp((bed + up) / 2, zone)
    assert n["midsleep_local"] == pytest.approx(1440 + mid.hour * 60 + mid.minute + mid.second / 60)
    # the other nights are ordinary
    for k, other in nights.items():
        if k != change_night and k in w.truth.nights:
            b, u = w.truth.nights[k]
            assert other["tib_min"] == (u - b) / 60
    days = {d["day"]: d for d in out.days}
    assert days[change_day]["wear_min"] == day_hours * 60
    assert days[change_day]["valid"] == 1
    assert all(d["wear_min"] == 1440 for k, d in days.items() if k != change_day)
    # all the epochs of the local day are counted, none twice
    total = sum(d["wear_min"] for d in out.days)
    assert total == 7 * 1440 + (60 if day_hours == 25 else -60)
    assert out.rhythm["n_valid_days"] == 7 and out.rhythm["IS"] is not None
    s.close()
