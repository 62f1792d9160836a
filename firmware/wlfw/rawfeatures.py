# Epoch features from raw accelerometer samples: the companion's path to the
# device's own feature code (wlfw.features), for raw files. Kept apart so the
# device never loads it.
from array import array

from wlfw.errors import ConfigError
from wlfw.features import Features

_G = 1000


def to_mg(samples, counts_per_g):
    """Raw counts to milli-g in place (array('h'), any length)."""
    if counts_per_g == _G:
        return samples
    for i in range(len(samples)):
        samples[i] = samples[i] * _G // counts_per_g
    return samples


def resolution_mg(samples, counts_per_g=1000):
    """The sensor's step in milli-g as the file shows it: the smallest gap between two
    distinct values of one axis (1 when no axis ever changes: nothing to tell)."""
    step = 0
    n = len(samples)
    for a in range(3):
        seen = set()
        for i in range(a, n, 3):  # no step slices: MicroPython's arrays lack them
            seen.add(samples[i])
        vals = sorted(seen)
        for i in range(1, len(vals)):
            d = vals[i] - vals[i - 1]
            if step == 0 or d < step:
                step = d
    if step == 0:
        return 1
    return max(1, step * _G // counts_per_g)


def epochs_from_samples(samples, rate_hz=25, epoch_s=30, counts_per_g=1000, start=0,
                        lsb_mg=None):
    """Yield one Epoch record per epoch (seq 0: the caller numbers them).

    samples: a flat sequence of x, y, z (milli-g, or raw counts with
    counts_per_g) at rate_hz; time is start + epoch index * epoch_s. The last
    epoch is yielded only if complete. lsb_mg: the sensor's resolution (for the
    stuck-sensor check); None = read it off the samples. Usable from CPython on
    raw files.
    """
    if counts_per_g <= 0:
        raise ConfigError("counts_per_g must be positive (1000 for milli-g), got %r"
                          % (counts_per_g,))
    if epoch_s <= 0:
        raise ConfigError("epoch length must be positive, got %r s" % (epoch_s,))
    if len(samples) % 3:
        raise ConfigError("samples must be whole x, y, z triples: got %d values"
                          % len(samples))
    per = rate_hz * epoch_s
    if lsb_mg is None:
        lsb_mg = resolution_mg(samples, counts_per_g)
    fe = Features(rate_hz, lsb_mg=lsb_mg)
    buf = array("h", bytes(6 * per))
    total = len(samples) // 3
    t = start
    pos = 0
    while pos + per <= total:
        j = 3 * pos
        for q in range(3 * per):
            v = samples[j + q]
            buf[q] = v if counts_per_g == _G else v * _G // counts_per_g
        fe.feed(buf, per)
        rec = fe.end_epoch(per)
        rec.time = t
        yield rec
        t += epoch_s
        pos += per
