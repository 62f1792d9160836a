"""Invariants of analyse_patient over many generated wearers (hypothesis)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from wearlog.analysis import DAY_KEYS, NIGHT_KEYS, analyse_patient
from wearlog.store import Store
from wearlog.testing.epochs import make_wearer

ZONES = ["UTC", "Europe/Berlin", "America/Los_Angeles", "Australia/Lord_Howe", "Asia/Kolkata"]


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(days=st.integers(2, 4), seed=st.integers(0, 10_000), tz=st.sampled_from(ZONES),
       start=st.dates(dt.date(2026, 1, 1), dt.date(2026, 12, 20)), markers=st.booleans(),
       nonwear=st.booleans())
# a 25-hour day (Berlin leaves summer time on 2026-10-25): worn throughout, it has 1500 wear
# minutes (seed 120467415537013606314962231258381754 once found this with 1440 as the bound)
@example(days=3, seed=0, tz="Europe/Berlin", start=dt.date(2026, 10, 24), markers=False,
         nonwear=False)
def test_summary_invariants(tmp_path_factory: pytest.TempPathFactory, days: int, seed: int,
                            tz: str, start: dt.date, markers: bool, nonwear: bool) -> None:
    w = make_wearer(days, tz=tz, start=start, seed=seed, markers=markers,
                    nonwear_days=(1,) if nonwear else ())
    s = Store(tmp_path_factory.mktemp("p") / "p.db")
    s.add_patient("P", tz)
    s.add_device(1, "P")
    s.ingest(1, w.records)
    out = analyse_patient(s, "P")
    n_epochs = sum(1 for r in w.records if type(r).__name__ == "Epoch")
    assert sum(d["wear_min"] for d in out.days) <= n_epochs / 2
    for d in out.days:
        local = dt.date.fromisoformat(d["day"])

        zone = ZoneInfo(tz)
        # real elapsed minutes (1380/1500 on DST days): subtracting two datetimes that share
        # one tzinfo is wall-clock arithmetic and always gives 1440, so go through timestamps
        length = (dt.datetime.combine(local + dt.timedelta(days=1), dt.time(0), tzinfo=zone)
                  .timestamp()
                  - dt.datetime.combine(local, dt.time(0), tzinfo=zone).timestamp()) / 60
        assert 0 <= d["wear_min"] <= length
        parts = d["sedentary_min"] + d["light_min"] + d["moderate_min"] + d["vigorous_min"]
        assert parts <= d["wear_min"] + 1e-9
        assert d["mvpa_bout_min"] <= parts + 1e-9  # bouts lie in awake, worn time
        assert d["valid"] == int(d["wear_min"] >= 16 * 60)
    for n in out.nights:
        if n["tib_min"] is None:
            assert not n["valid"] and n["reason"]
            continue
        assert n["tst_min"] + n["sol_min"] + n["waso_min"] <= n["tib_min"] + 1e-9
        assert 0 <= n["se_pct"] <= 100
        assert n["offset_utc"] > n["onset_utc"]
        assert n["source"] in ("markers", "hdcza", "sib")  # sib: the documented fallback
        assert n["valid"] or n["reason"]  # a night that is not valid says why
    # stored rows are exactly the summary, and a second run changes nothing
    rows = s.conn.execute(f"SELECT {', '.join(NIGHT_KEYS)} FROM nights ORDER BY night").fetchall()
    assert rows == [tuple(n[k] for k in NIGHT_KEYS) for n in out.nights]
    again = analyse_patient(s, "P")
    assert again.nights == out.nights and again.days == out.days
    assert s.conn.execute("SELECT COUNT(*) FROM days").fetchone()[0] == len(out.days)
    # the stored rows carry the clinician's exclusion beside the analysis' own columns
    assert all(set(d) == {*DAY_KEYS, "excluded"} and d["excluded"] == 0 for d in out.days)
    s.close()
