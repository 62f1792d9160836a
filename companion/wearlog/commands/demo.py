"""`wearlog demo`: the main job end to end, with a virtual wearable."""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.option("--days", default=14.0, show_default=True, type=click.FloatRange(1, 90),
              help="Days of wear to simulate.")
@click.option("--seed", default=1, show_default=True, help="Scenario seed.")
@click.option("--dir", "workdir", type=click.Path(file_okay=False),
              help="Where to keep the demo's device flash and database (default: a new "
                   "temporary folder).")
@click.option("--serve/--no-serve", default=True, show_default=True,
              help="Serve the dashboard afterwards (until Ctrl-C).")
@click.option("--port", default=8000, show_default=True, help="Dashboard port.")
def demo(days: float, seed: int, workdir: str | None, serve: bool, port: int) -> None:
    """Record, pair, sync, analyse and show a virtual wearer's data.

    Example: wearlog demo --days 14 --no-serve
    """
    from wearlog.demo import run_demo, serve_demo

    result = run_demo(days=days, seed=seed, workdir=Path(workdir) if workdir else None)
    if serve:
        serve_demo(result, port=port)
