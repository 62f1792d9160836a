"""The simulated wearers (wearlog.testing) stay out of the product: no module of the
package imports them except the demo entry points and the virtual wearable (a new import
makes this test fail), and importing every module of the product's packages leaves them
unloaded."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import wearlog

ROOT = Path(wearlog.__file__).parent
TESTING = "wearlog.testing"
# May import the simulated wearers: the package itself, the virtual wearable (a simulated
# device), and the demo's entry points.
ALLOWED = ("testing/", "virtual/", "demo.py", "commands/demo.py")
PRODUCT = ("accounts", "analysis", "app", "ble", "education", "export", "imports",
           "pipeline", "store", "web")


def module_name(rel: Path) -> str:
    parts = ["wearlog", *rel.with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(tree: ast.AST, module: str, is_package: bool) -> list[tuple[int, str]]:
    """(line, module) of every import in the tree, relative ones resolved, plus every
    string naming a wearlog.testing module (importlib.import_module and the like)."""
    out: list[tuple[int, str]] = []
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[:len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            out += [(node.lineno, f"{base}.{a.name}") for a in node.names]
        elif (isinstance(node, ast.Constant) and isinstance(node.value, str)
              and node.value.startswith(TESTING)):
            out.append((node.lineno, node.value))
    return out


def offenders_in(root: Path, allowed: tuple[str, ...] = ALLOWED) -> list[str]:
    found = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root)
        if any(rel.as_posix() == a or rel.as_posix().startswith(a) for a in allowed):
            continue
        tree = ast.parse(path.read_text(), str(path))
        for line, name in imported(tree, module_name(rel), path.name == "__init__.py"):
            if name == TESTING or name.startswith(TESTING + "."):
                found.append(f"{rel}:{line}: imports {name}")
    return found


def test_no_product_module_imports_the_simulated_wearers() -> None:
    assert offenders_in(ROOT) == []


def test_the_check_catches_each_form_of_import(tmp_path: Path) -> None:
    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "a.py").write_text("from wearlog.testing.database import make_patient\n")
    (tmp_path / "web" / "b.py").write_text("from ..testing import samples\n")
    (tmp_path / "web" / "c.py").write_text("import wearlog.testing.epochs as e\n")
    (tmp_path / "web" / "d.py").write_text("from wearlog import testing\n")
    (tmp_path / "web" / "e.py").write_text(
        "import importlib\nm = importlib.import_module('wearlog.testing.days')\n")
    (tmp_path / "web" / "ok.py").write_text("from wearlog.web.testing_aid import x\n")
    (tmp_path / "demo.py").write_text("from wearlog.testing.samples import Wearer\n")
    assert offenders_in(tmp_path) == [
        "web/a.py:1: imports wearlog.testing.database.make_patient",
        "web/b.py:1: imports wearlog.testing.samples",
        "web/c.py:1: imports wearlog.testing.epochs",
        "web/d.py:1: imports wearlog.testing",
        "web/e.py:2: imports wearlog.testing.days",
    ]


def test_importing_the_product_leaves_the_simulated_wearers_unloaded() -> None:
    """Every module of the product's packages and the CLI, imported in a fresh interpreter:
    wearlog.testing (and numpy-heavy generators with it) is not among the loaded modules."""
    code = (
        "import importlib, pkgutil, sys\n"
        "import wearlog, wearlog.cli\n"
        f"for pkg in {PRODUCT!r}:\n"
        "    mod = importlib.import_module('wearlog.' + pkg)\n"
        "    for info in pkgutil.walk_packages(mod.__path__, mod.__name__ + '.'):\n"
        "        importlib.import_module(info.name)\n"
        "print(sorted(m for m in sys.modules if m.startswith('wearlog.')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    loaded = ast.literal_eval(out)
    assert any(m.startswith("wearlog.web.") for m in loaded)  # it did import the product
    assert [m for m in loaded if m == TESTING or m.startswith(TESTING + ".")] == []
