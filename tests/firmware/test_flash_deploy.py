"""tools/flash.py: the --target tree, the checks a board must pass, the write order.

Real parts: mpy-cross, the directory transport, mpremote's serial transport
(for "no board"). FakeBoard below only SIMULATES BOARD ANSWERS we cannot get
without hardware (an old MicroPython, a full filesystem, a flaky cable); it
never stands in for the code under test.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tools.flash import run
from tools.flashing.build import MANAGED_DIRS, TOP_FILES
from tools.flashing.deploy import deploy
from tools.flashing.errors import (
    FlashError,
    NoBoardError,
    NotEnoughSpaceError,
    VerifyError,
    WrongVersionError,
)
from tools.flashing.plan import Plan, make_plan, render, space_needed
from tools.flashing.transport import BoardInfo, DirTransport, MpremoteTransport

ROOT = Path(__file__).resolve().parents[2]
_PLANS: dict[tuple[str, bool], Plan] = {}


def plan_for(board: str = "m5stickc_plus2", sources: bool = False) -> Plan:
    """Compiling takes a second: one plan per board, copied per test."""
    key = (board, sources)
    if key not in _PLANS:
        _PLANS[key] = make_plan(board, None, sources=sources)
    p = _PLANS[key]
    return Plan(p.board, p.port, p.closure, p.library, None, p.epoch_len, p.log_days,
                p.compiler, p.mpy, p.sources)


class FakeBoard:
    """SIMULATED BOARD ANSWERS (no hardware here): a filesystem in a dict that reports a
    chosen MicroPython version and free space, and records every operation."""

    description = "simulated board"

    def __init__(self, version: tuple[int, int, int] = (1, 27, 0), mpy: int = 0x0306,
                 name: str = "micropython", free_blocks: int = 500,
                 files: dict[str, bytes] | None = None, corrupt: str | None = None) -> None:
        self.version, self.mpy, self.name, self.free_blocks = version, mpy, name, free_blocks
        self.files = dict(files or {})
        self.corrupt = corrupt  # a path whose bytes arrive damaged
        self.ops: list[tuple[str, str]] = []

    def info(self, dirs: tuple[str, ...], top: tuple[str, ...]) -> BoardInfo:
        self.ops.append(("info", ""))
        listed = {p: len(d) for p, d in self.files.items()
                  if p in top or any(p.startswith(x + "/") for x in dirs)}
        return BoardInfo(self.name, self.version, self.mpy, "Raspberry Pi Pico W with RP2040",
                         4096, self.free_blocks, "e66038b7132e4a2c", listed)

    def mkdir(self, path: str) -> None:
        self.ops.append(("mkdir", path))

    def write(self, path: str, data: bytes) -> None:
        self.ops.append(("write", path))
        self.files[path] = data[:-1] + b"\x00" if path == self.corrupt else data

    def remove(self, path: str) -> None:
        self.ops.append(("remove", path))
        self.files.pop(path, None)

    def hashes(self, paths: list[str]) -> dict[str, str | None]:
        self.ops.append(("hashes", ",".join(paths)))
        return {p: hashlib.sha256(self.files[p]).hexdigest() if p in self.files else None
                for p in paths}

    def close(self) -> None:
        pass


def test_target_tree_is_the_plan_verified_and_loadable(tmp_path: Path) -> None:
    plan = plan_for()
    plan.device_id = 0x2C
    target = tmp_path / "dev"
    (target / "log").mkdir(parents=True)
    (target / "log" / "0000000000.wls").write_bytes(b"records the wearer has not synced")
    res = deploy(plan, DirTransport(target, plan.compiler, plan.mpy))
    assert res.verified == len(plan.library) + 2
    for f in res.written:
        assert (target / f.path.lstrip("/")).read_bytes() == f.data
    mpys = sorted(target.rglob("*.mpy"))
    assert len(mpys) == len(plan.closure.modules)
    assert all(p.read_bytes()[:2] == b"M\x06" for p in mpys)
    assert not list((target / "lib").rglob("*.py"))  # a .py would shadow its .mpy
    assert (target / "board.txt").read_text() == "m5stickc_plus2\n"
    assert (target / "main.py").read_bytes() == (ROOT / "firmware" / "main.py").read_bytes()
    cfg = json.loads((target / "config.json").read_text())
    assert cfg == {"device_id": 0x2C, "board": "m5stickc_plus2", "epoch_len": 30}
    assert (target / "log" / "0000000000.wls").read_bytes() == b"records the wearer has not synced"


def test_target_config_takes_the_given_device_id(tmp_path: Path) -> None:
    assert run(["--board", "pico_w", "--target", str(tmp_path / "t"), "--device-id",
                "0x1A2B"]) == 0
    cfg = json.loads((tmp_path / "t" / "config.json").read_text())
    assert cfg == {"device_id": 0x1A2B, "board": "pico_w", "epoch_len": 30}


def test_reflashing_another_board_removes_its_modules_and_shadowing_sources(
        tmp_path: Path) -> None:
    t = tmp_path / "t"
    assert run(["--board", "m5stickc_plus2", "--target", str(t), "--device-id", "7"]) == 0
    assert (t / "lib/drivers/bm8563.mpy").exists()
    (t / "lib/wlfw/app.py").write_text("raise SystemExit('old source copy')\n")
    (t / "lib/notours.py").write_text("# a user's own module outside our folders: kept\n")
    assert run(["--board", "pico_w", "--target", str(t), "--device-id", "7"]) == 0
    assert not (t / "lib/drivers/bm8563.mpy").exists()
    assert not (t / "lib/wlfw/app.py").exists()
    assert (t / "lib/drivers/lsm6ds.mpy").exists()
    assert (t / "lib/notours.py").exists()


def test_sources_tree_has_py_files_only(tmp_path: Path) -> None:
    t = tmp_path / "t"
    assert run(["--board", "pico_w", "--target", str(t), "--device-id", "7", "--sources"]) == 0
    assert not list(t.rglob("*.mpy"))
    app = (ROOT / "firmware" / "wlfw" / "app.py").read_bytes()
    assert (t / "lib/wlfw/app.py").read_bytes() == app


def test_board_order_main_py_removed_first_written_last_after_verification() -> None:
    board = FakeBoard(files={"/main.py": b"old", "/lib/wlfw/old.mpy": b"x" * 10})
    res = deploy(plan_for("pico_w"), board)
    ops = [o for o, _ in board.ops]
    assert board.ops[1] == ("remove", "/main.py")
    assert ("remove", "/lib/wlfw/old.mpy") in board.ops
    assert board.ops[-2] == ("write", "/main.py") and ops[-1] == "hashes"
    assert ops[-3] == "hashes"  # every other file verified before main.py exists
    assert res.removed == ["/main.py", "/lib/wlfw/old.mpy"]
    cfg = json.loads(board.files["/config.json"])
    assert cfg["device_id"] == 0x4A2C and cfg["unique_id"] == "e66038b7132e4a2c"


def test_a_damaged_write_stops_before_main_py() -> None:
    board = FakeBoard(files={"/main.py": b"old"}, corrupt="/lib/wlfw/app.mpy")
    with pytest.raises(VerifyError, match="/lib/wlfw/app.mpy"):
        deploy(plan_for("pico_w"), board)
    assert "/main.py" not in board.files  # the board boots to the REPL, not half a firmware


@pytest.mark.parametrize("kw, match", [
    ({"version": (1, 20, 0)}, "MicroPython 1.20.0; Wearlog needs 1.27.0"),
    ({"name": "circuitpython"}, "not MicroPython"),
    ({"version": (1, 30, 0), "mpy": 0x0007}, r"loads \.mpy v7.*makes v6"),
])
def test_wrong_micropython_is_refused_before_any_write(kw: dict, match: str) -> None:
    board = FakeBoard(**kw)
    with pytest.raises(WrongVersionError, match=match):
        deploy(plan_for(), board)
    assert [o for o, _ in board.ops] == ["info"]


def test_sources_need_no_matching_mpy_version() -> None:
    board = FakeBoard(version=(1, 30, 0), mpy=0x0007)
    assert deploy(plan_for("pico_w", sources=True), board).verified > 0


def test_not_enough_space_is_refused_before_any_write() -> None:
    board = FakeBoard(free_blocks=10)
    with pytest.raises(NotEnoughSpaceError, match=r"40 KiB free but needs \d+ KiB"):
        deploy(plan_for(), board)
    assert [o for o, _ in board.ops] == ["info"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(free=st.integers(0, 400), old_main=st.integers(0, 20_000), log_days=st.integers(0, 10))
def test_space_check_is_exactly_the_computed_need(free: int, old_main: int,
                                                  log_days: int) -> None:
    plan = plan_for("pico_w")
    plan.log_days = log_days
    files = {"/main.py": b"m" * old_main} if old_main else {}
    board = FakeBoard(free_blocks=free, files=files)
    need = space_needed(plan, board.info(MANAGED_DIRS, TOP_FILES),
                        plan.settings("e66038b7132e4a2c"))
    try:
        deploy(plan, board)
    except NotEnoughSpaceError:
        assert free * 4096 < need
    else:
        assert free * 4096 >= need


def test_no_board_on_a_missing_port_is_a_clear_error(tmp_path: Path) -> None:
    # real mpremote serial transport, no fake: the port does not exist
    with pytest.raises(NoBoardError, match="no board found on"):
        MpremoteTransport(str(tmp_path / "ttyUSB9"))


def test_dry_run_prints_every_file_and_touches_nothing(tmp_path: Path,
                                                       capsys: pytest.CaptureFixture) -> None:
    t = tmp_path / "never"
    assert run(["--board", "pico_w", "--target", str(t), "--device-id", "9", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert not t.exists()
    plan = plan_for("pico_w")
    assert out.strip() == render(plan_for("pico_w"), f"directory {t}").replace(
        "from machine.unique_id(), last two bytes", "9 (0x0009)").strip()
    for f in plan.libs:
        assert f"{f.path}" in out and f.sha256[:16] in out
    assert "wearlog pair" in out and "/log/" in out


@pytest.mark.parametrize("argv, match", [
    (["--board", "nope", "--dry-run"], "unknown board profile 'nope'"),
    (["--board", "pico_w", "--target", "x"], "--target needs --device-id"),
    (["--board", "pico_w", "--target", "x", "--device-id", "12ab"], "not a number"),
    (["--board", "pico_w", "--dry-run", "--epoch-len", "60"], "fixed at 30 s"),
])
def test_cli_errors_exit_1_with_a_message(argv: list[str], match: str,
                                          capsys: pytest.CaptureFixture) -> None:
    assert run(argv) == 1
    err = capsys.readouterr().err
    assert "flash.py: error:" in err and match in err


def test_every_flash_error_shares_one_root() -> None:
    for cls in (NoBoardError, NotEnoughSpaceError, VerifyError, WrongVersionError):
        assert issubclass(cls, FlashError)
