"""The sync's pure reconciler: every frame is expected, a duplicate or a gap, and
whatever the order, duplication or loss of frames nothing is stored twice or skipped."""

from __future__ import annotations

from collections import deque

from hypothesis import given, settings
from hypothesis import strategies as st

from wearlog.ble.reconcile import Cursor, Verdict, reconcile, reconcile_end


def test_expected_frame_moves_the_cursor_and_trims_what_is_stored():
    step = reconcile(Cursor(10), 8, 14)  # overlaps: records 8, 9 are stored already
    assert step.verdict is Verdict.EXPECTED
    assert step.take == 2 and step.cursor == Cursor(14)


def test_duplicate_and_gap():
    assert reconcile(Cursor(10), 4, 10).verdict is Verdict.DUPLICATE
    gap = reconcile(Cursor(10), 12, 16)
    assert gap.verdict is Verdict.GAP and gap.cursor == Cursor(10, resyncing=True)


def test_after_a_rerequest_only_the_frame_at_the_cursor_counts():
    cur = Cursor(10).rerequested()
    assert reconcile(cur, 8, 14).verdict is Verdict.DUPLICATE  # old stream in flight
    assert reconcile(cur, 14, 18).verdict is Verdict.DUPLICATE
    step = reconcile(cur, 10, 12)
    assert step.verdict is Verdict.EXPECTED and step.cursor == Cursor(12)


def test_end_frame():
    assert reconcile_end(Cursor(10), 10).verdict is Verdict.EXPECTED
    assert reconcile_end(Cursor(10), 12).verdict is Verdict.GAP
    assert reconcile_end(Cursor(10).rerequested(), 12).verdict is Verdict.DUPLICATE
    # everything is stored: complete even right after a re-request (the END was lost,
    # the re-requested stream is only an END; this looped to max_rerequests before)
    assert reconcile_end(Cursor(10).rerequested(), 10).verdict is Verdict.EXPECTED


@given(start=st.integers(0, 20), frames=st.lists(
    st.tuples(st.booleans(), st.integers(0, 60), st.integers(1, 8)), max_size=80))
def test_any_frames_in_any_order_store_a_gapless_prefix_once(start, frames):
    """Whatever arrives (duplicates, reordered, stale, missing), what is stored is exactly
    start..cursor-1, each record once."""
    cur, stored = Cursor(start), []
    for rerequest, first, n in frames:
        if rerequest:
            cur = cur.rerequested()
        step = reconcile(cur, first, first + n)
        if step.verdict is Verdict.EXPECTED:
            stored.extend(range(first, first + n)[step.take:])
        cur = step.cursor
        assert stored == list(range(start, cur.expected))


@settings(max_examples=200)
@given(data=st.data(), n_records=st.integers(0, 60), chunk=st.integers(1, 8))
def test_the_sync_loop_ends_with_every_record_stored_once(data, n_records, chunk):
    """The loop sync_device runs, on a channel that drops, duplicates, reorders and
    replays stale frames a bounded number of times: it ends with every record the
    device holds from the start stored exactly once."""
    start = data.draw(st.integers(0, n_records))

    def stream(from_seq: int) -> deque[tuple[str, int, int]]:
        out = deque(("rec", s, min(s + chunk, n_records))
                    for s in range(from_seq, n_records, chunk))
        out.append(("end", n_records, n_records))
        return out

    cur, stored = Cursor(start), []
    channel = stream(start)
    faults = data.draw(st.integers(0, 15))
    for _ in range(10_000):
        if not channel:  # a stall: ask again from the cursor
            cur = cur.rerequested()
            channel = stream(cur.expected)
            continue
        fault = data.draw(st.sampled_from(["drop", "dup", "swap", "stale"])) if faults else None
        faults -= fault is not None
        if fault == "drop":
            channel.popleft()
            continue
        if fault == "dup":
            channel.appendleft(channel[0])
        if fault == "swap" and len(channel) > 1:
            channel[0], channel[1] = channel[1], channel[0]
        if fault == "stale":
            s = data.draw(st.integers(0, max(n_records - 1, 0)))
            channel.appendleft(("rec", s, min(s + chunk, n_records)) if n_records else
                               ("end", 0, 0))
        kind, first, nxt = channel.popleft()
        if kind == "end":
            step = reconcile_end(cur, first)
            if step.verdict is Verdict.EXPECTED:
                break
        else:
            step = reconcile(cur, first, nxt)
            if step.verdict is Verdict.EXPECTED:
                stored.extend(range(first, nxt)[step.take:])
        if step.verdict is Verdict.GAP:
            channel.extend(stream(step.cursor.expected))  # behind what is still in flight
        cur = step.cursor
    else:
        raise AssertionError("the sync loop did not finish")
    assert stored == list(range(start, n_records))
