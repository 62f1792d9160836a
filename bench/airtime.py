"""Modelled air time of a sync at the LE 1M PHY, from the real notification sizes.

Assumptions (stated in RESULTS.md beside the figures):
- 1M PHY: 1 us per bit, 8 us per byte.
- Every LL data packet: preamble 1 + access address 4 + LL header 2 + MIC 4 (the link is
  encrypted after bonding) + CRC 3 = 14 bytes around the LL payload.
- A notification's LL payload: L2CAP header 4 + ATT opcode and handle 3 + the value; when
  it exceeds the LL payload limit (27 bytes without Data Length Extension, 251 with) it is
  fragmented into more LL packets.
- Each data packet is answered by an empty packet (an empty PDU carries no MIC:
  1+4+2+3 = 10 bytes), 150 us apart (T_IFS) both ways. Control-point writes (READ,
  ACK) ride in the central's packets and get a write response back: both counted as
  extra packets.
- Connection interval 30 ms; at most N data packets per connection event (4 or 6), a
  conservative model of what phones and ESP32/NimBLE stacks schedule.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

US_PER_BYTE = 8
T_IFS_US = 150
LL_WRAP = 1 + 4 + 2 + 4 + 3  # preamble, access address, header, MIC, CRC
EMPTY_PDU = 1 + 4 + 2 + 3  # an empty PDU has no MIC
L2CAP_ATT = 4 + 3
CONN_INTERVAL_MS = 30.0


@dataclass
class AirTime:
    ll_packets: int
    radio_us: float  # time on air incl. empty acks and inter-frame spaces
    transfer_s: float  # wall time on the connection-event schedule
    bytes_on_air: int


def ll_fragments(value_len: int, ll_payload_max: int) -> list[int]:
    """LL payload sizes carrying one ATT PDU of value_len bytes."""
    total = L2CAP_ATT + value_len
    n = math.ceil(total / ll_payload_max)
    return [min(ll_payload_max, total - k * ll_payload_max) for k in range(n)]


def model(values: list[int], writes: int, ll_payload_max: int, per_event: int,
          interval_ms: float = CONN_INTERVAL_MS) -> AirTime:
    """values: the notification value sizes (segment byte + message bytes) of the sync;
    writes: control-point writes with response the central sent."""
    packets = 0
    on_air_bytes = 0
    radio = 0.0
    exchange_empty = EMPTY_PDU * US_PER_BYTE + 2 * T_IFS_US
    for v in values:
        for frag in ll_fragments(v, ll_payload_max):
            b = LL_WRAP + frag
            packets += 1
            on_air_bytes += b + EMPTY_PDU
            radio += b * US_PER_BYTE + exchange_empty
    # a write (<= 20-byte value) and its 1-byte-value response: one data packet each way
    for _ in range(writes):
        for b in (LL_WRAP + L2CAP_ATT + 9, LL_WRAP + 4 + 1):
            packets += 1
            on_air_bytes += b + EMPTY_PDU
            radio += b * US_PER_BYTE + exchange_empty
    events = math.ceil(packets / per_event)
    return AirTime(packets, radio, events * interval_ms / 1000, on_air_bytes)
