"""Exceptions of the importers: every one names the file position a user must fix."""

from __future__ import annotations


class ImportDataError(Exception):
    """Base class: a file could not be imported (nothing of it was stored)."""


class BadCsvError(ImportDataError, ValueError):
    """A cell, row or header breaks the documented format; says where."""

    def __init__(self, path: str, line: int, column: str | None, message: str) -> None:
        where = f"{path}, line {line}" + (f", column {column!r}" if column else "")
        super().__init__(f"{where}: {message}")
        self.path = path
        self.line = line
        self.column = column


class FeatureCodeMissingError(ImportDataError, RuntimeError):
    """The firmware's feature code (wlfw.features) is not importable here."""
