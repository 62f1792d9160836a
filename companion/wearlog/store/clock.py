"""Re-anchoring records written before the wearable's clock was set.

Such records carry FLAG_CLOCK_UNSET and time = seconds since boot. Within one
boot (the records between two EV_BOOT events, by sequence) uptime and UTC
differ by a constant, known from either
  1. an EV_CLOCK_SET event with value=1 in that boot: offset = event.time - event.arg
     (arg is the device time, i.e. uptime, just before the set), or
  2. a clock measurement taken at sync while the device still ran on uptime:
     offset = host_time - device_time, for the boot the device was in at that sync.
The event wins (it is measured on the device). Records of a boot with neither
keep utc NULL: stored, never lost, but left out of the analysis.
"""

from __future__ import annotations

import sqlite3
from bisect import bisect_right

from wlproto.const import EV_BOOT, EV_CLOCK_SET


def boot_segment(boots: list[int], seq: int) -> int:
    """Index of the boot a sequence belongs to (-1: before the first known boot)."""
    return bisect_right(boots, seq) - 1


def boot_offsets(conn: sqlite3.Connection, device_id: int) -> tuple[list[int], dict[int, int]]:
    boots = [r[0] for r in conn.execute(
        "SELECT seq FROM events WHERE device_id=? AND etype=? ORDER BY seq", (device_id, EV_BOOT)
    )]
    offsets: dict[int, int] = {}
    for seq, t, arg, value in conn.execute(
        "SELECT seq, time, arg, value FROM events WHERE device_id=? AND etype=? ORDER BY seq",
        (device_id, EV_CLOCK_SET),
    ):
        seg = boot_segment(boots, seq)
        if value == 1 and seg not in offsets:
            offsets[seg] = int(t) - int(arg)
    for dev_t, host_t, sync_id, last_seq_at in conn.execute(
        "SELECT device_time, host_time, sync_id, last_seq_at FROM clock_syncs "
        "WHERE device_id=? AND uptime=1 ORDER BY host_time",
        (device_id,),
    ):
        seen = [last_seq_at] if last_seq_at is not None else []
        if sync_id is not None:
            for tbl in ("epochs", "events"):
                m = conn.execute(
                    f"SELECT MAX(seq) FROM {tbl} WHERE device_id=? AND sync_id=?",
                    (device_id, sync_id),
                ).fetchone()[0]
                if m is not None:
                    seen.append(m)
        if not seen:
            continue
        seg = boot_segment(boots, max(seen))
        offsets.setdefault(seg, int(host_t) - int(dev_t))
    return boots, offsets


# epochs keep their device time as time_off = time - utc (migration v15): both move
_SET_UTC = {"epochs": "UPDATE epochs SET utc=?, time_off=? WHERE device_id=? AND seq=?",
            "events": "UPDATE events SET utc=? WHERE device_id=? AND seq=?"}


def reanchor(conn: sqlite3.Connection, device_id: int) -> int:
    """Fill utc for clock-unset records of one device; returns how many rows were fixed."""
    pending = {
        tbl: conn.execute(
            # +device_id: read the small partial index of unanchored rows, not the device
            f"SELECT seq, time FROM {tbl} WHERE +device_id=? AND utc IS NULL", (device_id,)
        ).fetchall()
        for tbl in ("epochs", "events")
    }
    if not any(pending.values()):
        return 0
    boots, offsets = boot_offsets(conn, device_id)
    fixed = 0
    conn.execute("BEGIN IMMEDIATE")
    try:
        for tbl, rows in pending.items():
            upd = []
            for seq, t in rows:
                off = offsets.get(boot_segment(boots, seq))
                if off is not None:  # time_off = time - utc = -off (epochs only)
                    upd.append((t + off, -off, device_id, seq) if tbl == "epochs"
                               else (t + off, device_id, seq))
            conn.executemany(_SET_UTC[tbl], upd)
            fixed += len(upd)
        if fixed:
            from wearlog.store.queue import mark_device

            mark_device(conn, device_id, None, None, full=True)
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return fixed
