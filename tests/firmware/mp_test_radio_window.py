# The radio duty cycle (wlfw.radio_window), on the MicroPython VM and on CPython.
from wlfw.radio_window import RadioWindow

MIN = 60 * 1000
H = 60 * MIN


def test_open_at_boot_then_windows_every_period():
    w = RadioWindow(period_ms=3 * H, window_ms=3 * MIN, after_press_ms=3 * MIN)
    assert w.wanted(0, False, 0) and w.wanted(3 * MIN - 1, False, 0)
    assert not w.wanted(3 * MIN, False, 0) and not w.wanted(2 * H, False, 0)
    assert w.wanted(3 * H, False, 0) and w.wanted(3 * H + 2 * MIN, False, 0)
    assert not w.wanted(3 * H + 3 * MIN, False, 0)
    on = sum(1 for t in range(0, 24 * H, MIN) if w.wanted(t, False, 0))
    assert on == 8 * 3  # 3 minutes in every 3 hours: 1.7 % of the day


def test_a_button_event_opens_a_window():
    w = RadioWindow(period_ms=3 * H, window_ms=3 * MIN, after_press_ms=3 * MIN)
    assert not w.wanted(H, False, 0)
    assert w.wanted(H + 1, False, 1)  # the wearer pressed: sync now
    assert w.wanted(H + 3 * MIN - 1, False, 1)
    assert not w.wanted(H + 3 * MIN + 1, False, 1)


def test_a_connection_keeps_the_radio_up():
    w = RadioWindow(period_ms=3 * H, window_ms=3 * MIN, after_press_ms=3 * MIN)
    assert w.wanted(H, True, 0)
    assert not w.wanted(H + 1, False, 0)


def test_bad_settings_are_refused():
    try:
        RadioWindow(period_ms=MIN, window_ms=2 * MIN)
    except ValueError:
        return
    raise AssertionError("a window longer than its period was accepted")
