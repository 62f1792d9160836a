"""Host port: run the unchanged firmware on CPython with a simulated clock and IMU.

The modules here stand in for MicroPython-only ones (`machine`, `micropython`,
the `time.ticks_*` functions as `mptime`). They are put on sys.path by
wearlog.virtual.hostport; they never replace a CPython stdlib module.
"""
