"""`wearlog device virtual` begins its recording at a noon, whatever the hour it runs, so
the simulated person sleeps at night (a browser test once failed at 12:05 UTC because
the person went to bed at 11:20); it then records from that noon up to now."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from wearlog.commands.ble import virtual_start


@given(now=st.integers(1_700_000_000, 2_100_000_000), days=st.floats(0.1, 30))
def test_the_recording_starts_at_the_last_noon_that_fits(now: int, days: float) -> None:
    start = virtual_start(now, days)
    assert start % 86400 == 43200  # 12:00 UTC
    assert now - days * 86400 - 86400 < start <= now - days * 86400
