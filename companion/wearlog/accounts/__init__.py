"""Dashboard accounts: users and roles, password hashing, device tokens, audit, secrets."""

from wearlog.accounts.audit import audit, audit_entries
from wearlog.accounts.errors import (
    AccountError,
    BadCredentialsError,
    DuplicateUserError,
    InvalidTokenError,
    RevokedTokenError,
    TokenError,
    UnknownUserError,
    WeakPasswordError,
)
from wearlog.accounts.secret import ENV_SECRET, load_or_create_secret
from wearlog.accounts.tokens import (
    DeviceToken,
    create_token,
    list_tokens,
    revoke_token,
    verify_token,
)
from wearlog.accounts.users import ROLES, User, Users

__all__ = [
    "ENV_SECRET",
    "ROLES",
    "AccountError",
    "BadCredentialsError",
    "DeviceToken",
    "DuplicateUserError",
    "InvalidTokenError",
    "RevokedTokenError",
    "TokenError",
    "UnknownUserError",
    "User",
    "Users",
    "WeakPasswordError",
    "audit",
    "audit_entries",
    "create_token",
    "list_tokens",
    "load_or_create_secret",
    "revoke_token",
    "verify_token",
]
