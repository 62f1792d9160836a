"""Test-suite wiring: the Hypothesis profile, and MicroPython-side modules as pytest items.

Each ``test_*`` function in an ``mp_test_*.py`` file runs on both MicroPython
targets (tests/vm/harness.py): the WebAssembly VM (``test_x[wasm]``) and the
native unix port with a fixed heap (``test_x[unix]``). Each is its own pytest
item; a target that is missing or fails makes its items fail, never skip. Peak
heaps are shown in the terminal summary.
"""

from __future__ import annotations

import ast
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from tests.vm.harness import TARGETS, VmRun, run_module

# One Hypothesis profile for the whole suite, loaded before any test module is imported
# (so every @settings inherits it). On a busy machine generating an input is merely
# slower, not wrong: no deadline and no "too slow" health check. The other health
# checks stay on (they flag strategies that test less than they claim). The number of
# examples is fixed; a test that sets max_examples keeps its own. Under CI (CI=true)
# the examples are derived from each test's name (derandomize), so a run is
# reproducible and never depends on a local example database.
_PROFILE = {"deadline": None, "max_examples": 100, "print_blob": True,
            "suppress_health_check": [HealthCheck.too_slow]}
# Parent "default", not the current default: Hypothesis switches to its own "ci" profile
# whenever a CI variable exists at all, even CI=false.
_BASE = settings.get_profile("default")
settings.register_profile("wearlog", _BASE, **_PROFILE)
settings.register_profile("wearlog-ci", _BASE, derandomize=True, database=None, **_PROFILE)
_CI = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("wearlog-ci" if _CI else "wearlog"))

_HEAP: list[tuple[str, int]] = []


class VmTestFailure(Exception):
    pass


class VmModule(pytest.File):
    def collect(self):
        tree = ast.parse(self.path.read_text())
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                for target in TARGETS:
                    item = VmItem.from_parent(self, name=f"{node.name}[{target}]")
                    item.test, item.target = node.name, target
                    item.add_marker(pytest.mark.vm)
                    yield item

    def vm_run(self, target: str) -> VmRun:
        runs = self.__dict__.setdefault("_runs", {})
        if target not in runs:
            runs[target] = run_module(self.path, target=target)
        return runs[target]


class VmItem(pytest.Item):
    test = ""
    target = "wasm"

    def runtest(self) -> None:
        run = self.parent.vm_run(self.target)
        res = run.results.get(self.test)
        if res is None:
            imp = run.results.get("<import>") or run.results.get("<vm>")
            detail = imp.error if imp else run.output[-3000:]
            raise VmTestFailure(f"did not run on MicroPython ({self.target}):\n{detail}")
        self.user_properties.append(("peak_heap", res.peak_heap))
        if not res.ok:
            raise VmTestFailure(res.error or "failed")

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, VmTestFailure):
            return f"[MicroPython {self.target}] {excinfo.value}"
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, 0, f"{self.target}::{self.test}"


def pytest_collect_file(parent, file_path: Path):
    if file_path.suffix == ".py" and file_path.name.startswith("mp_test_"):
        return VmModule.from_parent(parent, path=file_path)
    return None


def pytest_runtest_logreport(report):
    # user_properties travel back from xdist workers with the report.
    if report.when == "call":
        for key, value in report.user_properties:
            if key == "peak_heap":
                _HEAP.append((report.nodeid, value))


def pytest_terminal_summary(terminalreporter):
    if not _HEAP:
        return
    terminalreporter.section("MicroPython peak heap (bytes in use above the target's baseline)")
    for nodeid, peak in _HEAP:
        terminalreporter.write_line(f"{peak:>8}  {nodeid}")


class _NotPython(pytest.File):
    def collect(self):
        return []


def pytest_pycollect_makemodule(module_path: Path, parent):
    # An mp_test_*.py named on the command line must not also run on CPython.
    if module_path.name.startswith("mp_test_"):
        return _NotPython.from_parent(parent, path=module_path)
    return None


# --- both storage backends ------------------------------------------------------------
BACKENDS = ("sqlite", "postgresql")


@pytest.fixture(scope="session")
def pg_server():
    """One throwaway PostgreSQL cluster per test process (tests/pgserver.py), stopped at
    the end. Not installed: the tests that need it fail with the message, never skip."""
    from tests.pgserver import PgServer, PgServerError

    try:
        server = PgServer()
    except PgServerError as e:
        pytest.fail(str(e), pytrace=False)
    yield server
    from wearlog.store import pg

    pg.close_pools()
    server.stop()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def db_location(backend: str, tmp_path: Path, request: pytest.FixtureRequest):
    """Where a test's database lives: a SQLite file, or a fresh PostgreSQL database."""
    if backend == "sqlite":
        yield tmp_path / "w.db"
        return
    from wearlog.store import DatabaseUrl, pg

    url = DatabaseUrl(request.getfixturevalue("pg_server").database())
    yield url
    pg.close_pools(url)


@pytest.fixture(scope="module", params=BACKENDS)
def module_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def module_db_location(module_backend: str, tmp_path_factory: pytest.TempPathFactory,
                       request: pytest.FixtureRequest):
    """db_location for a database a whole module shares."""
    if module_backend == "sqlite":
        yield tmp_path_factory.mktemp("db") / "wearlog.db"
        return
    from wearlog.store import DatabaseUrl, pg

    url = DatabaseUrl(request.getfixturevalue("pg_server").database())
    yield url
    pg.close_pools(url)


def copy_database(src, dest_dir: Path, pg_server_fixture=None):
    """A test's own copy of a module's template database (SQLite backup, or PostgreSQL
    CREATE DATABASE ... TEMPLATE)."""
    from wearlog.store import DatabaseUrl, Store, pg

    if isinstance(src, Path):
        dest = dest_dir / "wearlog.db"
        with Store(src) as tpl:
            tpl.backup(dest)
        return dest
    pg.close_pools(src)  # a template database must have no open connection
    return DatabaseUrl(pg_server_fixture.database(template=src))
