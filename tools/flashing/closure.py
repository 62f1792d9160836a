"""Which modules the device needs: follow imports (ast) from main.py and one board profile.

Only our device trees are followed (wlfw, drivers, boards, wlproto); anything
else must be a MicroPython built-in of the board's port, unless the import sits
in a ``try`` that catches ImportError (an optional import, e.g. the host port's
``mptime``). firmware/hostport is never part of a device.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ClosureError, UnknownBoardError
from .mpmodules import BUILTIN_MODULES

ROOT = Path(__file__).resolve().parents[2]
FIRMWARE = ROOT / "firmware"
# top-level package on the device -> its source folder in the repository
PACKAGES: dict[str, Path] = {
    "wlproto": ROOT / "shared" / "wlproto",
    "wlfw": FIRMWARE / "wlfw",
    "drivers": FIRMWARE / "drivers",
    "boards": FIRMWARE / "boards",
}
NOT_PROFILES = {"__init__", "common"}


@dataclass(frozen=True)
class Module:
    """One device module: dotted name, source file, and its path under /lib on the device."""

    name: str
    source: Path
    is_package: bool = False

    @property
    def lib_path(self) -> str:
        """Path below /lib without suffix: wlfw/app, wlfw/__init__."""
        parts = self.name.split(".")
        if self.is_package:
            parts.append("__init__")
        return "/".join(parts)


@dataclass
class Closure:
    board: str
    port: str
    modules: list[Module] = field(default_factory=list)  # sorted by name
    builtins: set[str] = field(default_factory=set)  # MicroPython modules the code uses
    optional_missing: set[str] = field(default_factory=set)  # guarded imports left out


def board_names(firmware: Path = FIRMWARE) -> list[str]:
    """Board profiles: modules in firmware/boards/ that define make()."""
    out = []
    for p in sorted((firmware / "boards").glob("*.py")):
        if p.stem not in NOT_PROFILES and _defines(p, "make"):
            out.append(p.stem)
    return out


def _defines(path: Path, name: str) -> bool:
    tree = ast.parse(path.read_text(), str(path))
    return any(isinstance(n, ast.FunctionDef) and n.name == name for n in tree.body)


def board_port(path: Path) -> str:
    """The profile's PORT = "esp32" | "rp2" (it decides which built-ins exist)."""
    tree = ast.parse(path.read_text(), str(path))
    for n in tree.body:
        if (isinstance(n, ast.Assign) and len(n.targets) == 1
                and isinstance(n.targets[0], ast.Name) and n.targets[0].id == "PORT"
                and isinstance(n.value, ast.Constant) and isinstance(n.value.value, str)):
            return n.value.value
    raise ClosureError(f"{path.name} does not say which MicroPython port it runs on: "
                       f'add PORT = "esp32" or PORT = "rp2"')


def _resolve(name: str, packages: dict[str, Path]) -> Module | None:
    """The module or package file for a dotted name in our trees, else None."""
    top, *rest = name.split(".")
    base = packages.get(top)
    if base is None:
        return None
    path = base.joinpath(*rest)
    if (path / "__init__.py").is_file():
        return Module(name, path / "__init__.py", True)
    if path.with_suffix(".py").is_file():
        return Module(name, path.with_suffix(".py"))
    return None


def _catches_import_error(handler: ast.ExceptHandler) -> bool:
    t = handler.type
    names = t.elts if isinstance(t, ast.Tuple) else [t]
    return any(isinstance(n, ast.Name) and n.id in ("ImportError", "ModuleNotFoundError")
               for n in names)


def imports_of(path: Path) -> list[tuple[str, bool, int]]:
    """(dotted name, optional, line) for every import in a file; from-imports also list
    'pkg.name' candidates (a submodule if such a file exists)."""
    tree = ast.parse(path.read_text(), str(path))
    out: list[tuple[str, bool, int]] = []

    def visit(node: ast.AST, optional: bool) -> None:
        if isinstance(node, ast.Try):
            guarded = optional or any(_catches_import_error(h) for h in node.handlers)
            for stmt in node.body:
                visit(stmt, guarded)
            rest: list[ast.AST] = [*node.handlers, *node.orelse, *node.finalbody]
            for other in rest:
                visit(other, optional)
            return
        if isinstance(node, ast.Import):
            for alias in node.names:
                out.append((alias.name, optional, node.lineno))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                raise ClosureError(f"{path}:{node.lineno}: relative imports are not followed; "
                                   f"use absolute ones (from wlfw.x import y)")
            mod = node.module or ""
            if mod != "__future__":
                out.append((mod, optional, node.lineno))
                for alias in node.names:
                    out.append((f"{mod}.{alias.name}", True, node.lineno))  # maybe a submodule
        for sub in ast.iter_child_nodes(node):
            visit(sub, optional)

    visit(tree, False)
    return out


def closure(board: str, firmware: Path = FIRMWARE,
            packages: dict[str, Path] | None = None) -> Closure:
    """Every device module main.py and the board profile need, or a ClosureError saying
    which import on which line cannot be satisfied."""
    packages = packages or PACKAGES
    boards = board_names(firmware)
    if board not in boards:
        raise UnknownBoardError(f"unknown board profile {board!r}: choose one of "
                                f"{', '.join(boards) or '(none: firmware/boards/ is empty)'}")
    main = firmware / "main.py"
    if not main.is_file():
        raise ClosureError(f"{main} is missing: the firmware has no entry point to flash")
    port = board_port(firmware / "boards" / f"{board}.py")
    if port not in BUILTIN_MODULES:
        raise ClosureError(f"board {board} names port {port!r}; known ports: "
                           f"{', '.join(BUILTIN_MODULES)}")
    builtin = BUILTIN_MODULES[port]
    result = Closure(board, port)
    found: dict[str, Module] = {}
    todo: list[Path] = [main]
    profile = _resolve(f"boards.{board}", packages)
    assert profile is not None  # board_names() found the file

    def add(mod: Module) -> None:
        # a package's __init__ runs before any of its submodules: ship it too
        parts = mod.name.split(".")
        for i in range(1, len(parts)):
            parent = _resolve(".".join(parts[:i]), packages)
            if parent is not None and parent.name not in found:
                found[parent.name] = parent
                todo.append(parent.source)
        if mod.name not in found:
            found[mod.name] = mod
            todo.append(mod.source)

    add(profile)
    seen: set[Path] = set()
    while todo:
        src = todo.pop()
        if src in seen:
            continue
        seen.add(src)
        for name, optional, line in imports_of(src):
            mod = _resolve(name, packages)
            if mod is not None:
                add(mod)
                continue
            top = name.split(".")[0]
            if top in packages:
                if optional:
                    continue  # "from pkg import attr": an attribute, not a file
                raise ClosureError(f"{src.relative_to(ROOT) if src.is_relative_to(ROOT) else src}"
                                   f":{line}: imports {name}, which is not in "
                                   f"{packages[top]}")
            if top in builtin:
                result.builtins.add(top)
            elif optional:
                result.optional_missing.add(top)
            else:
                where = src.relative_to(ROOT) if src.is_relative_to(ROOT) else src
                raise ClosureError(f"{where}:{line}: imports {name!r}, which is neither in the "
                                   f"firmware nor built into MicroPython on {port}; "
                                   f"vendor it under firmware/ or guard it with "
                                   f"try/except ImportError")
    result.modules = sorted(found.values(), key=lambda m: m.name)
    return result
