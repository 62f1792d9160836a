"""tools/flash.py ships only what a board profile needs, and refuses imports a board lacks."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tools.flashing.build import DEVICE_ID_MAX, device_id_from_unique_id, parse_device_id
from tools.flashing.closure import PACKAGES, board_names, closure, imports_of
from tools.flashing.errors import ClosureError, DeviceIdError, FlashError, UnknownBoardError
from tools.flashing.mpmodules import BUILTIN_MODULES

ROOT = Path(__file__).resolve().parents[2]
STUBS = ROOT / ".stubs"


def names(board: str) -> set[str]:
    return {m.name for m in closure(board).modules}


def test_every_profile_is_found() -> None:
    assert {"m5stickc_plus2", "pico_w", "xiao_esp32s3"} <= set(board_names())
    assert "common" not in board_names()


@pytest.mark.parametrize("board", board_names())
def test_closure_holds_the_app_and_the_profile_and_nothing_host_side(board: str) -> None:
    got = names(board)
    for needed in ("wlfw.app", "wlfw.recordlog", "wlfw.chunkcode", "wlproto.wire", "boards.common",
                   f"boards.{board}", "wlfw", "wlproto", "boards", "drivers"):
        assert needed in got, needed
    # the companion's half of the protocol (decoding into objects) stays off the device
    assert not {"wlproto.frames", "wlproto.records"} & got
    # other boards' profiles and the host port stay off the device
    assert not {f"boards.{b}" for b in board_names() if b != board} & got
    assert not any(n.startswith(("hostport", "mptime", "simboard")) for n in got)
    # every shipped module's own imports are shipped too (or built in)
    port = closure(board).port
    for m in closure(board).modules:
        for name, optional, _ in imports_of(m.source):
            top = name.split(".")[0]
            if top in PACKAGES and not optional:
                assert name in got, (m.name, name)
            elif top not in PACKAGES and not optional:
                assert top in BUILTIN_MODULES[port], (m.name, name)


def test_drivers_follow_the_profile() -> None:
    m5 = names("m5stickc_plus2")
    assert {"drivers.mpu6xxx", "drivers.bm8563"} <= m5 and "drivers.lsm6ds" not in m5
    pico = names("pico_w")
    assert {"drivers.lsm6ds", "drivers.mpu6xxx"} <= pico and "drivers.bm8563" not in pico


def test_guarded_imports_are_optional_and_builtins_are_recorded() -> None:
    cl = closure("m5stickc_plus2")
    assert "mptime" in cl.optional_missing  # host-port shim, inside try/except ImportError
    assert {"machine", "micropython", "struct", "array"} <= cl.builtins


def test_unknown_board_names_the_choices() -> None:
    with pytest.raises(UnknownBoardError, match="m5stickc_plus2") as e:
        closure("m5stack_core2")
    assert isinstance(e.value, FlashError) and isinstance(e.value, ValueError)


def fake_firmware(tmp_path: Path, profile: str, app: str = "X = 1\n") -> dict[str, Path]:
    """A tiny firmware tree in the repository's layout, for the error cases."""
    fw = tmp_path / "firmware"
    for pkg in ("wlfw", "drivers", "boards"):
        (fw / pkg).mkdir(parents=True)
        (fw / pkg / "__init__.py").write_text("")
    (tmp_path / "wlproto").mkdir()
    (tmp_path / "wlproto" / "__init__.py").write_text("")
    (fw / "main.py").write_text("from wlfw.app import X\n")
    (fw / "wlfw" / "app.py").write_text(app)
    (fw / "boards" / "myboard.py").write_text(profile)
    return {"wlfw": fw / "wlfw", "drivers": fw / "drivers", "boards": fw / "boards",
            "wlproto": tmp_path / "wlproto"}


def test_a_cpython_only_import_is_refused_with_file_and_line(tmp_path: Path) -> None:
    pk = fake_firmware(tmp_path, 'PORT = "esp32"\ndef make():\n    pass\n',
                       app="import machine\nimport dataclasses\nX = 1\n")
    with pytest.raises(ClosureError, match=r"app.py:2: imports 'dataclasses'.*esp32"):
        closure("myboard", tmp_path / "firmware", pk)


def test_a_port_specific_module_is_refused_on_the_other_port(tmp_path: Path) -> None:
    pk = fake_firmware(tmp_path, 'PORT = "rp2"\nimport esp32\ndef make():\n    pass\n')
    with pytest.raises(ClosureError, match="'esp32'.*rp2"):
        closure("myboard", tmp_path / "firmware", pk)
    pk2 = fake_firmware(tmp_path / "b", 'PORT = "esp32"\nimport esp32\ndef make():\n    pass\n')
    assert "esp32" in closure("myboard", tmp_path / "b" / "firmware", pk2).builtins


def test_a_missing_firmware_module_is_refused(tmp_path: Path) -> None:
    pk = fake_firmware(tmp_path, 'PORT = "esp32"\nfrom drivers.nochip import N\n'
                       'def make():\n    pass\n')
    with pytest.raises(ClosureError, match="drivers.nochip"):
        closure("myboard", tmp_path / "firmware", pk)


