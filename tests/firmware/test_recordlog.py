"""The record log on a real directory: round trip, power cuts at every byte, a full disk."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.firmware.fswrap import CutFs, PowerCut, SmallFs
from wlfw.errors import LogFullError
from wlfw.recordlog import CHUNK_RECORDS, SEG_EXT, RecordLog, chunk_bytes
from wlproto.const import EV_BATTERY, EV_LOG_FULL, EV_SYMPTOM, RECORD_SIZE
from wlproto.records import Epoch, Event, unpack_record

T0 = 1_760_000_000


def add(log: RecordLog, i: int, t: int) -> int:
    """Append record number i (an epoch, or an event every 7th) at time t."""
    if i % 7 == 3:
        return log.append_event(t, 0, EV_BATTERY, i % 101, i, 3700)
    return log.append_epoch(t, 0, i % 5000, i % 300, (i % 181) - 90, i % 256, i % 120, 40)


def expected(i: int, t: int) -> Epoch | Event:
    if i % 7 == 3:
        return Event(i, t, EV_BATTERY, i % 101, i, 3700, 0)
    return Epoch(i, t, 0, i % 5000, i % 300, (i % 181) - 90, i % 256, i % 120, 40)


def read_all(log: RecordLog, start: int = 0, window: int = 64) -> list[Epoch | Event]:
    out: list[Epoch | Event] = []
    buf = bytearray(window * RECORD_SIZE)
    seq = start
    while True:
        first, n, base = log.read_into(seq, buf, window)
        if n == 0:
            return out
        for k in range(n):
            out.append(unpack_record(buf, k * RECORD_SIZE, first + k, base))
        seq = first + n


def test_round_trip_and_reopen(tmp_path: Path) -> None:
    log = RecordLog(str(tmp_path))
    assert (log.oldest_seq, log.next_seq, log.acked_seq) == (0, 0, 0)
    for i in range(500):
        assert add(log, i, T0 + 30 * i) == i
    got = read_all(log)  # serving flushes what was still in RAM
    assert got == [expected(i, T0 + 30 * i) for i in range(500)]
    log2 = RecordLog(str(tmp_path))
    assert (log2.oldest_seq, log2.next_seq) == (0, 500)
    assert read_all(log2, 123) == [expected(i, T0 + 30 * i) for i in range(123, 500)]
    assert log2.recovered_bytes == 0


def test_records_wait_in_ram_until_a_chunk_is_full(tmp_path: Path) -> None:
    log = RecordLog(str(tmp_path))
    for i in range(CHUNK_RECORDS - 1):
        add(log, i, T0 + 30 * i)
    assert log.buffered == CHUNK_RECORDS - 1 and log.chunks_written == 0
    add(log, CHUNK_RECORDS - 1, T0 + 30 * CHUNK_RECORDS)
    add(log, CHUNK_RECORDS, T0 + 30 * CHUNK_RECORDS)
    assert log.chunks_written == 1 and log.buffered == 1
    assert 0 < log.bytes_written < chunk_bytes(CHUNK_RECORDS)  # v2 by default: coded, smaller
    (tmp_path / "v1").mkdir()
    raw = RecordLog(str(tmp_path / "v1"), coded=False)
    for i in range(CHUNK_RECORDS + 1):
        add(raw, i, T0 + 30 * i)
    assert raw.bytes_written == chunk_bytes(CHUNK_RECORDS)  # v1: raw slots


def test_read_into_rebases_and_splits_on_time_jumps(tmp_path: Path) -> None:
    log = RecordLog(str(tmp_path))
    log.append_epoch(100, 2, 1, 2, 3, 4, 5, 6)  # uptime-relative
    log.append_event(T0, 0, EV_SYMPTOM, 3)  # after the clock was set
    log.append_epoch(T0 + 30, 0, 1, 2, 3, 4, 5, 6)
    buf = bytearray(10 * RECORD_SIZE)
    first, n, base = log.read_into(0, buf, 10)
    assert (first, n) == (0, 1)
    assert unpack_record(buf, 0, 0, base).time == 100
    first, n, base = log.read_into(1, buf, 10)
    assert (first, n) == (1, 2)
    assert unpack_record(buf, 0, 1, base) == Event(1, T0, EV_SYMPTOM, 3)
    assert unpack_record(buf, RECORD_SIZE, 2, base).time == T0 + 30
    assert log.read_into(3, buf, 10)[1] == 0
    assert log.read_into(99, buf, 10)[1] == 0


def test_out_of_order_times_within_slack(tmp_path: Path) -> None:
    # an epoch is stamped with its start, after events inside it were logged
    log = RecordLog(str(tmp_path))
    log.append_event(T0 + 20, 0, EV_SYMPTOM, 2)
    log.append_epoch(T0, 0, 1, 1, 0, 0, 0, 0)
    assert [r.time for r in read_all(log)] == [T0 + 20, T0]


def test_ack_is_persisted_and_sequence_never_reused(tmp_path: Path) -> None:
    log = RecordLog(str(tmp_path))
    for i in range(40):
        add(log, i, T0 + 30 * i)
    log.flush()
    assert log.ack(35) == 35
    assert log.ack(20) == 35  # acks only move forward
    assert log.ack(10_000) == 40  # clamped to what exists
    for i in range(40, 45):
        add(log, i, T0 + 30 * i)  # in RAM only: lost by the "power cut" below
    log2 = RecordLog(str(tmp_path))
    assert log2.acked_seq == 40
    assert log2.next_seq == 40
    assert add(log2, 40, T0) == 40


def test_corrupt_ack_file_reads_as_zero(tmp_path: Path) -> None:
    log = RecordLog(str(tmp_path))
    add(log, 0, T0)
    log.flush()
    log.ack(1)
    (tmp_path / "ack").write_bytes(b"\x01\x00\x00\x00XXXX")
    assert RecordLog(str(tmp_path)).acked_seq == 0


def committed_log(path: Path, n: int, coded: bool = False) -> RecordLog:
    log = RecordLog(str(path), chunk_records=8, segment_bytes=300, coded=coded)
    for i in range(n):
        add(log, i, T0 + 30 * i)
    log.flush()
    return log


@pytest.mark.parametrize("coded", [False, True], ids=["v1", "v2"])
def test_power_cut_at_every_byte_of_a_chunk(tmp_path: Path, coded: bool) -> None:
    """Cut the write of one chunk at each offset: committed records all survive."""
    ref = tmp_path / "ref"
    ref.mkdir()
    committed_log(ref, 20, coded)
    log = RecordLog(str(ref), chunk_records=8, segment_bytes=300, coded=coded)
    for i in range(20, 28):
        add(log, i, T0 + 30 * i)
    log.flush()
    size = log.bytes_written  # the chunk as written (v2: coded, smaller than raw)
    assert size == chunk_bytes(8) if not coded else 0 < size < chunk_bytes(8)
    for cut in range(size + 1):
        d = tmp_path / str(cut)
        d.mkdir()
        committed_log(d, 20, coded)  # 2 full chunks + 4 in a third, in 2 segments
        fs = CutFs(cut)
        log = RecordLog(str(d), fs=fs, chunk_records=8, segment_bytes=300, coded=coded)
        assert log.next_seq == 20
        for i in range(20, 28):
            add(log, i, T0 + 30 * i)
        try:
            log.flush()
        except PowerCut:
            pass
        after = RecordLog(str(d), chunk_records=8, segment_bytes=300)
        n = 28 if cut >= size else 20
        assert after.next_seq == n, cut
        assert read_all(after) == [expected(i, T0 + 30 * i) for i in range(n)], cut
        assert after.recovered_bytes == (cut if cut < size else 0)  # cut off at reopen
        # the log keeps working after recovery
        assert add(after, n, T0 + 30 * n) == n


def test_power_cut_mid_chunk_is_truncated_on_boot(tmp_path: Path) -> None:
    committed_log(tmp_path, 16)
    log = RecordLog(str(tmp_path), fs=CutFs(17), chunk_records=8, segment_bytes=300)
    for i in range(16, 24):
        add(log, i, T0 + 30 * i)
    with pytest.raises(PowerCut):
        log.flush()
    after = RecordLog(str(tmp_path), chunk_records=8, segment_bytes=300)
    assert after.recovered_bytes == 17
    assert after.next_seq == 16
    assert not [n for n in os.listdir(tmp_path) if n.endswith(".tmp")]


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(
    ops=st.lists(st.sampled_from(["rec", "rec", "rec", "flush", "ack"]), min_size=1,
                 max_size=120),
    cut=st.integers(min_value=0, max_value=3000),
    coded=st.booleans(),
)
def test_power_cut_anywhere_loses_nothing_committed(tmp_path_factory, ops, cut, coded) -> None:
    """Random appends, flushes and acks, power cut at a random byte or rename (v1 or v2)."""
    d = tmp_path_factory.mktemp("cut")
    fs = CutFs(cut)
    committed = 0  # records known to be on flash (flush returned)
    acked = 0
    i = 0
    try:
        log = RecordLog(str(d), fs=fs, chunk_records=8, segment_bytes=200, coded=coded)
        for op in ops:
            if op == "rec":
                before = log.chunks_written
                add(log, i, T0 + 30 * i)
                i += 1
                if log.chunks_written != before:
                    committed = log.next_seq - log.buffered
            elif op == "flush":
                log.flush()
                committed = log.next_seq
            else:
                acked = log.ack(committed // 2)
    except PowerCut:
        pass
    after = RecordLog(str(d), chunk_records=8, segment_bytes=200)
    assert after.next_seq >= committed
    assert after.acked_seq >= acked
    assert after.next_seq >= after.acked_seq
    assert read_all(after) == [expected(k, T0 + 30 * k) for k in range(after.next_seq)]
    n = after.next_seq
    assert add(after, n, T0) == n  # still appendable


def test_full_disk_drops_acked_segments_first_silently(tmp_path: Path) -> None:
    fs = SmallFs(str(tmp_path), 8192)
    log = RecordLog(str(tmp_path), fs=fs, segment_bytes=1024, reserve_bytes=1024)
    i = 0
    while i < 1500:
        add(log, i, T0 + 30 * i)
        i += 1
        if i % 50 == 0:
            log.flush()
            log.ack(log.next_seq)  # the companion keeps up
    log.flush()
    assert log.oldest_seq > 0  # old segments went
    assert log.dropped == 0
    assert EV_LOG_FULL not in [getattr(r, "etype", None) for r in read_all(log)]
    assert fs.full_errors == 0


def test_full_disk_never_drops_unacked_silently(tmp_path: Path) -> None:
    fs = SmallFs(str(tmp_path), 8192)
    log = RecordLog(str(tmp_path), fs=fs, segment_bytes=1024, reserve_bytes=1024)
    for i in range(1000):
        add(log, i, T0 + 30 * i)
    log.flush()
    assert log.dropped > 0
    recs = read_all(log)
    full = [r for r in recs if isinstance(r, Event) and r.etype == EV_LOG_FULL]
    assert full, "dropping unacknowledged records must log EV_LOG_FULL"
    # nothing was acknowledged: every dropped record is counted, and the newest
    # EV_LOG_FULL names the first sequence kept (older events went with their segments)
    assert log.dropped == log.oldest_seq
    assert full[-1].arg <= log.oldest_seq + 2 * CHUNK_RECORDS
    # each event names the first sequence kept, and nothing before it is served
    assert recs[0].seq == log.oldest_seq
    assert all(e.arg <= e.seq for e in full)
    # everything still on the device is intact and in order
    assert [r.seq for r in recs] == list(range(log.oldest_seq, log.next_seq))
    assert fs.full_errors == 0


def test_no_room_at_all_raises_log_full(tmp_path: Path) -> None:
    fs = SmallFs(str(tmp_path), 512)
    log = RecordLog(str(tmp_path), fs=fs, reserve_bytes=0)
    with pytest.raises(LogFullError, match="filesystem"):
        for i in range(2000):
            add(log, i, T0 + 30 * i)
    # the records in RAM are still there for when space returns
    assert log.buffered == CHUNK_RECORDS


def test_capacity_at_least_30_days_per_mib(tmp_path: Path) -> None:
    """One day of epochs plus hourly battery and a few symptom events."""
    log = RecordLog(str(tmp_path))
    for k in range(2880):
        t = T0 + 30 * k
        log.append_epoch(t, 0, 100, 100, 0, 0, 0, 40)
        if k % 120 == 0:
            log.append_event(t, 0, EV_BATTERY, 90, 0, 3900)
        if k % 500 == 250:
            log.append_event(t, 0, EV_SYMPTOM, 2)
            log.flush()  # wearer events are flushed at once
    log.flush()
    on_disk = sum(p.stat().st_size for p in tmp_path.glob("*" + SEG_EXT))
    assert on_disk == log.bytes_written
    days_per_mib = (1 << 20) / on_disk
    print(f"bytes/day {on_disk}, days per MiB {days_per_mib:.1f}")
    assert days_per_mib >= 30


def test_v1_log_upgrades_in_place(tmp_path: Path) -> None:
    """A log written by v1 firmware (raw chunks) is read by v2, which appends coded
    chunks after it in the same segment: every record of both survives, in order."""
    old = RecordLog(str(tmp_path), coded=False, chunk_records=8)
    for i in range(30):
        add(old, i, T0 + 30 * i)
    old.flush()
    v1_bytes = old.bytes_written
    assert v1_bytes == 3 * chunk_bytes(8) + chunk_bytes(6)
    new = RecordLog(str(tmp_path), chunk_records=8, coded=True)
    assert new.next_seq == 30 and read_all(new) == [expected(i, T0 + 30 * i) for i in range(30)]
    for i in range(30, 60):
        add(new, i, T0 + 30 * i)
    new.flush()
    assert 0 < new.bytes_written < 3 * chunk_bytes(8) + chunk_bytes(6)  # the v2 part: coded
    again = RecordLog(str(tmp_path), chunk_records=8)
    assert again.next_seq == 60 and again.recovered_bytes == 0
    assert read_all(again) == [expected(i, T0 + 30 * i) for i in range(60)]
    assert read_all(again, start=27, window=5)[0].seq == 27  # a read across the two formats


@settings(max_examples=25, deadline=None)
@given(cut=st.integers(0, 400))
def test_power_cut_in_the_first_v2_chunk_after_v1(tmp_path_factory, cut: int) -> None:
    """Cut the first coded chunk written after v1 chunks anywhere: the v1 records stay."""
    d = tmp_path_factory.mktemp("up")
    old = RecordLog(str(d), coded=False, chunk_records=8, segment_bytes=300)
    for i in range(12):
        add(old, i, T0 + 30 * i)
    old.flush()
    log = RecordLog(str(d), fs=CutFs(cut), chunk_records=8, segment_bytes=300, coded=True)
    for i in range(12, 20):
        add(log, i, T0 + 30 * i)
    try:
        log.flush()
    except PowerCut:
        pass
    after = RecordLog(str(d), chunk_records=8, segment_bytes=300)
    assert after.next_seq in (12, 20)
    assert read_all(after) == [expected(i, T0 + 30 * i) for i in range(after.next_seq)]
