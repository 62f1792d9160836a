# Peak heap of the whole device pipeline in the MicroPython VM: sensing (App with
# features, button, clock), the record log on a filesystem, and the sync engine
# streaming to an authenticated central at MTU 247, all alive at each yield.
# Reuses the pipeline test's board and the sync test's scripted central (passed
# to the VM as extra files by bench/firmware_bench.py).
import os

from mp_test_sync_server import SECRET, Central, rng
from vm_pipeline_heap import Board, Clock

from wlfw.app import App
from wlfw.auth import SecretStore
from wlfw.sync_server import SyncServer
from wlproto import const as C
from wlproto import frames

LOG = "/fullpipe"


def test_sense_log_sync_heap():
    try:
        os.mkdir(LOG)
    except OSError:
        pass
    clock = Clock()
    board = Board(clock)
    app = App(board, clock=clock, log_dir=LOG)
    app.boot()
    secrets = SecretStore(LOG, app.fs)
    secrets.set(SECRET)
    server = SyncServer(app, secrets, rng)
    central = Central(server, mtu=247)
    assert central.authenticate().status == C.ST_OK
    yield
    app.set_time(1760000000)
    acked = 0
    for minute in range(60):
        app.run_for(30000)
        yield
        if minute % 10 == 9:
            # a sync window, sampled with a frame half-sent
            server.command(1, frames.encode_command(C.OP_READ, frames.read_payload(acked, 64)))
            central.pump(limit=3)
            yield
            central.pump()
            got = 0
            for f in central.frames:
                got += len(getattr(f, "records", ()))
            central.frames = []  # the central's copies are not the device's heap
            central.replies = []
            acked += got
            server.command(1, frames.encode_command(C.OP_ACK, frames.u32_payload(acked)))
            central.pump()
            central.replies = []
            yield
    assert acked > 60 and app.log.acked_seq == acked
