"""Where the device files go: a real board through mpremote, or a directory (--target).

Both answer the same questions (info, hashes) and take the same writes, so the
deploy logic that checks, copies and verifies is the same for both; only
MpremoteTransport needs hardware.
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from . import snippets
from .errors import NoBoardError, TransportError


@dataclass
class BoardInfo:
    """What the board (or target directory) says about itself."""

    name: str  # sys.implementation.name
    version: tuple[int, int, int]
    mpy: int  # sys.implementation._mpy: low byte = .mpy version it loads
    machine: str
    block_size: int
    free_blocks: int
    unique_id: str | None  # hex of machine.unique_id(), None without `machine`
    files: dict[str, int] = field(default_factory=dict)  # existing path -> size

    @property
    def free_bytes(self) -> int:
        return self.block_size * self.free_blocks

    @classmethod
    def from_answer(cls, d: dict[str, Any]) -> BoardInfo:
        v = list(d.get("version", [0, 0, 0])) + [0, 0, 0]
        return cls(str(d.get("name", "")), (int(v[0]), int(v[1]), int(v[2])),
                   int(d.get("mpy", 0)), str(d.get("machine", "")), int(d.get("bsize", 0)),
                   int(d.get("bavail", 0)), d.get("unique_id"),
                   {str(k): int(s) for k, s in dict(d.get("files", {})).items()})


class Transport(Protocol):
    """The operations flashing needs from a device filesystem."""

    description: str

    def info(self, dirs: tuple[str, ...], top: tuple[str, ...]) -> BoardInfo: ...

    def mkdir(self, path: str) -> None: ...

    def write(self, path: str, data: bytes) -> None: ...

    def remove(self, path: str) -> None: ...

    def hashes(self, paths: list[str]) -> dict[str, str | None]: ...

    def close(self) -> None: ...


class DirTransport:
    """A directory standing for the board's filesystem root (--target DIR).

    It reports the MicroPython the files were compiled for, since the virtual
    wearable and the VM that boot from it are that version.
    """

    def __init__(self, root: Path, version: tuple[int, int, int], mpy: int) -> None:
        self.root = Path(root)
        self.version = version
        self.mpy = mpy
        self.description = f"directory {self.root}"

    def _host(self, path: str) -> Path:
        if not path.startswith("/") or ".." in path.split("/"):
            raise TransportError(f"device path {path!r} must be absolute and without '..'")
        return self.root / path.lstrip("/")

    def info(self, dirs: tuple[str, ...], top: tuple[str, ...]) -> BoardInfo:
        self.root.mkdir(parents=True, exist_ok=True)
        files: dict[str, int] = {}
        for d in dirs:
            base = self._host(d)
            if base.is_dir():
                for p in base.rglob("*"):
                    if p.is_file():
                        files["/" + p.relative_to(self.root).as_posix()] = p.stat().st_size
        for t in top:
            if self._host(t).is_file():
                files[t] = self._host(t).stat().st_size
        usage = shutil.disk_usage(self.root)
        return BoardInfo("micropython", self.version, self.mpy, "target directory", 4096,
                         usage.free // 4096, None, files)

    def mkdir(self, path: str) -> None:
        self._host(path).mkdir(parents=True, exist_ok=True)

    def write(self, path: str, data: bytes) -> None:
        self._host(path).write_bytes(data)

    def remove(self, path: str) -> None:
        self._host(path).unlink(missing_ok=True)

    def hashes(self, paths: list[str]) -> dict[str, str | None]:
        out: dict[str, str | None] = {}
        for p in paths:
            h = self._host(p)
            out[p] = hashlib.sha256(h.read_bytes()).hexdigest() if h.is_file() else None
        return out

    def close(self) -> None:
        return None


def find_port() -> str:
    """The one USB serial port with a vendor/product id (as `mpremote connect auto`)."""
    from serial.tools import list_ports  # pyserial, installed with mpremote

    ports = sorted(p.device for p in list_ports.comports() if p.vid is not None)
    if not ports:
        raise NoBoardError("no board found: plug it in with a data USB cable (not charge-only), "
                           "check `mpremote devs`, or pass --port")
    if len(ports) > 1:
        raise NoBoardError(f"several serial ports found ({', '.join(ports)}): choose one "
                           "with --port")
    return ports[0]


class MpremoteTransport:
    """A board running MicroPython on a serial port, through mpremote's transport.

    Needs hardware: not exercised by the test suite (see docs/flashing.md).
    """

    def __init__(self, port: str | None = None, timeout_s: float = 10) -> None:
        from mpremote.transport import TransportError as MpError
        from mpremote.transport_serial import SerialTransport

        self._mp_error = MpError
        port = port or find_port()
        self.description = f"board on {port}"
        try:
            self._t = SerialTransport(port, baudrate=115200)
        except MpError as e:
            raise NoBoardError(f"no board found on {port}: {e.args[0] if e.args else e} "
                               "(is another program, e.g. a serial monitor, using it?)") from e
        try:
            self._t.enter_raw_repl(soft_reset=True, timeout_overall=timeout_s)
        except MpError as e:
            self._t.close()
            raise NoBoardError(f"{port} answers but not as MicroPython ({e}): is MicroPython "
                               "installed on the board? see docs/flashing.md") from e

    def _exec(self, code: str) -> str:
        try:
            out = self._t.exec(code)
        except self._mp_error as e:
            raise TransportError(f"{self.description} refused a command: {e}") from e
        except Exception as e:  # mpremote's TransportExecError carries the board's traceback
            raise TransportError(f"{self.description}: {e}") from e
        return out.decode(errors="replace")

    def info(self, dirs: tuple[str, ...], top: tuple[str, ...]) -> BoardInfo:
        return BoardInfo.from_answer(snippets.parse_answer(
            self._exec(snippets.info_code(dirs, top))))

    def mkdir(self, path: str) -> None:
        self._exec(f"import os\ntry:\n    os.mkdir({path!r})\nexcept OSError:\n    pass\n")

    def write(self, path: str, data: bytes) -> None:
        try:
            self._t.fs_writefile(path, data)
        except Exception as e:
            raise TransportError(f"writing {path} to {self.description} failed: {e}") from e

    def remove(self, path: str) -> None:
        self._exec(f"import os\ntry:\n    os.remove({path!r})\nexcept OSError:\n    pass\n")

    def hashes(self, paths: list[str]) -> dict[str, str | None]:
        return dict(snippets.parse_answer(self._exec(snippets.hashes_code(paths))))

    def close(self) -> None:
        try:
            self._t.exit_raw_repl()
        finally:
            self._t.close()
