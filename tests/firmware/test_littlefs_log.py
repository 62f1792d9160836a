"""The record log on real littlefs v2 through power cuts, on the native MicroPython port.

tests/firmware/mp_lfs_log.py mounts vfs.VfsLfs2 (the littlefs C code of the ESP32 and
rp2 ports) on a Python block device with the board's block size and cuts power at
every program operation of a chunk write and its ack (nothing, 7 bytes or half of
the interrupted write landing), and here at points hypothesis chooses; after each
cut the flash is remounted and the log recovered as at boot. Also a full
filesystem, and one day's block erases (flash wear, bench/RESULTS.md).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.firmware.board_limits import BLOCK_SIZE, FS_BLOCKS
from tests.vm.harness import VmRun, run_module

HERE = Path(__file__).parent
HEAP = 8 * 1024 * 1024  # the block device's image lives in the heap: not a board figure


def lfs_run(module: str, params: dict, tmp_path: Path) -> VmRun:
    p = tmp_path / "params.json"
    p.write_text(json.dumps(params))
    return run_module(HERE / module, extra={"/t/params.json": p, "/t/mp_lfs_log.py":
                                            HERE / "mp_lfs_log.py"},
                      heapsize=HEAP, target="unix", timeout=600)


def marks(run: VmRun, tag: str) -> list[int]:
    line = next(x for x in run.output.splitlines() if x.startswith(f"@@{tag} "))
    return [int(v) for v in line.split()[1:]]


@pytest.mark.parametrize("block_size", sorted(set(BLOCK_SIZE.values())))
def test_log_on_littlefs_survives_every_cut_and_a_full_filesystem(
    block_size: int, tmp_path: Path
) -> None:
    params = {"block_size": block_size, "blocks": 64, "wear_blocks": min(FS_BLOCKS.values())}
    run = lfs_run("mp_lfs_log.py", params, tmp_path)
    assert run.results, run.output[-3000:]
    for name, res in run.results.items():
        assert res.ok, f"{name}: {res.error}"
    assert len(run.results) == 3
    ops, cuts = marks(run, "CUTS")
    assert ops >= 2 and cuts == 3 * ops
    dropped, next_seq, _ = marks(run, "FULL")
    assert 0 < dropped < next_seq
    erases, worst, blocks = marks(run, "WEAR")
    print(f"block {block_size}: {ops} program ops per chunk+ack, {cuts} cuts; "
          f"wear {erases} erases/day over {blocks} blocks, worst block {worst}/day")


CUT = st.tuples(st.integers(0, 40), st.integers(0, 4096), st.integers(1, 120),
                st.integers(0, 120))


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cuts=st.lists(CUT, min_size=1, max_size=6))
def test_log_on_littlefs_survives_cuts_at_random_points(
    cuts: list[tuple[int, int, int, int]], tmp_path_factory: pytest.TempPathFactory
) -> None:
    params = {"block_size": 4096, "blocks": 64, "cuts": cuts}
    run = lfs_run("mp_lfs_random.py", params, tmp_path_factory.mktemp("cut"))
    res = run.results.get("test_cuts_at_given_points")
    assert res is not None, run.output[-3000:]
    assert res.ok, res.error


@pytest.mark.slow
def test_thirty_day_soak_with_power_cuts_and_interrupted_syncs(tmp_path: Path) -> None:
    """30 simulated days (tests/firmware/mp_soak.py): about 40 s of wall time here."""
    p = tmp_path / "params.json"
    p.write_text(json.dumps({"days": 30, "seed": 20261202, "blocks": FS_BLOCKS["pico_w"]}))
    run = run_module(HERE / "mp_soak.py",
                     extra={"/t/params.json": p, "/t/mp_lfs_log.py": HERE / "mp_lfs_log.py"},
                     heapsize=16 * 1024 * 1024, target="unix", timeout=600)
    res = run.results.get("test_soak")
    assert res is not None, run.output[-3000:]
    assert res.ok, res.error
    days, cuts, lost, sessions, interrupted, _dups, erases, worst = marks(run, "SOAK")
    assert days == 30 and cuts >= 10 and sessions >= 30 * 5 and interrupted >= 10
    # only what was in RAM at a cut: at most a chunk's worth per cut
    assert lost <= cuts * 32
    print(f"soak: {days} days, {cuts} power cuts, {lost} epochs lost from RAM, {sessions} "
          f"syncs ({interrupted} interrupted), {res.ms / 1000:.1f} s in MicroPython; "
          f"{erases} block erases, most-erased block {worst}")
