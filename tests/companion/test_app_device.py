"""The Device page's sync when the device cannot be reached: the job ends as failed,
keeps what was stored, and says when the device's radio listens next; `wearlog app`
starts, prints its keyed URL and serves only on loopback."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
from fastapi.testclient import TestClient

from tests.virtual_device import free_port, virtual_device
from wearlog.app import WearerSettings, create_wearer_app
from wearlog.app.routers.device import PERIOD_S, next_window
from wearlog.ble.pairing import paired_devices, save_pairing
from wearlog.store import Store
from wearlog.virtual.air import Air

BASE = "http://127.0.0.1:8700"
WEARLOG = Path(sys.executable).with_name("wearlog")


@contextlib.contextmanager
def _empty_air() -> Iterator[int]:
    """A virtual radio that works but hears no wearable: the device is out of range."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    air = Air()
    port = asyncio.run_coroutine_threadsafe(air.serve_tcp(), loop).result(30)
    try:
        yield port
    finally:
        asyncio.run_coroutine_threadsafe(air.close(), loop).result(30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


def test_next_window_counts_whole_periods_from_the_last_contact():
    assert next_window(None, 1000.0) is None
    assert next_window(0, 10.0) == PERIOD_S
    assert next_window(0, PERIOD_S + 1.0) == 2 * PERIOD_S
    assert next_window(100, 100.0 + 5 * PERIOD_S) == 100 + 5 * PERIOD_S


def _last_sync_event(db: Path, radio: str, device: int = 0x1234) -> str:
    """Start a sync from the Device page and return its last server-sent event."""
    app = create_wearer_app(WearerSettings(db, virtual=radio))
    with TestClient(app, base_url=BASE) as c:
        c.get(app.state.settings.key.first_url(BASE))
        r = c.post("/device/sync", data={"csrf_token": app.state.settings.key.csrf,
                                         "device": str(device)}, follow_redirects=False)
        assert r.status_code == 303
        job = r.headers["location"].split("job=")[1]
        events = c.get(f"/device/sync/{job}/events").text
    return events.strip().split("\n\n")[-1]


def test_a_sync_that_cannot_reach_the_device_says_when_to_try_again(tmp_path):
    """The radio works but the device is out of range (no wearable on the air)."""
    db = tmp_path / "w.db"
    with Store(db) as s:
        s.add_patient("P-0042", "UTC")
        s.add_device(0x1234, "P-0042")
        save_pairing(s, 0x1234, b"k" * 16, "C0:57:1C:00:00:01", None)
        sync_id = s.begin_sync(0x1234)  # the last time the device was reached
        s.end_sync(sync_id, "ok")
    with _empty_air() as port:
        last = _last_sync_event(db, f"127.0.0.1:{port}")
    assert '"state": "failed"' in last
    assert "no wearlog device" in last.lower() or "not found" in last.lower(), last
    assert "Everything received so far is kept" in last
    assert re.search(r"Try again at about \d\d:\d\d \(its next radio window\)", last), last


def test_wearlog_app_prints_a_keyed_loopback_url_and_serves_it(tmp_path):
    port = free_port()
    env = dict(os.environ, COLUMNS="300", WEARLOG_DB=str(tmp_path / "w.db"))
    log = tmp_path / "app.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([str(WEARLOG), "app", "--no-browser", "--port", str(port)],
                                stdout=out, stderr=subprocess.STDOUT, env=env)
    try:
        deadline = time.monotonic() + 60
        m = None
        while m is None:
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
            m = re.search(rf"(http://127\.0\.0\.1:{port}/\?token=\S+)", log.read_text())
            time.sleep(0.2)
        for _ in range(100):
            try:
                first = httpx.get(m.group(1), timeout=2)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        assert first.status_code == 303 and "HttpOnly" in first.headers["set-cookie"]
        assert httpx.get(f"http://127.0.0.1:{port}/").status_code == 403  # no key, no page
        with httpx.Client(follow_redirects=True) as c:
            assert "Welcome to Wearlog" in c.get(m.group(1)).text
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            assert proc.wait(timeout=30) == 0, log.read_text()
        finally:
            if proc.poll() is None:
                proc.kill()
    assert "The app has stopped." in log.read_text()


def test_a_sync_that_needs_the_wearer_to_act_gives_no_wait_and_retry_hint(tmp_path):
    """No pairing on this computer: waiting for the radio window cannot help, so the
    message says what is wrong and nothing about trying again later."""
    db = tmp_path / "w.db"
    with Store(db) as s:
        s.add_patient("P-0042", "UTC")
        s.add_device(0x1234, "P-0042")  # assigned, never paired here
    last = _last_sync_event(db, f"127.0.0.1:{free_port()}")
    assert '"state": "failed"' in last
    assert 'pair it under \\"Pair a device\\" on this page' in last, last
    assert "Try again" not in last and "radio window" not in last, last


def test_unpair_with_unsynced_records_asks_before_leaving_them(tmp_path):
    """The CLI's --discard-unsynced, for a wearer with no terminal: the page says how many
    records are waiting and offers a confirm button; nothing changes until it is pressed."""
    db = tmp_path / "w.db"
    with virtual_device(tmp_path, 0.2) as radio:
        app = create_wearer_app(WearerSettings(db, virtual=radio))
        csrf = app.state.settings.key.csrf
        with TestClient(app, base_url=BASE) as c:
            c.get(app.state.settings.key.first_url(BASE))
            r = c.post("/device/pair", data={"csrf_token": csrf, "patient_id": "P-0007",
                                             "tz": "UTC"})
            assert "Paired" in r.text, r.text
            with Store(db) as s:
                (dev,) = [d for d, _a, _t in paired_devices(s)]
            r = c.post("/device/unpair", data={"csrf_token": csrf, "device": str(dev)})
            m = re.search(r"still holds (\d+) records not synced yet", r.text)
            assert m and int(m.group(1)) > 500, r.text  # 0.2 days of epochs and events
            assert f"Unpair anyway, leaving {m.group(1)} records unsynced" in r.text
            assert 'name="discard" value="true"' in r.text
            with Store(db) as s:
                assert [d for d, _a, _t in paired_devices(s)] == [dev]  # still paired
            r = c.post("/device/unpair", data={"csrf_token": csrf, "device": str(dev),
                                               "discard": "true"})
            assert f"Unpaired {dev:#06x}" in r.text, r.text
            with Store(db) as s:
                assert paired_devices(s) == []
