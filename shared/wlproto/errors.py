# One exception root for the protocol. Each subclass says what went wrong in
# words a user (or a log reader) can act on. ValueError so generic callers that
# catch bad input still catch these.


class ProtocolError(ValueError):
    """Base class: bytes from the other side could not be trusted."""


class TruncatedError(ProtocolError):
    """Fewer bytes arrived than the header promises."""


class OversizeError(ProtocolError):
    """More bytes arrived than the header allows."""


class VersionError(ProtocolError):
    """The peer speaks another protocol version."""

    def __init__(self, got, expected):
        super().__init__(
            "peer speaks Wearlog protocol v%d, this side speaks v%d: "
            "update the %s"
            % (got, expected, "companion" if got > expected else "wearable firmware"),
        )
        self.got = got
        self.expected = expected


class CrcError(ProtocolError):
    """The CRC does not match: the bytes were corrupted on the way."""


class MalformedError(ProtocolError):
    """Intact bytes (CRC good) whose content breaks the contract."""


class SegmentError(ProtocolError):
    """Notification segments arrived out of order, duplicated or lost."""


class EncodeError(ValueError):
    """A value does not fit the wire layout (a bug on the sending side)."""
