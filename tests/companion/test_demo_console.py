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


def test_summary_states_the_means_every_view_shows(tmp_path: Path) -> None:
    """The demo's closing summary uses the one convention (means of valid nights/days,
    figures.means), so it reads as `wearlog report` and the dashboard do."""
    from wearlog.demo import print_summary
    from wearlog.pipeline.figures import means

    nights = [{"night": f"2026-11-0{i}", "valid": 1, "tst_min": t, "se_pct": 80.0,
               "waso_min": 30.0, "sol_min": 10.0}
              for i, t in ((1, 300.0), (2, 360.0), (3, 480.0))]
    nights.append({"night": "2026-11-04", "valid": 0, "tst_min": 60.0, "se_pct": 20.0,
                   "waso_min": 300.0, "sol_min": 90.0})  # not valid: not averaged in
    days = [{"day": f"2026-11-0{i}", "valid": 1, "steps": st, "mvpa_min": mv,
             "sedentary_min": 600.0, "symptom_events": 1} for i, st, mv in
            ((1, 1000, 10.0), (2, 4000, 30.0))]
    r = DemoResult(tmp_path, tmp_path / "w.db", "P-DEMO-01", 0x1234, 10, nights, days)
    con, out = _console()
    print_summary(r, con)
    said = " ".join(out.getvalue().split())
    assert means(nights, days)["tst_min"] == 380.0  # (the median would be 360)
    assert "sleep: 6.3 h asleep, efficiency 80 %, awake after sleep onset 30 min (means" \
        in said, said
    assert "activity: 2500 steps/day, 20 min moderate-to-vigorous (means" in said, said
