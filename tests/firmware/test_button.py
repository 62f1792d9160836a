"""The symptom button state machine: press patterns decoded exactly, bounce ignored."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from wlfw.button import DEBOUNCE_MS, LONG, SYMPTOM, Button


def run(edges: list[tuple[bool, int]], until: int, poll_every: int = 1000) -> list[tuple]:
    """Feed edges (level, ms) in order, polling every poll_every ms like the main loop."""
    b = Button()
    out = []
    t = 0
    i = 0
    while t <= until:
        while i < len(edges) and edges[i][1] <= t:
            b.update(*edges[i])
            i += 1
        b.poll(t)
        while (e := b.pop()) is not None:
            out.append(e)
        t += poll_every
    return out


def press(t: int, dur: int, bounce: int = 0) -> list[tuple[bool, int]]:
    """Edges of one press at t held dur ms, with `bounce` chatter edges each way."""
    e = []
    for k in range(bounce):
        e += [(True, t + 2 * k), (False, t + 2 * k + 1)]
    e.append((True, t + 2 * bounce))
    u = t + dur
    for k in range(bounce):
        e += [(False, u + 2 * k), (True, u + 2 * k + 1)]
    e.append((False, u + 2 * bounce))
    return e


def test_three_short_presses_are_severity_three() -> None:
    edges = press(1000, 120) + press(1400, 120) + press(1800, 150)
    assert run(edges, 6000) == [(SYMPTOM, 3, 1000)]


def test_presses_after_the_window_start_a_new_event() -> None:
    edges = press(1000, 100) + press(1500, 100) + press(3200, 100)
    assert run(edges, 8000) == [(SYMPTOM, 2, 1000), (SYMPTOM, 1, 3200)]


def test_more_than_five_presses_cap_at_five() -> None:
    edges = []
    for k in range(7):
        edges += press(1000 + 250 * k, 80)
    assert run(edges, 6000) == [(SYMPTOM, 5, 1000)]


def test_long_press_reported_while_still_held() -> None:
    b = Button()
    b.update(True, 100)
    b.poll(1000)
    assert b.pop() is None
    b.poll(2150)
    assert b.pop() == (LONG, 0, 100)
    b.update(False, 5000)
    b.poll(9000)
    assert b.pop() is None  # its release is not a short press


def test_bounce_shorter_than_debounce_is_ignored() -> None:
    b = Button()
    b.update(True, 0)
    b.update(False, DEBOUNCE_MS - 5)
    b.poll(5000)
    assert b.pop() is None and b.presses == 0


def test_chatter_around_one_press_counts_once() -> None:
    edges = press(1000, 150, bounce=3)
    assert run(edges, 6000, poll_every=10) == [(SYMPTOM, 1, 1006)]


@settings(max_examples=200, deadline=None)
@given(
    patterns=st.lists(
        st.one_of(
            st.tuples(st.just("short"), st.integers(1, 5)),
            st.tuples(st.just("long"), st.integers(2100, 6000)),
        ),
        min_size=1,
        max_size=6,
    ),
    gap=st.integers(2100, 5000),
    bounce=st.integers(0, 3),
    durs=st.lists(st.integers(60, 260), min_size=5, max_size=5),  # releases > debounce
    spacing=st.integers(320, 390),
    poll=st.sampled_from([10, 50, 1000, 5000]),
)
def test_any_pattern_is_decoded_exactly(patterns, gap, bounce, durs, spacing, poll) -> None:
    edges: list[tuple[bool, int]] = []
    want = []
    t = 1000
    for kind, v in patterns:
        if kind == "short":
            want.append((SYMPTOM, v, t + 2 * bounce))
            for k in range(v):
                edges += press(t + k * spacing, durs[k], bounce)
            t += v * spacing + gap
        else:
            want.append((LONG, 0, t + 2 * bounce))
            edges += press(t, v, bounce)
            t += v + gap
    got = run(edges, t + 10000, poll_every=poll)
    assert got == want
