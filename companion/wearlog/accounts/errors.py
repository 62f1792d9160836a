"""Exceptions of the accounts package: one root, specific subclasses a user can act on."""

from __future__ import annotations


class AccountError(Exception):
    """Base class for everything account management refuses to do."""


class UnknownUserError(AccountError, LookupError):
    """A username that was never added with `wearlog user add`."""


class DuplicateUserError(AccountError, ValueError):
    """`user add` for a username that already exists."""


class WeakPasswordError(AccountError, ValueError):
    """A password that does not meet the minimum policy."""


class BadUsernameError(AccountError, ValueError):
    """A username with characters or a length the dashboard does not accept."""


class BadRoleError(AccountError, ValueError):
    """A role other than 'clinician' or 'admin'."""


class BadCredentialsError(AccountError):
    """Wrong username or password (deliberately not saying which)."""


class TokenError(AccountError):
    """Base for device-token problems."""


class InvalidTokenError(TokenError):
    """A token that is malformed or matches no stored token."""


class RevokedTokenError(TokenError):
    """A token that existed but was revoked."""


class NoSuchPatientError(AccountError, LookupError):
    """Assigning a patient ID that is not in the database."""
