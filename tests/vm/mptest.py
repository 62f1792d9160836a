# A tiny test runner that lives inside the MicroPython VM, stepped from JS.
#
# Why stepped: in the WebAssembly port, gc.collect() frees nothing while a
# runPython() call is active (it cannot scan the C stack), so a heap figure
# taken inside a test would be the total ever allocated. run_mp.mjs therefore
# calls step() and sample() in separate runPython() calls: sample() runs at
# top level, where collection works, and records gc.mem_alloc() above the
# baseline taken before the test module was imported (so module code counts).
#
# A test is a plain function, or a generator that yields at the high points
# of what it exercises (each yield is sampled with everything still alive).
# One "@@MPTEST " + JSON line per test: {test, ok, error, ms, peak_heap, samples}.
import gc
import json
import sys
import time

try:
    import io
except ImportError:  # pragma: no cover
    io = None

_base = 0
_mod = None
_names = []
_cur = None
_gen = None
_done = False
_err = None
_peak = 0
_samples = 0
_t0 = 0


def _fmt(e):
    if io is not None and hasattr(sys, "print_exception"):
        s = io.StringIO()
        sys.print_exception(e, s)
        return s.getvalue()
    return repr(e)


def _emit(d):
    print("@@MPTEST " + json.dumps(d))


def base():
    # Called in several runPython() calls: garbage pinned by a stale slot in
    # one call is free in the next, and the lowest reading is the true floor.
    global _base
    _scrub()
    gc.collect()
    used = gc.mem_alloc()
    if _base == 0 or used < _base:
        _base = used


def load(modname):
    global _mod, _names
    try:
        _mod = __import__(modname)
    except BaseException as e:  # any import failure is the harness's finding
        _emit({"test": "<import>", "ok": False, "error": _fmt(e)})
        _names = []
        return
    _names = [n for n in dir(_mod) if n.startswith("test_")]
    _names.sort()


def step():
    """Advance the current test by one step; False when no test is left."""
    global _cur, _gen, _done, _err, _peak, _samples, _t0
    if _cur is None:
        if not _names:
            return False
        _cur = _names.pop(0)
        _gen = None
        _done = False
        _err = None
        _peak = 0
        _samples = 0
        _t0 = time.ticks_ms()
        try:
            r = getattr(_mod, _cur)()
            if hasattr(r, "send"):
                _gen = r
            else:
                _done = True
        except BaseException as e:
            _err = _fmt(e)
            _done = True
        return True
    try:
        next(_gen)
    except StopIteration:
        _done = True
    except BaseException as e:
        _err = _fmt(e)
        _done = True
    return True


def _scrub(n=64):
    # Overwrite stale Python-stack slots left by the finished test, so the
    # conservative collector does not keep its garbage alive into the next one.
    if n:
        a = b = c = d = e = f = g = h = None  # noqa: F841
        _scrub(n - 1)


def sample():
    """Record the heap in use (called at top level, between steps)."""
    global _cur, _gen, _peak, _samples
    if _cur is None:
        return
    if _done:
        _gen = None
        _scrub()
    gc.collect()
    used = gc.mem_alloc() - _base
    _samples += 1
    if used > _peak:
        _peak = used
    if _done:
        _emit({"test": _cur, "ok": _err is None, "error": _err,
               "ms": time.ticks_diff(time.ticks_ms(), _t0), "peak_heap": _peak,
               "samples": _samples})
        _cur = None
