"""Exceptions of the web package: one root, specific subclasses."""

from __future__ import annotations


class WebError(Exception):
    """Base class for dashboard set-up problems."""


class ConfigError(WebError, ValueError):
    """A setting the server cannot start with (e.g. a database path that does not exist)."""
