"""Write shared/vectors/golden.json: bytes <-> values that pin the wire format.

Run once when the protocol version changes on purpose (and bump
PROTOCOL_VERSION). The tests on CPython and on the MicroPython VM check the
committed file against the code; they never regenerate it.
"""

from __future__ import annotations

import json
from pathlib import Path

from wlproto import const as C
from wlproto import frames, segments
from wlproto.records import Epoch, Event

OUT = Path(__file__).resolve().parents[1] / "shared" / "vectors" / "golden.json"
T0 = 1_767_225_600  # 2026-01-01T00:00:00Z


def rec_dict(r: Epoch | Event) -> dict:
    kind = "epoch" if isinstance(r, Epoch) else "event"
    return {"kind": kind, **dict(zip(r.FIELDS, r.fields(), strict=True))}


def main() -> None:
    cases: list[dict] = []

    def frame_case(name: str, recs: list, base: int | None = None) -> bytes:
        b = frames.encode_frame(recs, base_time=base)
        base_time = base if base is not None else min(r.time for r in recs)
        cases.append({
            "name": name, "type": "frame", "hex": b.hex(),
            "first_seq": recs[0].seq, "base_time": base_time,
            "records": [rec_dict(r) for r in recs],
        })
        return b

    frame_case("one_epoch_sleeping", [Epoch(1, T0, 0, 12, 8, -35, 3, 0, 66)])
    frame_case("epoch_walking_with_button", [
        Epoch(100, T0 + 3000, C.FLAG_BUTTON, 1834, 2110, 12, 255, 52, 63),
    ])
    frame_case("epoch_nonwear_no_temp_clock_unset", [
        Epoch(7, 3600, C.FLAG_NONWEAR | C.FLAG_CLOCK_UNSET, 0, 1, 90, 0, 0, C.TEMP_UNKNOWN),
    ])
    frame_case("epoch_extremes", [
        Epoch(0xFFFFFFF0, 0xFFFF0000, C.FLAG_ALL, 65535, 65535, -90, 255, 255, 127),
    ])
    frame_case("symptom_severity_4", [Event(42, T0 + 77, C.EV_SYMPTOM, 4)])
    frame_case("bed_then_up", [
        Event(50, T0 + 79200, C.EV_BED), Event(51, T0 + 79200 + 30600, C.EV_UP),
    ], base=T0 + 79200)
    frame_case("clock_set_from_uptime", [
        Event(9, T0 + 5, C.EV_CLOCK_SET, 1, 3725, 0),
    ])
    frame_case("boot_and_battery", [
        Event(1000, T0 + 10, C.EV_BOOT, 2, 17, 0), Event(1001, T0 + 11, C.EV_BATTERY, 87, 0, 4012),
    ])
    frame_case("mixed_twenty", [
        Epoch(200 + i, T0 + 30 * i, 0, 40 * i, 30 * i, -40 + 4 * i, 2 * i, i, 64)
        if i != 7 else Event(207, T0 + 30 * i + 4, C.EV_SYMPTOM, 2)
        for i in range(20)
    ])
    cases.append({"name": "end_frame", "type": "end", "hex": frames.encode_end(4321, T0).hex(),
                  "next_seq": 4321, "device_time": T0})
    for op, status, payload in [
        (C.OP_STATUS, C.ST_OK, frames.Status(
            C.STATUS_FLAG_CLOCK_SET | C.STATUS_FLAG_PAIRED, 0xA1B2C3D4, 1, 40321, 40000, T0,
            1_572_864, 76, 30).encode()),
        (C.OP_READ, C.ST_OUT_OF_RANGE, b""),
        (C.OP_SET_TIME, C.ST_OK, frames.set_time_reply(3725, True)),
        (C.OP_ACK, C.ST_NOT_AUTHENTICATED, b""),
    ]:
        cases.append({"name": f"reply_op{op}_st{status}", "type": "reply",
                      "hex": frames.encode_reply(op, status, payload).hex(),
                      "opcode": op, "status": status, "payload": payload.hex()})
    for op, payload in [
        (C.OP_STATUS, b""),
        (C.OP_READ, frames.read_payload(40000, 256)),
        (C.OP_ACK, frames.u32_payload(40321)),
        (C.OP_SET_TIME, frames.u32_payload(T0)),
        (C.OP_AUTH_BEGIN, bytes(range(16))),
    ]:
        cases.append({"name": f"command_op{op}", "type": "command",
                      "hex": frames.encode_command(op, payload).hex(),
                      "opcode": op, "payload": payload.hex()})
    st = frames.Status(C.STATUS_FLAG_CLOCK_SET, 0x0000BEEF, 10, 20, 15, T0, 1024, 255, 30)
    cases.append({"name": "status_char", "type": "status", "hex": st.encode().hex(),
                  "fields": list(st.fields())})
    msg = frames.encode_frame([Epoch(300 + i, T0 + 30 * i, 0, 5, 5, 0, 0, 0, 60)
                               for i in range(3)])
    cases.append({"name": "segments_mtu23", "type": "segments", "mtu": 23,
                  "message": msg.hex(), "counter": 62,
                  "segments": [s.hex() for s in segments.segments(msg, 23, 62)]})
    # Invalid messages and the exception each must raise.
    good = bytes.fromhex(cases[0]["hex"])
    bad_version = bytearray(good)
    bad_version[0] = 2
    body = bytes(bad_version[:-4])
    from wlproto.crc import crc32
    bad_version_sealed = body + crc32(body).to_bytes(4, "little")
    flipped = bytearray(good)
    flipped[14] ^= 0x10
    bad_kind = bytearray(good[:-4])
    bad_kind[12] = 0xC0
    bad_kind_sealed = bytes(bad_kind) + crc32(bytes(bad_kind)).to_bytes(4, "little")
    for name, data, err in [
        ("truncated_frame", good[:-1], "TruncatedError"),
        ("truncated_header", good[:6], "TruncatedError"),
        ("trailing_byte", good + b"\x00", "OversizeError"),
        ("wrong_version", bad_version_sealed, "VersionError"),
        ("bit_flip", bytes(flipped), "CrcError"),
        ("unknown_record_kind", bad_kind_sealed, "MalformedError"),
        ("too_long", bytes(C.MAX_MESSAGE_SIZE + 1), "OversizeError"),
    ]:
        cases.append({"name": name, "type": "invalid", "hex": data.hex(), "error": err})
    OUT.write_text(json.dumps({"protocol_version": C.PROTOCOL_VERSION, "cases": cases},
                              indent=1) + "\n")
    print(f"wrote {len(cases)} cases to {OUT}")


if __name__ == "__main__":
    main()
