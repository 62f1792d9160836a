# Runs inside the MicroPython VM (driven by test_vm_heap_budget.py): the whole
# sensing + log pipeline (App with features, record log, button, clock) alive
# at each yield, so the harness's peak heap is the pipeline's footprint.
import os

from wlfw.app import App

CODED = True  # the log's default; /t/params.json {"coded": false} measures v1
try:
    import json

    with open("/t/params.json") as _f:
        CODED = json.load(_f).get("coded", CODED)
except OSError:
    pass


class Clock:
    def __init__(self):
        self.now = 0

    def ticks_ms(self):
        return self.now & 0x3FFFFFFF

    def ticks_diff(self, a, b):
        return ((a - b + 0x20000000) & 0x3FFFFFFF) - 0x20000000

    def ticks_add(self, a, b):
        return (a + b) & 0x3FFFFFFF

    def sleep_ms(self, ms):
        self.now += ms


class Imu:
    # walking-like samples: a 300 mg bounce every 16 samples, plus dither
    def __init__(self, clock):
        self.clock = clock
        self.i = 0
        self.overrun = False

    def start(self, rate_hz, range_g=8):
        self.i = self.clock.now * 25 // 1000

    def read_fifo_into(self, buf):
        n = self.clock.now * 25 // 1000 - self.i
        if n > len(buf) // 3:
            n = len(buf) // 3
        for j in range(n):
            k = self.i + j
            buf[3 * j] = 40 + (k & 3)
            buf[3 * j + 1] = -30
            buf[3 * j + 2] = 1300 if k % 16 < 4 else 950
        self.i += n
        return n

    def temp_hc(self):
        return 60


class Board:
    RATE_HZ = 25

    def __init__(self, clock):
        self.clock = clock
        self.level = False

    def device_id(self):
        return 1

    def reset_cause(self):
        return 1

    def open_imu(self):
        return Imu(self.clock)

    def read_button(self, button, now_ms):
        button.update(self.level, now_ms)

    def battery_mv(self):
        return 3900

    def feedback(self, n):
        pass

    def sleep_ms(self, ms):
        self.clock.sleep_ms(ms)


def serve(app):
    buf = bytearray(64 * 11)
    return app.log.read_into(5, buf, 64)[1]


def test_pipeline_heap():
    try:
        os.mkdir("/log")
    except OSError:
        pass
    clock = Clock()
    board = Board(clock)
    app = App(board, clock=clock, log_dir="/log", log_options={"coded": CODED})
    app.boot()
    yield
    app.set_time(1760000000)
    for minute in range(90):  # 90 epochs: chunks written, a segment or two
        app.run_for(30000)
        yield
        if minute == 45:
            board.level = True
            app.run_for(200)
            board.level = False
            app.run_for(3000)
            yield
    n = serve(app)  # a sync window (after the clock set)
    yield
    assert n == 64 and app.epochs >= 90
