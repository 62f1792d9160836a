"""The suite's Hypothesis profile: no outcome depends on how busy the machine is.

A property test may fail only on a counterexample, never because input generation
or one example was slow (issue 14, item 21: five such failures on a loaded machine).
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

from hypothesis import HealthCheck, settings

ROOT = Path(__file__).resolve().parents[1]
TESTS = ROOT / "tests"


def test_the_suite_profile_is_loaded() -> None:
    s = settings.default
    assert s.deadline is None
    assert HealthCheck.too_slow in s.suppress_health_check
    # Only the speed check is off: the others catch strategies that test less than claimed.
    assert HealthCheck.filter_too_much not in s.suppress_health_check
    assert HealthCheck.data_too_large not in s.suppress_health_check
    assert s.max_examples == 100


def _profile_under(env: dict[str, str]) -> str:
    code = ("import tests.conftest; from hypothesis import settings; s = settings.default; "
            "print(s.derandomize, s.database is None, s.deadline, s.max_examples)")
    base = {k: v for k, v in os.environ.items() if k not in ("CI", "HYPOTHESIS_PROFILE")}
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**base, **env},
                       capture_output=True, text=True, timeout=120, check=True)
    return r.stdout.strip()


def test_ci_runs_are_derandomised_and_local_runs_are_not() -> None:
    assert _profile_under({"CI": "true"}) == "True True None 100"
    assert _profile_under({}) == "False False None 100"
    assert _profile_under({"CI": "false"}) == "False False None 100"


def _settings_calls() -> list[tuple[str, ast.Call]]:
    calls = []
    for path in sorted(TESTS.rglob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id == "settings"):
                calls.append((f"{path.relative_to(ROOT)}:{node.lineno}", node))
    return calls


def test_no_test_brings_back_a_speed_check() -> None:
    """An explicit suppress_health_check replaces the profile's list, it does not add to it."""
    calls = _settings_calls()
    assert len(calls) > 10  # the scan sees the suite's property tests
    bad = []
    for where, call in calls:
        for kw in call.keywords:
            src = ast.unparse(kw.value)
            if kw.arg == "deadline" and src != "None":
                bad.append(f"{where}: deadline={src}")
            if (kw.arg == "suppress_health_check" and "HealthCheck.too_slow" not in src
                    and src != "list(HealthCheck)"):
                bad.append(f"{where}: suppress_health_check={src} drops HealthCheck.too_slow")
    assert not bad, "\n".join(bad)
