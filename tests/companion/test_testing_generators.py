"""The simulated wearers of wearlog.testing: one seed, one output; the truth in the shared
codes agrees with what each generator renders; records are numbered as a device does."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np

from wearlog.store import Store
from wearlog.testing import days
from wearlog.testing.database import make_patient, store_records
from wearlog.testing.days import EpochColumns, epoch_records
from wearlog.testing.epochs import make_wearer
from wearlog.testing.samples import Wearer
from wlproto.const import EV_SYMPTOM, FLAG_NONWEAR
from wlproto.records import Epoch, Event


def fields(records: list[Epoch | Event]) -> list[tuple[object, ...]]:
    return [(type(r).__name__, *r.fields()) for r in records]


def test_the_same_seed_gives_the_same_wearer() -> None:
    kw = dict(tz="Europe/Berlin", start=dt.date(2026, 3, 27), seed=5, markers=True,
              nonwear_days=(1,), symptom_days=(2,))
    a, b = make_wearer(4, **kw), make_wearer(4, **kw)
    assert fields(a.records) == fields(b.records)
    assert fields(make_wearer(4, **{**kw, "seed": 6}).records) != fields(a.records)
    r1, r2 = Wearer(days=0.25, seed=3), Wearer(days=0.25, seed=3)
    assert np.array_equal(r1.read(1000, 5000), r2.read(1000, 5000))
    assert np.array_equal(r1.truth.state, r2.truth.state)


def test_epoch_records_are_numbered_in_time_order() -> None:
    n = 6
    cols = EpochColumns(np.zeros(n, int), np.arange(n) * 10, np.arange(n) * 5, np.zeros(n, int),
                        np.zeros(n, int), np.ones(n, int), 40)
    t0 = 1_780_000_020
    events = [(t0 + 95, EV_SYMPTOM, 3), (t0 + 30, EV_SYMPTOM, 1), (t0 + 999, EV_SYMPTOM, 2)]
    recs = epoch_records(t0, cols, events)
    assert [r.seq for r in recs] == list(range(n + 3))  # gapless, from 0
    times = [r.time for r in recs]
    assert times == sorted(times)
    assert [r.value for r in recs if isinstance(r, Event)] == [1, 3, 2]  # none dropped
    last = epoch_records(t0, cols, events, interleave=False)
    assert all(isinstance(r, Epoch) for r in last[:n])
    assert [(r.seq, r.time) for r in last[n:]] == [(n + k, e[0]) for k, e in enumerate(events)]


def test_raw_truth_in_the_shared_codes() -> None:
    w = Wearer(days=2, seed=2, nap_chance=1.0, offwrist_per_day=2.0)
    t = w.truth
    assert len(t.state) == t.epochs
    assert np.array_equal(t.state == days.NONWEAR, ~t.worn)
    asleep = (t.state == days.SLEEP) | (t.state == days.NAP)
    assert np.array_equal(asleep, t.asleep & t.worn)
    assert (t.state == days.NAP).any() and (t.state == days.SLEEP).any()
    # naps are in the day: none inside a night in bed
    for bed, up in t.in_bed:
        k0, k1 = int(bed // days.EPOCH_S) + 1, int(up // days.EPOCH_S) - 1
        assert not (t.state[k0:k1] == days.NAP).any()


def test_epoch_wearer_flags_only_what_was_off_the_wrist() -> None:
    w = make_wearer(5, seed=4, nonwear_days=(1, 3))
    epochs = [r for r in w.records if isinstance(r, Epoch)]
    assert len(epochs) == len(w.truth.state)
    flagged = np.array([bool(e.flags & FLAG_NONWEAR) for e in epochs])
    assert flagged.any()
    assert (w.truth.state[flagged] == days.NONWEAR).all()


def test_store_records_is_one_sync_and_make_patient_uses_it(tmp_path: Path) -> None:
    with Store(tmp_path / "s.db") as s:
        s.add_patient("P-1", "UTC")
        s.add_device(1, "P-1")
        recs = make_wearer(2, seed=1, symptom_days=(0,)).records
        assert store_records(s, 1, recs) == len(recs)
        assert store_records(s, 1, recs) == 0  # the same records again: nothing new
        rows = make_patient(s, "P-2", 2, 3, seed=1, end_utc=1_795_000_000)
        assert rows["new"] == rows["epochs"] + rows["events"]