def test_a_guarded_import_may_be_missing(tmp_path: Path) -> None:
    pk = fake_firmware(tmp_path, 'PORT = "esp32"\ndef make():\n    pass\n',
                       app="try:\n    import ulab\nexcept (ImportError, OSError):\n"
                           "    ulab = None\nX = 1\n")
    cl = closure("myboard", tmp_path / "firmware", pk)
    assert cl.optional_missing == {"ulab"}
    assert [m.name for m in cl.modules] == ["boards", "boards.myboard", "wlfw", "wlfw.app"]


def test_a_profile_without_port_and_a_missing_main_are_clear_errors(tmp_path: Path) -> None:
    pk = fake_firmware(tmp_path, "def make():\n    pass\n")
    with pytest.raises(ClosureError, match='PORT = "esp32"'):
        closure("myboard", tmp_path / "firmware", pk)
    (tmp_path / "firmware" / "main.py").unlink()
    with pytest.raises(ClosureError, match="main.py is missing"):
        closure("myboard", tmp_path / "firmware", pk)


@pytest.mark.skipif(not (STUBS / ".installed").exists(),
                    reason="MicroPython stubs not installed: run make setup")
@pytest.mark.parametrize("port", sorted(BUILTIN_MODULES))
def test_builtin_list_matches_the_port_stubs(port: str) -> None:
    have = set()
    for d in (STUBS / port, STUBS / port / "stdlib"):
        for p in d.iterdir():
            have.add(p.stem if p.suffix == ".pyi" else p.name)
    missing = sorted(BUILTIN_MODULES[port] - have)
    assert not missing, f"not in the {port} stubs: {missing}"
    assert "hmac" not in BUILTIN_MODULES[port]  # the boards lack it (MICROPYTHON-NOTES.md)


@given(st.integers(0, DEVICE_ID_MAX), st.booleans())
def test_device_id_parses_decimal_and_hex(value: int, as_hex: bool) -> None:
    assert parse_device_id(hex(value) if as_hex else str(value)) == value


@given(st.one_of(st.integers(max_value=-1), st.integers(min_value=DEVICE_ID_MAX + 1)))
def test_device_id_out_of_range_is_refused(value: int) -> None:
    with pytest.raises(DeviceIdError, match="out of range"):
        parse_device_id(str(value))


@given(st.text().filter(lambda s: not s.strip().lstrip("+-").isdigit()))
def test_device_id_garbage_is_refused(text: str) -> None:
    try:
        v = parse_device_id(text)
    except DeviceIdError:
        return
    assert 0 <= v <= DEVICE_ID_MAX and int(text.strip(), 0) == v  # e.g. "0b1", "1_0"


def test_device_id_from_unique_id_is_what_the_board_profile_reports() -> None:
    from wearlog.virtual.hostport import install_paths

    install_paths()
    import machine  # the host port's stand-in: unique_id() is a fixed 6-byte id
    from boards.common import Board

    board = Board.__new__(Board)  # device_id() needs no pins
    assert device_id_from_unique_id(machine.unique_id().hex()) == board.device_id()
    with pytest.raises(DeviceIdError):
        device_id_from_unique_id("ab")


@st.composite
def import_graphs(draw: st.DrawFn) -> tuple[dict[str, list[str]], list[str], list[str]]:
    """Random firmware: modules in wlfw/drivers importing each other and built-ins."""
    mods = [f"wlfw.m{i}" for i in range(draw(st.integers(1, 6)))]
    mods += [f"drivers.d{i}" for i in range(draw(st.integers(0, 4)))]
    pick = st.lists(st.sampled_from(mods), max_size=4, unique=True)
    graph = {m: draw(pick) for m in mods}
    return graph, draw(pick), draw(pick)


@settings(max_examples=60, deadline=None)
@given(import_graphs(), st.sampled_from(["struct", "machine", "micropython"]))
def test_closure_is_exactly_what_main_and_the_profile_reach(
        g: tuple[dict[str, list[str]], list[str], list[str]], builtin: str) -> None:
    graph, from_main, from_profile = g

    def body(imports: list[str]) -> str:
        lines = [f"import {builtin}", "try:\n    import cpython_only_thing\nexcept ImportError:"
                 "\n    pass"]
        lines += [f"from {m.rsplit('.', 1)[0]} import {m.rsplit('.', 1)[1]}" if i % 2
                  else f"import {m}" for i, m in enumerate(imports)]
        return "\n".join(lines) + "\n"

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        pk = fake_firmware(root, 'PORT = "esp32"\n' + body(from_profile)
                           + "def make():\n    pass\n")
        (root / "firmware" / "main.py").write_text(body(from_main))
        for m, imports in graph.items():
            pkg, name = m.split(".")
            (pk[pkg] / f"{name}.py").write_text(body(imports))
        cl = closure("myboard", root / "firmware", pk)
    reached, todo = set(), [*from_main, *from_profile]
    while todo:
        m = todo.pop()
        if m not in reached:
            reached.add(m)
            todo += graph[m]
    expected = reached | {"boards", "boards.myboard"} | {m.split(".")[0] for m in reached}
    assert {m.name for m in cl.modules} == expected
    assert cl.builtins == {builtin} and cl.optional_missing == {"cpython_only_thing"}
