"""The demo's console helpers: no browser is not an error; commands are shown runnable."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest
from rich.console import Console

from wearlog.demo import DemoResult, open_in_browser, print_next_steps


def _console() -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, width=60, highlight=False), out


def test_no_browser_is_said_not_failed(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("DISPLAY", "WAYLAND_DISPLAY", "BROWSER"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    con, out = _console()
    open_in_browser("http://127.0.0.1:8000/", con)
    said = " ".join(out.getvalue().split())
    assert said == "No browser to open here: go to http://127.0.0.1:8000/ yourself."


def test_next_steps_keep_commands_whole_on_a_narrow_terminal(tmp_path: Path) -> None:
    r = DemoResult(tmp_path / "a-rather-long-folder-name-for-a-demo", tmp_path / "w.db",
                   "P-DEMO-01", 0x1234, 10)
    con, out = _console()
    print_next_steps(r, con)
    lines = out.getvalue().splitlines()
    assert lines[0].strip("─ ").startswith("Next steps")
    assert any(ln.strip().endswith(f"report --db {r.db_path} --patient P-DEMO-01")
               for ln in lines), out.getvalue()
    assert any("pair --patient" in ln for ln in lines)
    # The folder stays after --no-serve, and the last words say where and that it may go.
    assert " ".join(out.getvalue().split()).endswith(
        f"delete the folder when you are done (rm -r {r.workdir}).")
