"""Fault drill: the device clock jumps back an hour and forward a day mid-recording.
Every record is kept exactly once, each jump is on record, and the analysis still
produces consistent nights (a day with a gap is flagged, not averaged)."""

from __future__ import annotations

from pathlib import Path

from wearlog.analysis import analyse_patient
from wearlog.store import Store
from wearlog.testing.samples import Wearer
from wearlog.virtual.hostport import build_device
from wlproto.const import EV_CLOCK_SET, RECORD_SIZE
from wlproto.records import Event, unpack_record

H = 3600 * 1000


def test_clock_jumps_back_and_forward(tmp_path: Path) -> None:
    w = Wearer(days=3, seed=4, start_utc=1_772_366_400)
    app, _board, _clock = build_device(w, tmp_path / "log")
    app.set_time(w.start_utc)
    app.run_for(20 * H)
    before_back = app.device_time()
    app.set_time(before_back - 3600)
    app.run_for(10 * H)
    before_fwd = app.device_time()
    app.set_time(before_fwd + 86400)
    app.run_for(20 * H)
    app.log.flush()
    recs, buf, seq = [], bytearray(64 * RECORD_SIZE), app.log.oldest_seq
    while True:
        first, n, base = app.log.read_into(seq, buf, 64)
        if n == 0:
            break
        recs += [unpack_record(buf, k * RECORD_SIZE, first + k, base) for k in range(n)]
        seq = first + n
    assert [r.seq for r in recs] == list(range(app.log.oldest_seq, app.log.next_seq))
    sets = [r for r in recs if isinstance(r, Event) and r.etype == EV_CLOCK_SET]
    assert [s.arg for s in sets][-2:] == [before_back, before_fwd]
    assert sets[-2].time == before_back - 3600 and sets[-1].time == before_fwd + 86400

    store = Store(tmp_path / "w.db")
    store.add_patient("P")
    store.add_device(app.device_id, "P")
    assert store.ingest(app.device_id, recs) == len(recs)
    assert store.ingest(app.device_id, recs) == 0
    s = analyse_patient(store, "P")
    slept = [n for n in s.nights if n["tst_min"] is not None]
    assert len(slept) >= 2
    for n in slept:
        assert 0 < n["tst_min"] <= n["tib_min"] and 0 < n["se_pct"] <= 100
    # the skipped day has no wear data: listed as not valid, never averaged in
    assert any(not d["valid"] for d in s.days)
    store.close()
