"""Done-when for tools/flash.py: the wearable boots from a `tools/flash.py --target` tree.

1. MicroPython 1.27 (WebAssembly VM) runs the tree's own /main.py with only the compiled
   .mpy files on sys.path: board profile -> drivers -> App.boot() -> BLE peripheral ->
   main loop, then records on /log. The VM has no `machine` or `bluetooth`: the modules
   below STAND IN FOR THE HARDWARE (register maps of the chips, a radio that records calls),
   which is outside our control here.
2. The virtual wearable (host port, CPython) boots the app from a `--target --sources` tree
   and records epochs from a virtual wearer, loading every firmware module from the tree.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.vm.harness import VmResult, run_module
from tools.flash import run

ROOT = Path(__file__).resolve().parents[2]

# --- hardware stand-ins for the VM (MicroPython code) --------------------------------------
MACHINE = '''
# VM stand-in for the hardware module `machine`: register maps of the chips on the I2C bus
# (IMU FIFOs empty, RTC never set), pins and ADCs with fixed readings. After READS_LEFT
# button reads (one per main-loop pass) it raises Stop: the test pulls the plug.
class Stop(Exception):
    pass

READS_LEFT = [4]
UNIQUE_ID = b"\\x24\\x0a\\xc4\\x00\\x01\\x02"
_REGS = {}


def _chip(addr, init):
    r = bytearray(256)
    for k in init:
        r[k] = init[k]
    _REGS[addr] = r


_chip(0x68, {0x75: 0x19})   # MPU6886: WHO_AM_I; FIFO count 0x72 = 0
_chip(0x6A, {0x0F: 0x6C})   # LSM6DSOX: WHO_AM_I; FIFO status 0x3A/0x3B = 0
_chip(0x51, {0x02: 0x80})   # BM8563: VL bit, the clock was never set


def unique_id():
    return UNIQUE_ID


def reset_cause():
    return 1


def lightsleep(ms=0):
    pass


class Pin:
    IN = 0
    OUT = 1
    PULL_UP = 1
    IRQ_FALLING = 4
    IRQ_RISING = 8

    def __init__(self, pin_id, mode=-1, pull=-1, value=None):
        self.id = pin_id
        self.mode = mode
        self.level = 1 if value is None else value  # inputs idle high: button released

    def value(self, v=None):
        if v is not None:
            self.level = v
            return None
        if self.mode == Pin.IN:
            READS_LEFT[0] -= 1
            if READS_LEFT[0] < 0:
                raise Stop()
        return self.level

    def irq(self, handler=None, trigger=0, wake=None):
        self.handler = handler


class I2C:
    def __init__(self, bus_id, scl=None, sda=None, freq=400000):
        pass

    def readfrom_mem_into(self, addr, reg, buf):
        r = _REGS.get(addr)
        if r is None:
            raise OSError(19)
        for i in range(len(buf)):
            buf[i] = r[reg + i]

    def writeto_mem(self, addr, reg, buf):
        r = _REGS.get(addr)
        if r is None:
            raise OSError(19)
        for i in range(len(buf)):
            r[reg + i] = buf[i]


class ADC:
    ATTN_11DB = 3

    def __init__(self, pin, atten=None):
        pass

    def read_uv(self):
        return 1950000          # M5StickC Plus2: x2 divider -> 3900 mV

    def read_u16(self):
        return 26000            # Pico W: VSYS/3 -> 3927 mV


class PWM:
    def __init__(self, pin, freq=1000, duty_u16=0):
        self.duty = duty_u16

    def duty_u16(self, v=None):
        if v is None:
            return self.duty
        self.duty = v
'''

BLUETOOTH = '''
# VM stand-in for the radio module `bluetooth`: accepts the calls and records them.
CALLS = []


class UUID:
    def __init__(self, v):
        self.v = v


class BLE:
    def active(self, on=None):
        CALLS.append(("active", on))
        return True

    def config(self, *a, **kw):
        CALLS.append(("config", kw))

    def irq(self, handler):
        CALLS.append(("irq", None))

    def gatts_register_services(self, services):
        n = 0
        out = []
        for _, chars in services:
            hs = []
            for _c in chars:
                n += 1
                hs.append(n)
            out.append(tuple(hs))
        CALLS.append(("register", n))
        return tuple(out)

    def gatts_set_buffer(self, h, n, append=False):
        pass

    def gatts_write(self, h, data, send_update=False):
        CALLS.append(("write", h, bytes(data)))

    def gatts_read(self, h):
        return b""

    def gatts_notify(self, conn, h, data=None):
        pass

    def gap_advertise(self, interval_us, adv_data=None, resp_data=None, connectable=True):
        CALLS.append(("advertise", interval_us, bytes(adv_data or b"")))
'''

BOOT = '''
import os
import sys


def test_main_boots_from_the_flashed_tree():
    sys.path[:] = ["/flash/lib", "/flash", "/hw"]  # the board's path: /lib, plus the root
    os.chdir("/flash")                             # main.py reads board.txt from the root
    import bluetooth
    import machine
    if not hasattr(os, "urandom"):  # the boards have it (hardware RNG); the VM does not
        import random

        class _Os:  # the VM's built-in os is read-only: main.py imports this copy
            pass

        shim = _Os()
        for name in dir(os):
            setattr(shim, name, getattr(os, name))
        shim.urandom = lambda n: bytes(random.getrandbits(8) for _ in range(n))
        sys.modules["os"] = shim
    try:
        import main  # noqa: F401  runs main(): the device's boot
    except machine.Stop:
        pass
    assert machine.READS_LEFT[0] < 0, "the main loop never ran"
    for name in sys.modules:
        if name.split(".")[0] in ("wlfw", "wlproto", "drivers", "boards"):
            f = sys.modules[name].__file__
            assert f.startswith("/flash/lib/") and f.endswith(".mpy"), (name, f)
    assert "boards." + open("/flash/board.txt").read().strip() in sys.modules

    from wlfw.app import battery_percent
    from wlfw.recordlog import RecordLog
    from wlproto.const import EV_BATTERY, EV_BOOT, EV_SENSOR_FAULT, RECORD_SIZE

    log = RecordLog("/log")
    buf = bytearray(32 * RECORD_SIZE)
    first, n, base = log.read_into(log.oldest_seq, buf, 32)
    # Decoding is the companion's: the flashed tree does not ship wlproto.records, so
    # the check loads it from the source tree (/lib), as the companion has it.
    for name in [m for m in sys.modules if m.split(".")[0] == "wlproto"]:
        del sys.modules[name]
    sys.path[:] = ["/lib"]
    from wlproto.records import Event, unpack_record

    recs = [unpack_record(buf, k * RECORD_SIZE, first + k, base) for k in range(n)]
    kinds = [r.etype for r in recs if isinstance(r, Event)]
    assert kinds[0] == EV_BOOT and recs[0].arg == 1, recs   # first boot
    assert EV_SENSOR_FAULT not in kinds, recs                # the IMU answered
    batt = [r for r in recs if isinstance(r, Event) and r.etype == EV_BATTERY]
    assert len(batt) == 1 and batt[0].value == battery_percent(batt[0].aux), batt
    adv = [c for c in bluetooth.CALLS if c[0] == "advertise" and c[2]]
    assert adv and b"WL-0102" in adv[0][2], bluetooth.CALLS   # device id from unique_id
    serial = [c for c in bluetooth.CALLS if c[0] == "write" and c[2] == b"00000102"]
    assert serial, bluetooth.CALLS                           # serial number characteristic
    print("@@BOOT " + str(len(recs)) + " records, battery " + str(batt[0].value) + "%")
'''


def boot_in_vm(t: Path, tmp_path: Path) -> tuple[VmResult | None, str]:
    """Run BOOT in the VM with the tree under /flash and the hardware stand-ins."""
    extra = {"/flash/" + p.relative_to(t).as_posix(): p for p in t.rglob("*") if p.is_file()}
    for name, text in (("machine", MACHINE), ("bluetooth", BLUETOOTH)):
        (tmp_path / f"{name}.py").write_text(text)
        extra[f"/hw/{name}.py"] = tmp_path / f"{name}.py"
    mod = tmp_path / "mp_flash_boot.py"
    mod.write_text(BOOT)
    r = run_module(mod, extra=extra)
    return r.results.get("test_main_boots_from_the_flashed_tree"), r.output


@pytest.mark.vm
@pytest.mark.parametrize("board", ["m5stickc_plus2", "pico_w"])
def test_micropython_boots_main_py_from_the_target_tree(board: str, tmp_path: Path) -> None:
    t = tmp_path / "device"
    assert run(["--board", board, "--target", str(t), "--device-id", "0x0102"]) == 0
    assert json.loads((t / "config.json").read_text())["device_id"] == 0x0102
    res, output = boot_in_vm(t, tmp_path)
    assert res is not None, output[-3000:]
    assert res.ok, res.error
    assert "@@BOOT " in output


@pytest.mark.vm
def test_a_tree_missing_one_module_does_not_boot(tmp_path: Path) -> None:
    t = tmp_path / "device"
    assert run(["--board", "pico_w", "--target", str(t), "--device-id", "0x0102"]) == 0
    (t / "lib" / "drivers" / "lsm6ds.mpy").unlink()
    res, output = boot_in_vm(t, tmp_path)
    assert res is not None and not res.ok, output[-3000:]
    assert "drivers.lsm6ds" in (res.error or "") or "lsm6ds" in (res.error or ""), res.error


HOST = '''
import json, sys
tree, root = sys.argv[1], sys.argv[2]
sys.path.insert(0, tree + "/lib")   # the flashed tree first: it must hold everything
sys.path.insert(1, root)
from wearlog.virtual.hostport import run_wearer
from wearlog.testing.samples import Wearer

run = run_wearer(days=0.05, seed=3, log_dir=sys.argv[3])
mods = {n: getattr(m, "__file__", "") for n, m in sys.modules.items()
        if n.split(".")[0] in ("wlfw", "wlproto")}

# the board profile from the tree, on the host port's machine with register models
import machine
from tests.firmware.fake_chips import FakeMPU, FakeRTC
machine.attach_i2c_device(0x68, FakeMPU(0x19))
machine.attach_i2c_device(0x51, FakeRTC())
machine.set_adc_uv(38, 1_950_000)
board_name = open(tree + "/board.txt").read().strip()
profile = __import__("boards." + board_name, None, None, ("make",))
board = profile.make()
recs = run.records()
print(json.dumps({"modules": mods, "profile": profile.__file__,
                  "epochs": sum(1 for r in recs if hasattr(r, "enmo_dmg")),
                  "records": len(recs), "battery_mv": board.battery_mv(),
                  "imu": board.open_imu().name}))
'''


def test_host_port_boots_the_app_from_a_sources_tree(tmp_path: Path) -> None:
    t = tmp_path / "device"
    assert run(["--board", "m5stickc_plus2", "--target", str(t), "--device-id", "0x0102",
                "--sources"]) == 0
    r = subprocess.run([sys.executable, "-c", HOST, str(t), str(ROOT), str(tmp_path / "log")],
                       capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-3000:]
    out = json.loads(r.stdout.strip().splitlines()[-1])
    lib = str(t / "lib")
    # what the device runs comes from the tree; decoding (wlproto.records, run.records()
    # here) is the companion's and is not shipped (tools/flashing's closure)
    companion = {"wlproto.records", "wlproto.frames"}
    device = {n: f for n, f in out["modules"].items() if n not in companion}
    assert device and all(f.startswith(lib) for f in device.values()), out
    assert not (t / "lib" / "wlproto" / "records.py").exists()
    # the device loads the field table (wlproto.fields) and the wire format (wlproto.wire)
    assert {"wlfw.app", "wlfw.recordlog", "wlproto.fields"} <= set(out["modules"])
    assert out["profile"] == str(t / "lib" / "boards" / "m5stickc_plus2.py")
    assert out["epochs"] >= 0.05 * 2880 - 2  # 72 min of 30-s epochs
    assert out["battery_mv"] == 3900 and out["imu"] == "MPU6886"
