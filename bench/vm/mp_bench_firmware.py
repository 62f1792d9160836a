# Firmware processing cost, measured by the same code in the MicroPython VM
# (bench/firmware_bench.py runs it through tests/vm/harness.py) and on CPython
# (imported directly), so the two figures compare like with like.
#
# Each test_* prints one "@@BENCH " + JSON line; CPython calls measure().
import json
import os
from array import array

try:
    from time import ticks_diff, ticks_us
except ImportError:  # CPython
    from time import perf_counter_ns

    def ticks_us():
        return perf_counter_ns() // 1000

    def ticks_diff(a, b):
        return a - b


from wlfw.features import Features
from wlfw.recordlog import RecordLog
from wlproto.records import pack_epoch_into

RATE = 25
EPOCH_S = 30
PER_EPOCH = RATE * EPOCH_S  # samples per epoch
DRAIN = 125  # samples per FIFO drain (5 s, as the host port wakes)
EPOCHS = 40  # per timed loop and repeat; the runner may pass fewer (--quick)


def epoch_buffer():
    # One epoch of interleaved x, y, z mg: 15 s walking-like (a 300 mg bounce
    # every 16 samples), then 15 s nearly still with a little dither.
    buf = array("h", bytes(6 * PER_EPOCH))
    for k in range(PER_EPOCH):
        if k < PER_EPOCH // 2:
            buf[3 * k] = 40 + (k & 3)
            buf[3 * k + 1] = -30
            buf[3 * k + 2] = 1300 if k % 16 < 4 else 950
        else:
            buf[3 * k] = 120 + (k & 1)
            buf[3 * k + 1] = -60 - (k & 2)
            buf[3 * k + 2] = 990 + (k % 3)
    return buf


def bare_loop(buf, epochs):
    # Baseline: the least any per-sample feature code must do (read x, y, z, square, add).
    t0 = ticks_us()
    acc = 0
    for _ in range(epochs):
        i = 0
        end = 3 * PER_EPOCH
        while i < end:
            x = buf[i]
            y = buf[i + 1]
            z = buf[i + 2]
            acc += x * x + y * y + z * z
            i += 3
    return ticks_diff(ticks_us(), t0), acc


def feed_only(buf, epochs):
    # Only the accumulators are reset per epoch (as end_epoch does): left to grow,
    # they turn into big integers on MicroPython and the loop measures those instead.
    fe = Features(RATE)
    t0 = ticks_us()
    for _ in range(epochs):
        for off in range(0, PER_EPOCH, DRAIN):
            fe.feed(buf, DRAIN, off)
        fe._reset_epoch()
    return ticks_diff(ticks_us(), t0)


def full_epochs(buf, epochs, log_dir):
    # feed + end_epoch + append to a real RecordLog (chunk writes included)
    fe = Features(RATE)
    log = RecordLog(log_dir)
    t = 1767225600
    t0 = ticks_us()
    for _ in range(epochs):
        for off in range(0, PER_EPOCH, DRAIN):
            fe.feed(buf, DRAIN, off)
        rec = fe.end_epoch(PER_EPOCH)
        rec.time = t
        rec.temp_hc = 60
        log.append_record(rec)
        t += EPOCH_S
    log.flush()
    return ticks_diff(ticks_us(), t0), log.bytes_written, log.chunks_written


def pack_only(epochs):
    # Baseline for the per-epoch step: packing one 11-byte record, nothing else.
    b = bytearray(11)
    t0 = ticks_us()
    for i in range(epochs):
        pack_epoch_into(b, 0, 0, i & 0xFFFF, 120, 40, -30, 12, 8, 60)
    return ticks_diff(ticks_us(), t0)


def measure(epochs=EPOCHS, repeats=5, log_dir="/bench_log"):
    # Each loop runs `repeats` times interleaved; the minimum is the figure
    # (the least-disturbed run on a shared machine).
    buf = epoch_buffer()
    bare = feed = full = pack = None
    nbytes = chunks = 0
    for r in range(repeats):
        d = log_dir + str(r)
        try:
            os.mkdir(d)
        except OSError:
            pass
        b, _ = bare_loop(buf, epochs)
        f = feed_only(buf, epochs)
        u, nbytes, chunks = full_epochs(buf, epochs, d)
        p = pack_only(epochs * 200)
        bare = b if bare is None or b < bare else bare
        feed = f if feed is None or f < feed else feed
        full = u if full is None or u < full else full
        pack = p if pack is None or p < pack else pack
    return {
        "epochs": epochs,
        "repeats": repeats,
        "samples": epochs * PER_EPOCH,
        "bare_loop_us": bare,
        "feed_us": feed,
        "full_us": full,
        "pack_us_per_record": pack / (epochs * 200),
        "log_bytes": nbytes,
        "log_chunks": chunks,
    }


def _config():
    try:
        with open("/t/bench_cfg.json") as f:
            return json.loads(f.read())
    except OSError:
        return {}


def test_firmware_costs():
    cfg = _config()
    print("@@BENCH " + json.dumps(measure(cfg.get("epochs", EPOCHS), cfg.get("repeats", 5))))
