# When the radio advertises: a short window every few hours, a window after any
# button event (the wearer wants to sync now), and for as long as a central is
# connected. Outside windows the board may light-sleep between FIFO drains,
# which on ESP32 is impossible while BLE runs. docs/firmware.md has the budget.
# Pure logic (times in uptime ms, wrap-free), so it is tested on the VM and CPython.


class RadioWindow:
    def __init__(self, period_ms=3 * 3600 * 1000, window_ms=3 * 60 * 1000,
                 after_press_ms=3 * 60 * 1000):
        if not (0 < window_ms <= period_ms):
            raise ValueError("window_ms must be > 0 and <= period_ms")
        self.period_ms = period_ms
        self.window_ms = window_ms
        self.after_press_ms = after_press_ms
        self._until = window_ms  # open at boot: a fresh device is easy to find
        self._presses = -1

    def wanted(self, uptime_ms, connected, presses):
        """True while the radio should advertise (or stay up for a connection)."""
        if presses != self._presses:
            if self._presses >= 0:
                self._until = max(self._until, uptime_ms + self.after_press_ms)
            self._presses = presses
        if connected or uptime_ms < self._until:
            return True
        return uptime_ms % self.period_ms < self.window_ms
