"""Carry out a plan on a transport: check, write, read back, and only then write main.py."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .build import MANAGED_DIRS, TOP_FILES, DeviceFile
from .errors import VerifyError
from .plan import Plan, check_space, check_version, stale_files
from .transport import BoardInfo, Transport


@dataclass
class Result:
    info: BoardInfo
    written: list[DeviceFile]
    removed: list[str]
    verified: int  # files whose read-back sha256 matched


def _verify(transport: Transport, files: list[DeviceFile]) -> int:
    got = transport.hashes([f.path for f in files])
    bad = [f"{f.path} (board: {got.get(f.path) or 'missing'}, expected {f.sha256})"
           for f in files if got.get(f.path) != f.sha256]
    if bad:
        raise VerifyError("read-back differs for " + "; ".join(bad) + ": check the cable "
                          "and flash again (the board boots to the REPL until it succeeds)")
    return len(files)


def deploy(plan: Plan, transport: Transport,
           say: Callable[[str], None] = lambda s: None) -> Result:
    """Put the plan on the device; raises a FlashError subclass before writing anything if
    the board cannot take it."""
    info = transport.info(MANAGED_DIRS, TOP_FILES)
    check_version(plan, info)
    settings = plan.settings(info.unique_id)
    plan.stale = stale_files(plan, info)
    check_space(plan, info, settings)
    say(f"MicroPython {'.'.join(map(str, info.version))} on {info.machine or 'the board'}, "
        f"{info.free_bytes // 1024} KiB free")
    removed = []
    if "/main.py" in info.files:
        transport.remove("/main.py")
        removed.append("/main.py")
    for p in plan.stale:
        transport.remove(p)
        removed.append(p)
    for d in plan.dirs():
        transport.mkdir(d)
    first = [*plan.libs, *settings]
    for f in first:
        say(f"write {f.path} ({len(f.data)} B)")
        transport.write(f.path, f.data)
    verified = _verify(transport, first)
    transport.write(plan.main.path, plan.main.data)
    verified += _verify(transport, [plan.main])
    say(f"verified {verified} files by sha256 read back")
    return Result(info, [*first, plan.main], removed, verified)
