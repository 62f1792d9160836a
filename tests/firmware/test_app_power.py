"""The whole device application across power cuts, and the host port's drain interval."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.firmware.fswrap import CutFs, PowerCut
from wearlog.testing.samples import Wearer
from wearlog.virtual.hostport import build_device, run_device
from wlproto.const import EV_BOOT
from wlproto.records import Epoch, Event


def fields(r):  # noqa: ANN001, ANN201
    return r.fields()


def test_drain_interval_does_not_change_the_epochs(tmp_path: Path) -> None:
    """The host port and the M5StickC Plus2 drain every 5 s (its WAKE_MS), other boards
    every 1 s: the same epochs either way."""
    w = Wearer(days=0.1, seed=5)
    a = run_device(w, 7200, tmp_path / "a", wake_ms=1000)
    b = run_device(w, 7200, tmp_path / "b", wake_ms=5000)
    ea = [fields(r) for r in a.records() if isinstance(r, Epoch)]
    eb = [fields(r) for r in b.records() if isinstance(r, Epoch)]
    assert len(ea) == 240 and ea == eb


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(cut=st.integers(min_value=0, max_value=12_000))
def test_power_cut_during_a_run_loses_nothing_on_flash(tmp_path_factory, cut: int) -> None:
    """Cut power after `cut` bytes of flash writes; the rebooted device keeps
    every record that was on flash and carries on from the next sequence."""
    d = tmp_path_factory.mktemp("dev")
    w = Wearer(days=0.1, seed=6)
    fs = CutFs(cut)
    on_flash: list = []
    try:
        app, board, clock = build_device(w, d, fs=fs)
        app.set_time(w.start_utc)
        while clock.now_ms < 4 * 3600_000:
            before = app.log.chunks_written
            app.run_for(30_000)
            if app.log.chunks_written != before:
                on_flash = [fields(r) for r in _read(app.log, app.log.next_seq - app.log.buffered)]
    except PowerCut:
        pass
    # reboot on the real filesystem, same directory
    app2, board2, clock2 = build_device(w, d)
    got = [fields(r) for r in _read(app2.log, app2.log.next_seq)]
    assert got[: len(on_flash)] == on_flash
    boots = [r for r in _read(app2.log, app2.log.next_seq) if isinstance(r, Event)
             and r.etype == EV_BOOT]
    assert boots[-1].arg >= 1 and (not on_flash or boots[-1].arg >= 2)  # counter survives
    assert app2.log.next_seq >= len(on_flash)


def _read(log, upto):  # noqa: ANN001, ANN202
    """Records on flash below `upto` (a read that stops short of the RAM buffer
    does not flush, so reading does not change what is on flash)."""
    from wlproto.const import RECORD_SIZE
    from wlproto.records import unpack_record

    out = []
    buf = bytearray(64 * RECORD_SIZE)
    seq = log.oldest_seq
    end = min(upto, log.next_seq - log.buffered)
    while seq < end:
        before = log.chunks_written
        first, n, base = log.read_into(seq, buf, min(64, end - seq))
        assert log.chunks_written == before
        if n == 0:
            break
        out += [unpack_record(buf, k * RECORD_SIZE, first + k, base) for k in range(n)]
        seq = first + n
    return out
