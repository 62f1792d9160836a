"""The repository is MIT and licence-clean (issue 20, items 3 and 4).

- LICENSE at the root is the MIT licence that pyproject.toml declares;
- every vendored folder keeps its licence file and names its version, and the files in
  it carry that same version;
- no tracked file is GPL-licensed: none carries a GPL licence text or header, and none
  is one of the GPL-3 files this repository once held (pyActigraphy's example
  recordings, recognised by content as well as by name, so a renamed copy is caught).
"""

from __future__ import annotations

import hashlib
import re
import subprocess
import tomllib
from pathlib import Path, PurePosixPath

import pytest

ROOT = Path(__file__).resolve().parents[1]
THIS = PurePosixPath("tests/test_licences.py")  # quotes the markers it looks for

# Licence texts and headers, not prose that merely names a licence.
GPL_MARKERS = re.compile(
    r"GNU (AFFERO |LESSER |LIBRARY )?GENERAL PUBLIC LICENSE"
    r"|under the terms of the GNU (Affero |Lesser |Library )?General Public License"
    r"|SPDX-License-Identifier:\s*\(?\s*(A|L)?GPL"
)
# pyActigraphy 1.2.2's example recordings (GPL-3) as exported by make_reference.py.
GPL_FILES_SHA256 = {
    "647ddfe5ade77c996d3c7056ad7387a3adf6254767f5eef5c051d70a0d200f95": "example01.csv",
    "4e58fcc0004e09457af77218d8444ce653bbe8463a79df6f401e16640f10d6ed": "example02.csv",
    "1de03cb801b9262a180cf93a2f02eadc64849e92c44b977a192ffbe6a2469793": "example03.csv",
    "91b118c4ee848d55b4dce4c35e6b5b17079fc64697c6673c1e4a55c3409ef561": "example04.csv",
    "2c515e09b37ac6457160acc521b8d15ec6e7f435f888a4f9e100e324ff1f8c9a": "example05.csv",
}
GPL_NAMES = re.compile(r"(^|/)example_?0[1-5]\.(csv|awd)$", re.IGNORECASE)
PERMISSIVE = re.compile(r"^(The )?(MIT License|BSD|Apache License|ISC License)", re.I | re.M)
SEMVER = re.compile(r"\bv?(\d+\.\d+\.\d+)\b")


def tracked() -> list[PurePosixPath]:
    try:
        out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True,
                             check=True, timeout=60).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout: nothing is tracked")
    return [PurePosixPath(p) for p in out.decode().split("\0") if p]


def test_root_licence_is_the_mit_licence_pyproject_declares() -> None:
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License\n")
    assert "Copyright (c) " in text and "Wearlog contributors" in text
    assert "Permission is hereby granted, free of charge" in text
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "MIT"


def vendored_folders() -> list[Path]:
    folders = {ROOT.joinpath(*p.parts[:p.parts.index("vendor") + 2])
               for p in tracked() if "vendor" in p.parts[:-2]}
    return sorted(folders)


def test_every_vendored_folder_keeps_its_licence_and_version() -> None:
    folders = vendored_folders()
    assert [f.name for f in folders if f.parent.name == "vendor"] and \
        ROOT / "companion/wearlog/web/static/vendor/uplot" in folders
    for folder in folders:
        licence = folder / "LICENSE"
        assert licence.is_file(), f"{folder.relative_to(ROOT)} has no LICENSE"
        text = licence.read_text()
        assert PERMISSIVE.search(text) and "Copyright" in text, licence
        assert not GPL_MARKERS.search(text), licence
        version_file = folder / "VERSION"
        assert version_file.is_file(), f"{folder.relative_to(ROOT)} has no VERSION"
        named = SEMVER.findall(version_file.read_text())
        assert len(set(named)) == 1, f"{version_file}: name exactly one version"
        for f in folder.iterdir():
            if f.suffix in (".js", ".css", ".mjs"):
                banner = SEMVER.findall(f.read_text(errors="replace")[:300])
                assert not banner or banner[0] == named[0], \
                    f"{f.relative_to(ROOT)} is v{banner[0]}, VERSION says {named[0]}"


def test_no_gpl_file_is_tracked() -> None:
    found = []
    for rel in tracked():
        path = ROOT / rel
        if not path.is_file():
            continue  # deleted in the working tree
        data = path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        if digest in GPL_FILES_SHA256:
            found.append(f"{rel}: pyActigraphy's {GPL_FILES_SHA256[digest]} (GPL-3)")
        elif GPL_NAMES.search(str(rel)):
            found.append(f"{rel}: named like pyActigraphy's GPL-3 example recordings")
        elif rel != THIS and GPL_MARKERS.search(data.decode("utf-8", errors="replace")):
            found.append(f"{rel}: carries a GPL licence text or header")
    assert not found, "\n".join(found)
