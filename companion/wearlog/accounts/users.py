"""Users, roles and patient assignments, stored in the Wearlog database (schema v4)."""

from __future__ import annotations

import re
import sqlite3
import unicodedata
from dataclasses import dataclass

from wearlog.accounts import passwords
from wearlog.accounts.errors import (
    BadCredentialsError,
    BadRoleError,
    BadUsernameError,
    DuplicateUserError,
    NoSuchPatientError,
    UnknownUserError,
)
from wearlog.store import accounts as q

ROLES = ("clinician", "admin")
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")


@dataclass(frozen=True)
class User:
    username: str
    role: str
    # A one-time password (`user add --one-time`, the demo): choose one's own first.
    must_change_pw: bool = False

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def normalize_username(raw: str) -> str:
    """The one spelling of a typed username, for sign-in and the login limiter alike:
    Unicode-compatibility folded (full-width letters, no-break spaces), stripped, casefolded."""
    name = raw
    for _ in range(4):  # NFKC and casefold can each undo the other's form: to a fixed point
        folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())
        if folded.strip() == name:
            break
        name = folded.strip()
    return name


def check_username(username: str) -> str:
    if not isinstance(username, str) or not _USERNAME.match(username):
        raise BadUsernameError(
            f"username {username!r} must be 2-64 lower-case letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return username


class Users:
    """Account operations on one SQLite connection (the Store's, or the web app's)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def add(self, username: str, role: str, password: str, must_change: bool = False) -> User:
        """A new account; must_change makes the password one-time (replaced at first sign-in)."""
        check_username(username)
        if role not in ROLES:
            raise BadRoleError(f"role must be one of {', '.join(ROLES)}, got {role!r}")
        pw_hash = passwords.hash_password(password)
        try:
            q.insert_user(self.conn, username, role, pw_hash, must_change)
        except sqlite3.IntegrityError as e:
            raise DuplicateUserError(
                f"user {username!r} exists: use `wearlog user passwd` to change the password"
            ) from e
        return User(username, role, must_change)

    def get(self, username: str) -> User:
        row = q.user_row(self.conn, username)
        if row is None:
            raise UnknownUserError(f"no user {username!r}: add it with `wearlog user add`")
        return User(row[0], row[1], bool(row[2]))

    def list_users(self) -> list[dict[str, object]]:
        rows = q.user_rows(self.conn)
        return [
            {"username": r[0], "role": r[1], "created_utc": r[2],
             "patients": r[3].split(",") if r[3] else []}
            for r in rows
        ]

    def remove(self, username: str) -> None:
        self.get(username)
        q.delete_user(self.conn, username)

    def set_password(self, username: str, password: str, one_time: bool = False) -> None:
        """New hash, and every existing session of the user stops working; one_time: the
        user must replace it at the next sign-in."""
        self.get(username)
        pw_hash = passwords.hash_password(password)
        q.set_password_hash(self.conn, username, pw_hash, one_time=one_time)

    def authenticate(self, username: str, password: str) -> User:
        """The account for a typed username (normalised here) and its password."""
        username = normalize_username(username)
        stored = q.password_hash(self.conn, username)
        ok = passwords.verify_password(stored, password)
        if not ok or stored is None:
            raise BadCredentialsError("wrong username or password")
        if passwords.needs_rehash(stored):
            q.set_password_hash(self.conn, username, passwords.hash_password(password),
                                end_sessions=False)
        return self.get(username)

    # --- patient assignments --------------------------------------------------
    def assign(self, username: str, patient_id: str) -> None:
        self.get(username)
        if not q.patient_exists(self.conn, patient_id):
            raise NoSuchPatientError(
                f"no patient {patient_id!r} in this database: add the patient first"
            )
        q.assign(self.conn, username, patient_id)

    def unassign(self, username: str, patient_id: str) -> bool:
        self.get(username)
        return q.unassign(self.conn, username, patient_id)

    def patients_of(self, user: User) -> list[str]:
        """Patients the user may see: admins all, clinicians their assigned ones."""
        if user.is_admin:
            return q.all_patient_ids(self.conn)
        return q.assigned_patient_ids(self.conn, user.username)

    def can_access(self, user: User, patient_id: str) -> bool:
        if user.is_admin:
            return q.patient_exists(self.conn, patient_id)
        return q.is_assigned(self.conn, user.username, patient_id)
