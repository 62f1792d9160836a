"""What the figures were measured on: they mean little without it."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import subprocess
import sys
from typing import Any

from tests.vm.harness import VM_PACKAGE


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _ram_gib() -> float | None:
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemTotal:"):
                    return round(int(line.split()[1]) / (1 << 20), 1)
    except OSError:
        pass
    return None


def _node() -> str:
    try:
        return subprocess.run(["node", "--version"], capture_output=True, text=True,
                              timeout=10).stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "not installed"


def _vm_version() -> str:
    try:
        pkg = json.loads((VM_PACKAGE / "package.json").read_text())
        return f"{pkg['name']} {pkg['version']}"
    except (OSError, ValueError, KeyError):
        return "not installed"


def load_average() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def describe() -> dict[str, Any]:
    return {
        "date_utc": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S"),
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "ram_gib": _ram_gib(),
        "os": f"{platform.system()} {platform.release()}",
        "python": f"{platform.python_implementation()} {sys.version.split()[0]}",
        "node": _node(),
        "micropython_vm": _vm_version(),
        "load_average_at_start": load_average(),
    }
