"""The flash plan: which files go where, and the checks a board must pass first.

The plan is computed without a board (so --dry-run can print it exactly); the
board's answers (version, free space, files already there) are checked against
it before anything is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .build import (
    EPOCH_LEN,
    LOG_DIR,
    MANAGED_DIRS,
    DeviceFile,
    device_id_from_unique_id,
    library_files,
    mpy_cross_version,
    settings_files,
)
from .closure import Closure, closure
from .errors import DeviceIdError, NotEnoughSpaceError, WrongVersionError
from .transport import BoardInfo

MIN_VERSION = (1, 27, 0)  # what we tested (WebAssembly VM + mpy-cross); see docs/flashing.md
LOG_BYTES_PER_DAY = 34_084  # measured on the virtual wearer (docs/firmware.md)
LOG_RESERVE = 32 * 1024  # the record log's own free-space reserve (2 segments)
DEFAULT_LOG_DAYS = 7


@dataclass
class Plan:
    board: str
    port: str  # MicroPython port: esp32 | rp2
    closure: Closure
    library: list[DeviceFile]  # /lib/... files, then /main.py last
    device_id: int | None  # None: from the board's unique id
    epoch_len: int = EPOCH_LEN
    log_days: int = DEFAULT_LOG_DAYS
    compiler: tuple[int, int, int] = (0, 0, 0)
    mpy: int = 0
    sources: bool = False
    stale: list[str] = field(default_factory=list)  # filled once the board answered

    @property
    def main(self) -> DeviceFile:
        return self.library[-1]

    @property
    def libs(self) -> list[DeviceFile]:
        return self.library[:-1]

    def dirs(self) -> list[str]:
        """Directories to create, parents first."""
        out = {"/lib"}
        for f in self.libs:
            out.add(f.path.rsplit("/", 1)[0])
        return sorted(out)

    def settings(self, unique_id: str | None = None) -> list[DeviceFile]:
        device_id = self.device_id
        if device_id is None:
            if unique_id is None:
                raise DeviceIdError("the board has no machine.unique_id(): pass --device-id")
            device_id = device_id_from_unique_id(unique_id)
        return settings_files(self.board, device_id, self.epoch_len, unique_id)

    def log_bytes(self) -> int:
        return self.log_days * LOG_BYTES_PER_DAY + LOG_RESERVE


def make_plan(board: str, device_id: int | None = None, *, epoch_len: int = EPOCH_LEN,
              log_days: int = DEFAULT_LOG_DAYS, sources: bool = False) -> Plan:
    """Everything that can be decided without the board: closure, compiled files."""
    cl = closure(board)
    compiler, mpy = mpy_cross_version()
    return Plan(board, cl.port, cl, library_files(cl, sources), device_id, epoch_len,
                log_days, compiler, mpy, sources)


def _blocks(size: int, block: int) -> int:
    return max(1, -(-size // block)) * block


def check_version(plan: Plan, info: BoardInfo) -> None:
    """The board must be MicroPython that loads our .mpy version, and no older than tested."""
    want = ".".join(map(str, MIN_VERSION))
    if info.name != "micropython":
        raise WrongVersionError(f"the board runs {info.name or 'something unknown'}, not "
                                f"MicroPython: install MicroPython {want} or later "
                                "(docs/flashing.md)")
    have = ".".join(map(str, info.version))
    if info.version < MIN_VERSION:
        raise WrongVersionError(f"the board runs MicroPython {have}; Wearlog needs {want} or "
                                "later: update MicroPython (docs/flashing.md), then flash again")
    if not plan.sources and (info.mpy & 0xFF) != plan.mpy:
        raise WrongVersionError(f"MicroPython {have} on the board loads .mpy "
                                f"v{info.mpy & 0xFF}, but mpy-cross "
                                f"{'.'.join(map(str, plan.compiler))} makes v{plan.mpy}: use "
                                "an mpy-cross of the board's version, or --sources")


def stale_files(plan: Plan, info: BoardInfo) -> list[str]:
    """Our folders' files not in the plan: old modules, and .py files that would shadow .mpy."""
    keep = {f.path for f in plan.libs}
    return sorted(p for p in info.files
                  if any(p.startswith(d + "/") for d in MANAGED_DIRS) and p not in keep)


def space_needed(plan: Plan, info: BoardInfo, settings: list[DeviceFile]) -> int:
    """Bytes the filesystem must have free now: new files (whole blocks) minus the files
    they replace or that are removed, plus room for log_days of records."""
    bs = info.block_size or 4096
    new = sum(_blocks(len(f.data), bs) for f in [*plan.library, *settings])
    replaced = {f.path for f in [*plan.library, *settings]} | set(plan.stale)
    freed = sum(_blocks(size, bs) for p, size in info.files.items() if p in replaced)
    return new - freed + plan.log_bytes()


def check_space(plan: Plan, info: BoardInfo, settings: list[DeviceFile]) -> None:
    need = space_needed(plan, info, settings)
    if info.free_bytes < need:
        raise NotEnoughSpaceError(
            f"the board has {info.free_bytes // 1024} KiB free but needs {need // 1024} KiB "
            f"(firmware plus {plan.log_days} days of log): sync and delete old logs with "
            f"`wearlog pair`/`wearlog sync`, or flash with fewer --log-days")


def render(plan: Plan, target: str) -> str:
    """The plan as the user reads it (--dry-run prints exactly this)."""
    kind = "source .py" if plan.sources else f".mpy v{plan.mpy}"
    lines = [
        f"Wearlog flash plan: board profile {plan.board} (MicroPython port {plan.port}) "
        f"-> {target}",
        f"1. ask the board: MicroPython >= {'.'.join(map(str, MIN_VERSION))} loading {kind} "
        f"(compiled with mpy-cross {'.'.join(map(str, plan.compiler))}); free space for the "
        f"files plus {plan.log_days} days of log ({plan.log_bytes() // 1024} KiB)",
        "2. remove /main.py (an interrupted flash then boots to the REPL, not half a firmware)",
        "3. remove files in " + ", ".join(MANAGED_DIRS) + " that are not listed below",
        "4. create " + ", ".join(plan.dirs()),
        "5. write:",
    ]
    for f in plan.libs:
        lines.append(f"     {f.path:<34} {len(f.data):>6} B  sha256 {f.sha256[:16]}")
    did = (f"{plan.device_id} (0x{plan.device_id:04X})" if plan.device_id is not None
           else "from machine.unique_id(), last two bytes")
    lines += [
        f"     {'/board.txt':<34} {plan.board}",
        f"     {'/config.json':<34} device_id {did}, board {plan.board}, "
        f"epoch_len {plan.epoch_len}",
        "6. read back the sha256 of every file written above; stop on any difference",
        f"7. write {plan.main.path} ({len(plan.main.data)} B, sha256 {plan.main.sha256[:16]}) "
        "and verify it",
        f"Kept: {LOG_DIR}/ (the record log), the pairing secret, BLE bonds and any file "
        "outside the folders above.",
        f"Total: {len(plan.library) + 2} files, "
        f"{sum(len(f.data) for f in plan.library)} B of firmware.",
        "Next: reset the board, then `wearlog pair --patient <pseudonymous ID>`.",
    ]
    return "\n".join(lines)
