# Runs on the native MicroPython port (driven by tests/firmware/test_littlefs_log.py):
# power cuts at the points hypothesis chose on the host (/t/params.json "cuts":
# [cut_at program op, bytes of it that land, records to add, records to ack]).
from mp_lfs_log import PARAMS, Scenario


def test_cuts_at_given_points():
    cuts = PARAMS["cuts"]
    assert cuts, "no cut points given"
    sc = Scenario(PARAMS["block_size"], PARAMS["blocks"])
    for cut_at, torn, n_new, ack_to in cuts:
        sc.run(cut_at, torn, n_new, sc.committed + min(ack_to, n_new))
