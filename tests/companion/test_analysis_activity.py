"""Daily activity, naps, non-wear, wear-time validity, symptoms and trends vs. the truth."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from wearlog.analysis import DAY_KEYS, AnalysisConfig, analyse_patient
from wearlog.analysis.runs import runs
from wearlog.store import Store
from wearlog.testing.epochs import EPOCH_S, NAP, NONWEAR, EpochWearer, make_wearer

TZ = "Europe/London"


def run(tmp_path: Path, w: EpochWearer, config: AnalysisConfig | None = None, tz: str = TZ):
    s = Store(tmp_path / "a.db")
    s.add_patient("P", tz)
    s.add_device(1, "P")
    s.ingest(1, w.records)
    return s, analyse_patient(s, "P", config)


def day_slice(w: EpochWearer, day: str, tz: str = TZ) -> slice:
    z = ZoneInfo(tz)
    d = dt.date.fromisoformat(day)
    a = int(dt.datetime.combine(d, dt.time(0), tzinfo=z).timestamp())
    b = int(dt.datetime.combine(d + dt.timedelta(days=1), dt.time(0), tzinfo=z).timestamp())
    return slice((a - w.truth.start_utc) // EPOCH_S, (b - w.truth.start_utc) // EPOCH_S)


@pytest.fixture(scope="module")
def analysed(tmp_path_factory: pytest.TempPathFactory):
    w = make_wearer(9, tz=TZ, start=dt.date(2026, 5, 4), seed=21, nonwear_days=(3,),
                    nap_days=(5,), symptom_days=(2, 6))
    s, out = run(tmp_path_factory.mktemp("act"), w)
    yield w, s, out
    s.close()


def test_steps_and_intensity_minutes_match_truth(analysed) -> None:
    w, s, out = analysed
    assert len(out.days) == 9
    for d in out.days:
        sl = day_slice(w, d["day"])
        assert d["steps"] == int(w.truth.steps[sl].sum())
        lv = w.truth.intensity[sl]
        awake_day = w.truth.state[sl] == 0
        assert d["moderate_min"] == pytest.approx(((lv == 2) & awake_day).sum() / 2, abs=2)
        assert d["vigorous_min"] == pytest.approx(((lv == 3) & awake_day).sum() / 2, abs=2)
        assert d["mvpa_min"] == d["moderate_min"] + d["vigorous_min"]
        assert d["light_min"] == pytest.approx(((lv == 1) & awake_day).sum() / 2, abs=5)
        assert d["sedentary_min"] > 500  # a mostly sitting wearer, as generated
    cols = [r[1] for r in s.conn.execute("PRAGMA table_info(days)")]
    assert set(DAY_KEYS) == set(cols)


def test_mvpa_bouts_hold_the_long_walks(analysed) -> None:
    w, _, out = analysed
    for d in out.days:
        sl = day_slice(w, d["day"])
        mvpa = (w.truth.intensity[sl] >= 2) & (w.truth.state[sl] == 0)
        long_runs = sum(b - a for a, b in runs(mvpa) if b - a >= 20) / 2
        assert d["mvpa_bout_min"] >= long_runs - 1
        assert d["mvpa_bout_min"] <= d["mvpa_min"] / 0.8 + 1e-9
        assert d["longest_active_bout_min"] >= max(
            (b - a for a, b in runs(w.truth.intensity[sl] >= 1)), default=0) / 2 - 1


def test_naps_are_found_on_the_nap_day_only(analysed) -> None:
    w, _, out = analysed
    for d in out.days:
        sl = day_slice(w, d["day"])
        nap = float((w.truth.state[sl] == NAP).sum() / 2)
        if nap:
            assert d["nap_min"] == pytest.approx(nap, abs=6)
        else:
            assert d["nap_min"] == 0


def test_nonwear_is_detected_and_wear_time_follows(analysed) -> None:
    w, _, out = analysed
    for d in out.days:
        sl = day_slice(w, d["day"])
        off = float((w.truth.state[sl] == NONWEAR).sum() / 2)
        assert d["wear_min"] == pytest.approx(1440 - off, abs=20), d["day"]
        if off:
            assert off >= 120 and d["wear_min"] < 1440 - 100
        assert d["valid"] == 1


def test_short_wear_days_are_flagged_and_left_out_of_trends(tmp_path: Path) -> None:
    w = make_wearer(9, tz=TZ, start=dt.date(2026, 5, 4), seed=21, nonwear_days=(3,))
    s, out = run(tmp_path, w, AnalysisConfig(min_wear_h=22))
    invalid = [d for d in out.days if not d["valid"]]
    assert [d["day"] for d in invalid] == ["2026-05-07"]
    valid_steps = {d["day"]: d["steps"] for d in out.days if d["valid"]}
    row = next(t for t in out.trends if t["date"] == "2026-05-09")
    want = np.mean([valid_steps[k] for k in ("2026-05-09", "2026-05-08", "2026-05-06",
                                              "2026-05-05", "2026-05-04")])
    assert row["steps_7d"] == pytest.approx(want)
    assert s.conn.execute("SELECT valid FROM days WHERE day='2026-05-07'").fetchone()[0] == 0
    s.close()


def test_symptoms_per_day_with_context(analysed) -> None:
    w, _, out = analysed
    by_day = {d["day"]: d for d in out.days}
    sev_by_day: dict[str, list[int]] = {}
    for t, sev in w.truth.symptoms:
        day = dt.datetime.fromtimestamp(t, ZoneInfo(TZ)).date().isoformat()
        sev_by_day.setdefault(day, []).append(sev)
    assert len(sev_by_day) == 2
    for day, sevs in sev_by_day.items():
        d = by_day[day]
        assert d["symptom_events"] == len(sevs)
        assert d["max_severity"] == max(sevs)
        assert d["high_severity_events"] == sum(v >= 4 for v in sevs)
    ctx = {c["day"]: c for c in out.symptoms}
    assert set(ctx) == set(sev_by_day)
    for day, c in ctx.items():
        prev = (dt.date.fromisoformat(day) - dt.timedelta(days=1)).isoformat()
        assert c["night_before"]["night"] == prev
        assert c["day_after"]["day"] > day
    quiet = [d for d in out.days if d["day"] not in sev_by_day]
    assert all(d["symptom_events"] == 0 and d["max_severity"] is None for d in quiet)


def test_trends_compare_with_the_patients_own_baseline(tmp_path: Path) -> None:
    w = make_wearer(20, tz=TZ, start=dt.date(2026, 5, 4), seed=3)
    s, out = run(tmp_path, w, AnalysisConfig(baseline_days=7, rolling_days=7))
    first_week = [d["steps"] for d in out.days[:7] if d["valid"]]
    base = np.mean(first_week)
    last = out.trends[-1]
    last_week = [d["steps"] for d in out.days[-7:] if d["valid"]]
    assert last["steps_7d"] == pytest.approx(np.mean(last_week))
    assert last["steps_vs_baseline"] == pytest.approx(np.mean(last_week) - base)
    assert last["tst_min_7d"] is not None
    s.close()


def test_bouts_start_and_end_on_active_epochs() -> None:
    from wearlog.analysis.activity import bout_epochs

    def mask(*spans: tuple[int, int], n: int = 200) -> np.ndarray:
        m = np.zeros(n, dtype=bool)
        for a, b in spans:
            m[a:b] = True
        return m

    assert bout_epochs(mask((50, 74)), 20, 0.8).sum() == 24  # 12 min: one 12-min bout
    assert bout_epochs(mask((50, 66)), 20, 0.8).sum() == 16  # 8 of 10 min is still a bout
    assert bout_epochs(mask((50, 64)), 20, 0.8).sum() == 0  # 7 min: no bout
    both = bout_epochs(mask((50, 62), (64, 76)), 20, 0.8)  # 6 + 1 gap + 6 min
    assert both.sum() == 26 and both[50] and both[75] and not both[49] and not both[76]
