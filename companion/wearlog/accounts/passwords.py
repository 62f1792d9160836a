"""Password hashing with Argon2id (argon2-cffi): slow on purpose, salted, self-describing."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from wearlog.accounts.errors import WeakPasswordError

MIN_LENGTH = 12
MAX_LENGTH = 256

_hasher = PasswordHasher()  # library defaults follow RFC 9106's recommendations

# A real hash to verify against when the user does not exist, so the time taken
# does not reveal which usernames are registered.
_DUMMY_HASH = _hasher.hash("wearlog-dummy-password-for-timing")


def check_policy(password: str) -> None:
    """Length is what matters (NIST SP 800-63B); no composition rules."""
    if not isinstance(password, str) or len(password) < MIN_LENGTH:
        raise WeakPasswordError(f"password must have at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise WeakPasswordError(f"password must have at most {MAX_LENGTH} characters")
    if len(set(password)) < 4:
        raise WeakPasswordError("password must not be one or two characters repeated")


def hash_password(password: str) -> str:
    check_policy(password)
    return _hasher.hash(password)


def verify_password(pw_hash: str | None, password: str) -> bool:
    """True if password matches; always spends one Argon2 verification."""
    try:
        return _hasher.verify(pw_hash or _DUMMY_HASH, password) and pw_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(pw_hash: str) -> bool:
    return _hasher.check_needs_rehash(pw_hash)
