"""The device sync engine on CPython (the same module runs in the MicroPython VM)."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.firmware import mp_test_sync_server as m
from wlproto import const as C
from wlproto import frames

NAMES = sorted(n for n in dir(m) if n.startswith("test_"))


@pytest.mark.parametrize("name", NAMES)
def test_sync_engine_on_cpython(name: str, tmp_path: Path) -> None:
    m.ROOT = str(tmp_path / "sync")
    r = getattr(m, name)()
    if inspect.isgenerator(r):
        for _ in r:
            pass


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(1, 400), mtu=st.sampled_from([23, 64, 247]), start=st.integers(0, 400),
       window=st.integers(1, 512), sent=st.integers(0, 120), ack=st.integers(0, 420))
def test_an_ack_counts_only_what_this_session_delivered(
    n: int, mtu: int, start: int, window: int, sent: int, ack: int, tmp_path_factory
) -> None:
    """Issue 14.13 as a property: ACK(a) is taken iff a <= the READ's start or the end of
    the last frame fully sent; otherwise nothing is acknowledged."""
    m.ROOT = str(tmp_path_factory.mktemp("ack") / "sync")
    dev, secrets, server = m._setup(n, 0)
    secrets.set(m.SECRET)
    c = m.Central(server, mtu=mtu)
    c.authenticate()
    start = min(start, dev.log.next_seq)
    assert c.call(C.OP_READ, frames.read_payload(start, window)).status == C.ST_OK
    c.pump(limit=sent)
    delivered = max([start] + [f.next_seq for f in c.frames if f.ftype == C.FT_RECORDS])
    r = m._ack_now(c, ack)
    if ack <= delivered:
        assert r.status == C.ST_OK
        assert dev.log.acked_seq == ack
    else:
        assert r.status == C.ST_OUT_OF_RANGE
        assert dev.log.acked_seq == 0
