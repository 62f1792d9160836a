"""Exceptions of the export package: one root, specific subclasses."""

from __future__ import annotations


class ExportError(Exception):
    """Base class for everything an export or upload refuses to do."""


class UnknownTableError(ExportError, ValueError):
    """A CSV export of a table other than epochs, nights, days or events."""


class UploadError(ExportError):
    """Base for upload problems; `status` is the server's HTTP status when there was one."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class UploadUnreachableError(UploadError, ConnectionError):
    """The dashboard server could not be reached (network, DNS, TLS, timeout)."""


class UploadAuthError(UploadError, PermissionError):
    """The device token was refused (unknown, revoked, or for another device)."""


class UploadRejectedError(UploadError, ValueError):
    """The server refused the data itself (schema, size); nothing of that batch was stored."""
