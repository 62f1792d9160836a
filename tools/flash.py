#!/usr/bin/env python3
"""Put the Wearlog firmware on a board already running MicroPython (docs/flashing.md).

    python tools/flash.py --board m5stickc_plus2 --port /dev/ttyUSB0
    python tools/flash.py --board pico_w --dry-run
    python tools/flash.py --board pico_w --target build/device --device-id 0x1A2B [--sources]

Exit codes: 0 done, 1 a FlashError (the message says what to do), 2 bad arguments.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tools.flashing.build import EPOCH_LEN, parse_device_id  # noqa: E402
from tools.flashing.closure import board_names  # noqa: E402
from tools.flashing.deploy import deploy  # noqa: E402
from tools.flashing.errors import DeviceIdError, FlashError  # noqa: E402
from tools.flashing.plan import DEFAULT_LOG_DAYS, make_plan, render  # noqa: E402
from tools.flashing.transport import DirTransport, MpremoteTransport, Transport  # noqa: E402


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="flash.py", description=__doc__.split("\n\n")[0],
        epilog="Boards: " + ", ".join(board_names())
        + ". After flashing: `wearlog pair --patient ID`.")
    p.add_argument("--board", required=True, help="board profile (a module in firmware/boards/)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--port", help="serial port of the board (default: the only USB one)")
    where.add_argument("--target", type=Path, metavar="DIR",
                       help="write the device file tree into DIR instead of a board")
    p.add_argument("--device-id", help="device ID, decimal or 0x hex (required with --target; "
                   "default on a board: the last two bytes of machine.unique_id())")
    p.add_argument("--epoch-len", type=int, default=EPOCH_LEN, help=argparse.SUPPRESS)
    p.add_argument("--log-days", type=int, default=DEFAULT_LOG_DAYS,
                   help="refuse boards without free room for this many days of log "
                   f"(default {DEFAULT_LOG_DAYS})")
    p.add_argument("--sources", action="store_true",
                   help="copy .py sources instead of compiled .mpy (the CPython host port "
                   "needs them; on a board they cost RAM at import)")
    p.add_argument("--dry-run", action="store_true",
                   help="print the exact plan and touch nothing")
    return p


def run(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        if args.epoch_len != EPOCH_LEN:
            raise FlashError(f"epoch length is fixed at {EPOCH_LEN} s by the protocol")
        if args.log_days < 0:
            raise FlashError("--log-days must be 0 or more")
        device_id = parse_device_id(args.device_id) if args.device_id is not None else None
        if args.target is not None and device_id is None:
            raise DeviceIdError("--target needs --device-id (a directory has no unique id)")
        plan = make_plan(args.board, device_id, epoch_len=args.epoch_len,
                         log_days=args.log_days, sources=args.sources)
        where = (f"directory {args.target}" if args.target is not None
                 else f"board on {args.port or 'the only USB serial port'}")
        if args.dry_run:
            print(render(plan, where))
            return 0
        transport: Transport
        if args.target is not None:
            transport = DirTransport(args.target, plan.compiler, plan.mpy)
        else:
            transport = MpremoteTransport(args.port)
        try:
            result = deploy(plan, transport, say=print)
        finally:
            transport.close()
    except FlashError as e:
        print(f"flash.py: error: {e}", file=sys.stderr)
        return 1
    print(f"Wearlog firmware ({plan.board}) written to {transport.description}: "
          f"{len(result.written)} files, {result.verified} verified by sha256"
          + (f", {len(result.removed)} old files removed" if result.removed else "") + ".")
    print("Next: reset the board (or unplug and replug it), then pair it with this computer: "
          "`wearlog pair --patient <pseudonymous ID>` (docs/ble.md).")
    return 0


if __name__ == "__main__":
    sys.exit(run())
