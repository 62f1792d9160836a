"""The refresh step computes a range's rhythm once when a longer range only adds days
before the monitoring began (figures._same_rhythm): every stored range's rhythm must be
the one computed from that range's own dates."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from wearlog.analysis import profiles
from wearlog.analysis.config import AnalysisConfig
from wearlog.pipeline import figures, refresh
from wearlog.store import Store
from wearlog.testing.epochs import make_wearer


@pytest.mark.parametrize("days", [12, 20])
def test_each_stored_range_has_the_rhythm_of_its_own_dates(tmp_path: Path, days: int) -> None:
    cfg = AnalysisConfig()
    with Store(tmp_path / "r.db") as s:
        s.add_patient("P")
        s.add_device(1, "P")
        s.ingest(1, make_wearer(days, seed=4).records)
        refresh(s, "P")
        for r in figures.RANGES:
            body = json.loads(s.stored_summary("P", r))
            dates = [dt.date.fromisoformat(body["first_date"]) + dt.timedelta(days=i)
                     for i in range(r)]
            lo, hi = dates[0].isoformat(), dates[-1].isoformat()
            valid = {d["day"] for d in s.days_between("P", lo, hi) if d["valid"]}
            own = profiles.rhythm(dates, s.profiles_between("P", lo, hi), valid,
                                  cfg.min_rhythm_days)
            got = {k: v for k, v in body["rhythm"].items() if k not in ("available", "reason")}
            assert got == {k: figures._round(v) for k, v in own.items()}
            assert got["n_valid_days"] > 0
