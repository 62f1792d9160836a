"""Dependency floors stay past known security advisories (issue 14 item 18)."""

from __future__ import annotations

import tomllib
from importlib.metadata import requires, version
from pathlib import Path

from packaging.requirements import Requirement
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]

# python-multipart < 0.0.18: CVE-2024-53981 (form parsing DoS);
# Starlette < 0.40: CVE-2024-47874 (unbounded multipart fields). FastAPI 0.115.3 is the
# first release that requires Starlette >= 0.40.
FLOORS = {"python-multipart": Version("0.0.18"), "fastapi": Version("0.115.3")}


def _declared() -> dict[str, Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = [Requirement(r) for r in project["dependencies"]]
    return {r.name.lower(): r for r in reqs}


def _floor(req: Requirement) -> Version | None:
    lows = [Version(s.version) for s in req.specifier if s.operator in (">=", "==", "~=")]
    return max(lows, default=None)


def test_declared_floors_exclude_vulnerable_releases():
    declared = _declared()
    for name, minimum in FLOORS.items():
        floor = _floor(declared[name])
        assert floor is not None and floor >= minimum, f"{name} floor {floor} < {minimum}"


def test_installed_starlette_is_past_the_advisory():
    assert Version(version("starlette")) >= Version("0.40")
    fastapi_reqs = [Requirement(r) for r in requires("fastapi") or []]
    starlette = next(r for r in fastapi_reqs if r.name.lower() == "starlette")
    assert "0.39.2" not in starlette.specifier
