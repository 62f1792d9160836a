"""tools/flash.py through real mpremote to a real MicroPython 1.27 interpreter over a
pseudo-terminal: the whole board path except the USB-serial hardware.

The interpreter is the WebAssembly VM (node). What a board's firmware does in C around
it (pyexec.c's raw REPL framing: "raw REPL; CTRL-B to exit", OK, \\x04 separators,
soft reboot) is SIMULATED by RawRepl below, following MicroPython's documented raw REPL
protocol; raw-paste mode is declined (R\\x00), which real boards may also do.
"""

from __future__ import annotations

import hashlib
import json
import os
import pty
import subprocess
import threading
import tty
from pathlib import Path

import pytest

from tests.vm.harness import VM_PACKAGE
from tools.flashing.deploy import deploy
from tools.flashing.errors import VerifyError
from tools.flashing.plan import make_plan
from tools.flashing.transport import MpremoteTransport

pytestmark = pytest.mark.vm

NODE_VM = """
import { createInterface } from "node:readline";
import { loadMicroPython } from "%(pkg)s/micropython.mjs";
let out = [];
const mp = await loadMicroPython({ heapsize: 1024 * 1024, stdout: (l) => out.push(l),
                                   stderr: (l) => out.push(l) });
const rl = createInterface({ input: process.stdin });
for await (const line of rl) {
  const { code } = JSON.parse(line);
  out = [];
  let err = "";
  try { mp.runPython(code); } catch (e) { err = String(e.message || e); }
  process.stdout.write(JSON.stringify({ out: out.join("\\r\\n") + (out.length ? "\\r\\n" : ""),
                                        err }) + "\\n");
}
"""


class RawRepl(threading.Thread):
    """SIMULATED board REPL framing on a pty master; code runs in the real MicroPython VM."""

    def __init__(self, master: int, vm: subprocess.Popen[str]) -> None:
        super().__init__(daemon=True)
        self.master, self.vm = master, vm
        self.line = bytearray()
        self.skip = 0
        self.execs = 0

    def send(self, b: bytes) -> None:
        try:
            os.write(self.master, b)
        except OSError:  # the test closed the pty after its last reply: the board is gone
            pass

    def run_code(self, code: str) -> tuple[str, str]:
        assert self.vm.stdin and self.vm.stdout
        self.vm.stdin.write(json.dumps({"code": code}) + "\n")
        self.vm.stdin.flush()
        ans = json.loads(self.vm.stdout.readline())
        return ans["out"], ans["err"]

    def run(self) -> None:
        while True:
            try:
                data = os.read(self.master, 4096)
            except OSError:
                return
            if not data:
                return
            for c in data:
                if self.skip:
                    self.skip -= 1
                    if self.skip == 0:
                        self.send(b"R\x00")  # raw-paste: not supported, use plain raw mode
                elif c == 0x01:
                    self.line.clear()
                    self.send(b"raw REPL; CTRL-B to exit\r\n>")
                elif c == 0x02:
                    self.send(b"\r\nMicroPython v1.27.0\r\n>>> ")
                elif c == 0x03:
                    self.line.clear()
                elif c == 0x05 and not self.line:
                    self.skip = 2  # 'A', 0x01
                elif c == 0x04:
                    self.send(b"OK")
                    if not self.line:
                        self.send(b"\r\nMPY: soft reboot\r\nraw REPL; CTRL-B to exit\r\n>")
                        continue
                    code = self.line.decode()
                    self.line.clear()
                    try:
                        out, err = self.run_code(code)
                    except (OSError, ValueError):  # the VM was stopped at the test's end
                        return
                    self.execs += 1
                    self.send(out.encode() + b"\x04" + err.encode() + b"\x04>")
                else:
                    self.line.append(c)


@pytest.fixture
def board(tmp_path: Path):
    if not (VM_PACKAGE / "micropython.mjs").exists():
        pytest.skip("MicroPython VM not installed: npm ci")
    script = tmp_path / "vm_board.mjs"
    script.write_text(NODE_VM % {"pkg": VM_PACKAGE.as_posix()})
    vm = subprocess.Popen(["node", str(script)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                          text=True)
    master, slave = pty.openpty()
    tty.setraw(slave)
    repl = RawRepl(master, vm)
    repl.start()
    try:
        yield os.ttyname(slave), repl
    finally:
        vm.kill()
        vm.communicate()  # reaps it and closes its pipes
        os.close(slave)
        os.close(master)
        repl.join(10)  # ends here, inside this test, not under a later one


def test_flash_through_mpremote_to_micropython(board: tuple[str, RawRepl]) -> None:
    port, repl = board
    plan = make_plan("pico_w", 0x0102)
    t = MpremoteTransport(port)
    try:
        t.write("/main.py", b"print('an older firmware')\n")
        t.mkdir("/lib")
        t.mkdir("/lib/wlfw")
        t.write("/lib/wlfw/app.py", b"# a stray source copy that would shadow app.mpy\n")
        res = deploy(plan, t)
        # read back independently, by mpremote's own sha256 (not our snippet)
        for f in res.written:
            assert t._t.fs_hashfile(f.path, "sha256") == hashlib.sha256(f.data).digest(), f.path
        info = t.info(("/lib/wlfw",), ("/main.py",))
    finally:
        t.close()
    assert res.info.version == (1, 27, 0) and res.info.name == "micropython"
    assert res.removed == ["/main.py", "/lib/wlfw/app.py"]
    assert res.verified == len(plan.library) + 2
    assert "/lib/wlfw/app.py" not in info.files and "/lib/wlfw/app.mpy" in info.files
    assert info.files["/main.py"] == len(plan.main.data)
    assert repl.execs > len(res.written)  # every step went over the serial link


def test_a_file_damaged_on_the_way_is_caught_by_the_read_back(
        board: tuple[str, RawRepl]) -> None:
    port, _ = board
    plan = make_plan("pico_w", 0x0102)
    t = MpremoteTransport(port)
    real_write = t.write

    def flaky(path: str, data: bytes) -> None:  # a bit flips on the cable
        real_write(path, data[:-1] + bytes([data[-1] ^ 1]) if path.endswith("app.mpy")
                   else data)

    t.write = flaky  # type: ignore[method-assign]
    try:
        with pytest.raises(VerifyError, match="/lib/wlfw/app.mpy"):
            deploy(plan, t)
        assert t.hashes(["/main.py"]) == {"/main.py": None}  # not written: boots to REPL
    finally:
        t.close()

