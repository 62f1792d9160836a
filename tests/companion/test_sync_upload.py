"""`wearlog sync --upload`: new records go to the clinic's server once; failures keep the mark."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

from wearlog.accounts.tokens import create_token
from wearlog.commands.ble import _upload
from wearlog.store import Store
from wearlog.web import create_app
from wearlog.web.live import live_server
from wlproto import const as C
from wlproto.records import Epoch, Event

DEV = 0x3F2A


def _records(first: int, n: int) -> list:
    return [Epoch(s, 1_767_225_600 + 30 * s, 0, 10, 10, -20, 3, 0, 60) if s % 50
            else Event(s, 1_767_225_600 + 30 * s, C.EV_SYMPTOM, 3) for s in range(first, n)]


def test_upload_sends_only_what_the_server_lacks(tmp_path: Path) -> None:
    server_db = tmp_path / "server.db"
    with Store(server_db) as s:
        s.add_patient("P-1")
        s.add_device(DEV, "P-1")
        token = create_token(s.conn, DEV)
    home = Store(tmp_path / "home.db")
    home.add_patient("P-1")
    home.add_device(DEV, "P-1")
    home.ingest(DEV, _records(0, 300))
    app = create_app(server_db, secret="x" * 40)
    with live_server(app) as url:
        _upload(home, DEV, url, token)
        with Store(server_db) as s:
            assert s.counts()["epochs"] + s.counts()["events"] == 300
        home.ingest(DEV, _records(300, 420))
        _upload(home, DEV, url, token)
        mark = home.conn.execute("SELECT next_seq FROM uploads").fetchone()[0]
        assert mark == 420
        _upload(home, DEV, url, token)  # nothing new: nothing sent
        with Store(server_db) as s:
            assert s.counts()["epochs"] + s.counts()["events"] == 420
        home.ingest(DEV, _records(420, 430))
        with pytest.raises(click.ClickException, match="next --upload sends them"):
            _upload(home, DEV, url, "not-a-token")
        assert home.conn.execute("SELECT next_seq FROM uploads").fetchone()[0] == 420
    home.close()
