"""What an arriving frame means for the store: expected, duplicate or gap.

Pure (no I/O, no Bluetooth): the sync loop asks it about every frame and does
what the verdict says, so the "nothing lost, nothing stored twice" rule is
decided in one place and tested without a radio. The cursor is the next
sequence to store; after a re-request (`rerequested`) frames still in flight
from the old stream are duplicates until the one starting at the cursor comes.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Verdict(enum.Enum):
    EXPECTED = "expected"  # store records[take:], the cursor moves to the frame's end
    DUPLICATE = "duplicate"  # already stored (or a stale frame): ignore it
    GAP = "gap"  # something before this frame is missing: ask again from the cursor


@dataclass(frozen=True)
class Cursor:
    expected: int
    resyncing: bool = False

    def rerequested(self) -> Cursor:
        """The stream was asked for again from `expected` (after a gap, stall or bad frame)."""
        return Cursor(self.expected, True)


@dataclass(frozen=True)
class Step:
    verdict: Verdict
    cursor: Cursor
    take: int = 0  # index of the first new record in the frame (EXPECTED only)


def reconcile(cur: Cursor, first_seq: int, next_seq: int) -> Step:
    """A records frame holding sequences first_seq..next_seq-1 arrives."""
    if cur.resyncing:
        if first_seq != cur.expected:
            return Step(Verdict.DUPLICATE, cur)  # from before our re-request
        cur = Cursor(cur.expected)
    if next_seq <= cur.expected:
        return Step(Verdict.DUPLICATE, cur)
    if first_seq > cur.expected:
        return Step(Verdict.GAP, cur.rerequested())
    return Step(Verdict.EXPECTED, Cursor(next_seq), cur.expected - first_seq)


def reconcile_end(cur: Cursor, next_seq: int) -> Step:
    """The device's end-of-stream frame (next_seq = the next sequence it will write).

    EXPECTED means the transfer is complete: everything up to the device's end is
    stored, stale END or not (after a re-request at the very end, the new stream
    is only an END). One beyond the cursor is a gap, unless it is stale (sent
    before our re-request, whose own stream is still coming).
    """
    if next_seq <= cur.expected:
        return Step(Verdict.EXPECTED, Cursor(cur.expected))
    if cur.resyncing:
        return Step(Verdict.DUPLICATE, cur)
    return Step(Verdict.GAP, cur.rerequested())
