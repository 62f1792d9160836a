"""Type-check the device code against the real MicroPython APIs.

Runs mypy on the firmware and the shared protocol once per target port, with
that port's stub package (micropython-esp32-stubs, micropython-rp2-stubs,
installed by `make setup` into .stubs/) standing in for the standard library.
An import the port lacks (hmac on ESP32, say) or a wrong call into `machine`
or `bluetooth` fails here. Board profiles name their port (PORT = "esp32" or
"rp2") and are checked only against it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PORTS = ("esp32", "rp2")
CONFIG = """\
[mypy]
python_version = 3.11
no_site_packages = True
explicit_package_bases = True
check_untyped_defs = True
warn_unused_ignores = False
follow_imports = normal
"""


def stub_modules(port: str) -> list[str]:
    """Top-level modules the stub package provides: their own errors are not ours."""
    names = set()
    for p in (ROOT / ".stubs" / port).iterdir():
        if p.suffix == ".pyi":
            names.add(p.stem)
        elif p.is_dir() and not p.name.endswith(".dist-info") and p.name not in ("stdlib", "stubs"):
            names.add(p.name)
    return sorted(names)


def board_port(path: Path) -> str | None:
    m = re.search(r'^PORT\s*=\s*["\'](\w+)["\']', path.read_text(), re.M)
    return m.group(1) if m else None


def targets(port: str) -> list[str]:
    fw = ROOT / "firmware"
    out = [str(ROOT / "shared" / "wlproto")]
    for sub in ("wlfw", "drivers"):
        if (fw / sub).is_dir() and any((fw / sub).glob("*.py")):
            out.append(str(fw / sub))
    for f in ("main.py", "boot.py"):
        if (fw / f).exists():
            out.append(str(fw / f))
    for board in sorted((fw / "boards").glob("*.py")) if (fw / "boards").is_dir() else []:
        if board.name == "__init__.py" or board_port(board) in (None, port):
            out.append(str(board))
    return out


def check(port: str, files: list[str], cache_dir: Path) -> subprocess.CompletedProcess[str]:
    """mypy over files, with the port's stubs as the standard library."""
    stubs = ROOT / ".stubs"
    cfg = stubs / f"mypy-firmware-{port}.ini"
    ignored = ",".join(f"{m},{m}.*" for m in stub_modules(port))
    cfg.write_text(CONFIG + f"\n[mypy-{ignored}]\nignore_errors = True\n")
    env = dict(os.environ)
    env["MYPYPATH"] = os.pathsep.join(
        [str(stubs / port), str(ROOT / "shared"), str(ROOT / "firmware")]
    )
    cmd = [
        sys.executable, "-m", "mypy", "--config-file", str(cfg),
        "--custom-typeshed-dir", str(stubs / port), "--cache-dir", str(cache_dir), *files,
    ]
    return subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True)


def main() -> int:
    stubs = ROOT / ".stubs"
    if not (stubs / ".installed").exists():
        print("MicroPython stubs missing: run `make setup`", file=sys.stderr)
        return 2
    failed = False
    for port in PORTS:
        r = check(port, targets(port), stubs / f".mypy_cache_{port}")
        last = (r.stdout.strip().splitlines() or ["(no output)"])[-1]
        print(f"[firmware type-check, {port} stubs] {last}")
        if r.returncode != 0:
            print(r.stdout, r.stderr, sep="\n")
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
