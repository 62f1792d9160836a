"""The analysis' epoch read (Store.patient_epochs) packs six fields into two integers
within their wire ranges: every value must come back as stored, also values outside
those ranges (imports write rows the wire never carries). SQLite and PostgreSQL."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wearlog.store import Store
from wearlog.store.columns import EPOCH_COLS, stored_epoch
from wearlog.store.store import _INSERT_EPOCH

T0 = 1_790_000_000
WIRE = st.tuples(st.integers(0, 65535), st.integers(0, 65535), st.integers(-90, 90),
                 st.integers(0, 255), st.integers(0, 255), st.integers(0, 7))
WIDE = st.tuples(st.integers(-3, 70_000), st.integers(0, 70_000), st.integers(-200, 200),
                 st.integers(0, 3000), st.integers(0, 3000), st.integers(0, 1 << 12))



def _hold(s: Store, rows: list[dict[str, int]]) -> None:
    """Device 7 of patient P holds exactly these epochs (seq = position; the fields not
    given: no temperature, no counts, no sync)."""
    if "P" not in s.patient_ids():
        s.add_patient("P")
        s.add_device(7, "P")
    base = {"device_id": 7, "temp_hc": -128, "counts": None, "sync_id": None}
    with s.transaction() as c:
        c.execute("DELETE FROM epochs WHERE device_id = 7")
        c.executemany(_INSERT_EPOCH, [
            stored_epoch(tuple({**base, "seq": k, **r}[col] for col in EPOCH_COLS))
            for k, r in enumerate(rows)])

@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
@given(rows=st.one_of(st.lists(WIRE, min_size=1, max_size=60),  # packed
                      st.lists(st.one_of(WIRE, WIDE), min_size=1, max_size=60)),  # mixed
       cut=st.integers(0, 60))
def test_packed_read_gives_every_value_as_stored(db_location, rows, cut):
    with Store(db_location) as s:
        _hold(s, [{"time": T0 + 30 * k, "utc": T0 + 30 * k, "flags": fl, "enmo_dmg": en,
                   "mad_dmg": md, "zangle_deg": z, "dangle_ddeg": da, "steps": stp}
                  for k, (en, md, z, da, stp, fl) in enumerate(rows)])
        want = np.array([(T0 + 30 * k, en, md, z, da, stp, fl)
                         for k, (en, md, z, da, stp, fl) in enumerate(rows)], dtype=np.int64)
        (dev,) = s.patient_epochs("P")
        assert np.array_equal(dev.values[np.argsort(dev.values[:, 0])], want)
        lo = T0 + 30 * cut
        got = [d.values for d in s.patient_epochs("P", since=lo, until=lo + 30 * 20)]
        part = np.concatenate(got) if got else np.empty((0, 7), np.int64)
        assert np.array_equal(part[np.argsort(part[:, 0])], want[cut:cut + 20])


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(times=st.lists(st.one_of(st.integers(-(1 << 40), 1 << 40), st.integers(-40, 40),
                                st.integers((1 << 32) - 40, (1 << 32) + 40)),
                      min_size=1, max_size=30, unique=True))
def test_read_gives_every_time_as_stored(db_location, times):
    """SQLite reads utc as eight hex digits: times before 1970 or after 2106 (a clock
    gone wrong) print wider and must still come back as stored (the packed read)."""
    with Store(db_location) as s:
        _hold(s, [{"time": t, "utc": t, "flags": 1, "enmo_dmg": 5, "mad_dmg": 6,
                   "zangle_deg": -90, "dangle_ddeg": 9, "steps": 2} for t in times])
        (dev,) = s.patient_epochs("P")
        got = dev.values[np.argsort(dev.values[:, 0])]
        assert got[:, 0].tolist() == sorted(times)
        assert (got[:, 1:] == [5, 6, -90, 9, 2, 1]).all()
