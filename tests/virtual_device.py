"""`wearlog device virtual` in its own process, for the tests that reach it over bumble's
TCP HCI transport the way a wearer's second terminal would."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

WEARLOG = Path(sys.executable).with_name("wearlog")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def virtual_device(workdir: Path, days: float, start_timeout_s: float = 120,
                   env: dict[str, str] | None = None, check_exit: bool = False
                   ) -> Iterator[str]:
    """A virtual wearable holding `days` of records, advertising on a loopback port:
    yields the address for `--virtual`/`WEARLOG_VIRTUAL`. Stopped with Ctrl-C on exit;
    check_exit: also assert it stopped cleanly (exit status 0)."""
    port = free_port()
    log = workdir / "device.log"
    with open(log, "w") as out:
        dev = subprocess.Popen([str(WEARLOG), "device", "virtual", "--days", str(days),
                                "--port", str(port), "--state", str(workdir / "device")],
                               stdout=out, stderr=subprocess.STDOUT,
                               env=dict(os.environ, COLUMNS="200", **(env or {})))
    try:
        deadline = time.monotonic() + start_timeout_s
        while "Advertising as" not in log.read_text():
            assert dev.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        yield f"127.0.0.1:{port}"
    finally:
        dev.send_signal(signal.SIGINT)
        try:
            rc = dev.wait(timeout=30)
            if check_exit:
                assert rc == 0, log.read_text()
        finally:
            if dev.poll() is None:
                dev.kill()
