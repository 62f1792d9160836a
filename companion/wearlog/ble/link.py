"""The sync protocol spoken over bleak's API (any backend: BlueZ, CoreBluetooth,
WinRT on a real board; bumble for a virtual wearable)."""

from __future__ import annotations

import asyncio
import secrets as pysecrets
from typing import Any

from bleak import BleakClient

from wearlog.ble.errors import (
    AuthFailedError,
    DeviceBusyError,
    DeviceRefusedError,
    NotPairedError,
    ProtocolMismatchError,
    TransferInterruptedError,
)
from wlproto import auth, frames
from wlproto import const as C
from wlproto.errors import ProtocolError, VersionError
from wlproto.segments import Reassembler

STATUS_TEXT = {
    C.ST_BAD_REQUEST: "the device could not decode the command",
    C.ST_NOT_AUTHENTICATED: "not authenticated",
    C.ST_AUTH_FAILED: "authentication failed",
    C.ST_BAD_VERSION: "the device speaks another protocol version",
    C.ST_OUT_OF_RANGE: "sequence number outside what the device holds",
    C.ST_BUSY: "another computer is syncing this device",
    C.ST_NOT_PAIRING: "the device is already paired",
    C.ST_INTERNAL: "the device reported an internal error",
}


class WearlogLink:
    """Commands with replies on the control point; frames from the data characteristic."""

    def __init__(self, client: BleakClient, reply_timeout: float = 5.0) -> None:
        self.client = client
        self.reply_timeout = reply_timeout
        self._asm = (Reassembler(), Reassembler())
        self.replies: asyncio.Queue[frames.Reply | ProtocolError] = asyncio.Queue()
        self.frames: asyncio.Queue[frames.Frame | ProtocolError] = asyncio.Queue()
        self.bytes_in = 0
        self.notifications = 0
        self._started = False

    @property
    def connected(self) -> bool:
        """Whether the link is still up (how a drop is told from an error, whatever the
        bleak backend raised)."""
        return bool(self.client.is_connected)

    async def start(self) -> None:
        """Subscribe to replies and frames (once: a second subscription would double them)."""
        if self._started:
            return
        self._started = True
        await self.client.start_notify(C.CONTROL_UUID, self._on(0, self.replies))
        await self.client.start_notify(C.DATA_UUID, self._on(1, self.frames))

    def _on(self, which: int, queue: asyncio.Queue[Any]) -> Any:
        asm = self._asm[which]

        def cb(_char: Any, data: bytearray) -> None:
            self.bytes_in += len(data)
            self.notifications += 1
            try:
                msg = asm.feed(bytes(data))
                if msg is not None:
                    queue.put_nowait(frames.decode_message(msg))
            except ProtocolError as e:
                queue.put_nowait(e)

        return cb

    async def next_frame(self, timeout: float) -> frames.Frame | ProtocolError | None:
        """The next frame (or decode error); None on a stall. Notices a dropped link at once."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            if self.frames.empty() and not self.client.is_connected:
                raise TransferInterruptedError("the connection dropped")
            left = deadline - loop.time()
            if left <= 0:
                return None
            try:
                return await asyncio.wait_for(self.frames.get(), min(left, 0.1))
            except TimeoutError:
                continue

    async def command(self, op: int, payload: bytes = b"") -> frames.Reply:
        """Send one command and wait for its reply (stale replies are skipped)."""
        await self.client.write_gatt_char(C.CONTROL_UUID, frames.encode_command(op, payload),
                                          response=True)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.reply_timeout
        while True:
            left = deadline - loop.time()
            if left <= 0:
                raise TransferInterruptedError(
                    f"the device did not answer command 0x{op:02x} within "
                    f"{self.reply_timeout:.0f} s")
            try:
                r = await asyncio.wait_for(self.replies.get(), left)
            except TimeoutError:
                continue
            if isinstance(r, VersionError):
                raise ProtocolMismatchError(str(r)) from r
            if isinstance(r, ProtocolError):
                continue  # a damaged reply: the device resends nothing, keep waiting
            if r.opcode != op:
                continue
            if r.status == C.ST_BAD_VERSION:
                raise ProtocolMismatchError(STATUS_TEXT[C.ST_BAD_VERSION])
            return r

    async def checked(self, op: int, payload: bytes = b"") -> frames.Reply:
        r = await self.command(op, payload)
        if r.status == C.ST_BUSY:
            raise DeviceBusyError("another computer is syncing this device; try again later")
        if r.status != C.ST_OK:
            raise DeviceRefusedError(
                f"command 0x{op:02x}: {STATUS_TEXT.get(r.status, f'status {r.status}')}")
        return r

    async def read_status_characteristic(self) -> frames.Status:
        data = await self.client.read_gatt_char(C.STATUS_UUID)
        try:
            return frames.Status.decode(bytes(data))
        except VersionError as e:
            raise ProtocolMismatchError(str(e)) from e

    async def status(self) -> frames.Status:
        r = await self.checked(C.OP_STATUS)
        try:
            return frames.Status.decode(r.payload)
        except VersionError as e:
            raise ProtocolMismatchError(str(e)) from e

    async def authenticate(self, secret: bytes) -> None:
        cn = pysecrets.token_bytes(C.NONCE_SIZE)
        r = await self.command(C.OP_AUTH_BEGIN, cn)
        if r.status == C.ST_AUTH_FAILED:
            raise NotPairedError(
                "the device has no pairing (it was reset or forgotten): run `wearlog pair`")
        if r.status != C.ST_OK or len(r.payload) != 2 * C.NONCE_SIZE:
            raise AuthFailedError("the device gave no valid challenge")
        dn, proof = r.payload[: C.NONCE_SIZE], r.payload[C.NONCE_SIZE:]
        if not auth.equal(proof, auth.device_proof(secret, cn, dn)):
            raise AuthFailedError(
                "the device could not prove it holds our pairing key: it was re-paired "
                "elsewhere or is not the device you paired; run `wearlog pair` again")
        r = await self.command(C.OP_AUTH_PROVE, auth.central_proof(secret, cn, dn))
        if r.status != C.ST_OK:
            raise AuthFailedError("the device refused our pairing key: run `wearlog pair` again")

    async def pair(self) -> bytes:
        """Give the device a fresh secret (it must be in pairing mode); returns it."""
        secret = pysecrets.token_bytes(C.SECRET_SIZE)
        r = await self.command(C.OP_PAIR, secret)
        if r.status == C.ST_NOT_PAIRING:
            raise DeviceRefusedError(
                "the device is already paired with another computer; unpair it there "
                "(`wearlog unpair`) first")
        if r.status != C.ST_OK:
            raise DeviceRefusedError(f"pairing refused: {STATUS_TEXT.get(r.status, r.status)}")
        return secret

    async def set_time(self, utc: int) -> tuple[int, bool]:
        r = await self.checked(C.OP_SET_TIME, frames.u32_payload(utc))
        return frames.parse_set_time_reply(r.payload)

    async def read(self, from_seq: int, window: int) -> frames.Reply:
        return await self.command(C.OP_READ, frames.read_payload(from_seq, window))

    async def ack(self, seq: int) -> None:
        await self.checked(C.OP_ACK, frames.u32_payload(seq))
