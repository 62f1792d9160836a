"""Users, roles and patient assignments, stored in the Wearlog database (schema v4)."""

from __future__ import annotations

import re
import sqlite3
import time
import unicodedata
from dataclasses import dataclass

from wearlog.accounts import passwords
from wearlog.accounts.db import transaction
from wearlog.accounts.errors import (
    BadCredentialsError,
    BadRoleError,
    BadUsernameError,
    DuplicateUserError,
    NoSuchPatientError,
    UnknownUserError,
)
from wearlog.store.web_sessions import end_user_sessions

ROLES = ("clinician", "admin")
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")


@dataclass(frozen=True)
class User:
    username: str
    role: str
    session_gen: int
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

    def _write(self, sql: str, args: tuple[object, ...]) -> int:
        with transaction(self.conn):
            return self.conn.execute(sql, args).rowcount

    def add(self, username: str, role: str, password: str, must_change: bool = False) -> User:
        """A new account; must_change makes the password one-time (replaced at first sign-in)."""
        check_username(username)
        if role not in ROLES:
            raise BadRoleError(f"role must be one of {', '.join(ROLES)}, got {role!r}")
        pw_hash = passwords.hash_password(password)
        try:
            self._write(
                "INSERT INTO users (username, role, pw_hash, created_utc, must_change_pw) "
                "VALUES (?,?,?,?,?)",
                (username, role, pw_hash, int(time.time()), int(must_change)),
            )
        except sqlite3.IntegrityError as e:
            raise DuplicateUserError(
                f"user {username!r} exists: use `wearlog user passwd` to change the password"
            ) from e
        return User(username, role, 0, must_change)

    def get(self, username: str) -> User:
        row = self.conn.execute(
            "SELECT username, role, session_gen, must_change_pw FROM users WHERE username=?",
            (username,),
        ).fetchone()
        if row is None:
            raise UnknownUserError(f"no user {username!r}: add it with `wearlog user add`")
        return User(row[0], row[1], row[2], bool(row[3]))

    def list_users(self) -> list[dict[str, object]]:
        rows = self.conn.execute(
            "SELECT u.username, u.role, u.created_utc, "
            "(SELECT group_concat(patient_id, ',') FROM "
            " (SELECT patient_id FROM assignments a WHERE a.username=u.username "
            "  ORDER BY patient_id)) FROM users u ORDER BY u.username"
        )
        return [
            {"username": r[0], "role": r[1], "created_utc": r[2],
             "patients": r[3].split(",") if r[3] else []}
            for r in rows
        ]

    def remove(self, username: str) -> None:
        self.get(username)
        with transaction(self.conn):
            self.conn.execute("DELETE FROM assignments WHERE username=?", (username,))
            self.conn.execute("DELETE FROM users WHERE username=?", (username,))
            end_user_sessions(self.conn, username)

    def set_password(self, username: str, password: str, one_time: bool = False) -> None:
        """New hash, and every existing session of the user stops working; one_time: the
        user must replace it at the next sign-in."""
        self.get(username)
        pw_hash = passwords.hash_password(password)
        with transaction(self.conn):
            self.conn.execute(
                "UPDATE users SET pw_hash=?, session_gen=session_gen+1, must_change_pw=? "
                "WHERE username=?",
                (pw_hash, int(one_time), username),
            )
            end_user_sessions(self.conn, username)

    def authenticate(self, username: str, password: str) -> User:
        """The account for a typed username (normalised here) and its password."""
        username = normalize_username(username)
        row = self.conn.execute(
            "SELECT pw_hash FROM users WHERE username=?", (username,)
        ).fetchone()
        ok = passwords.verify_password(row[0] if row else None, password)
        if not ok:
            raise BadCredentialsError("wrong username or password")
        if passwords.needs_rehash(row[0]):
            self._write("UPDATE users SET pw_hash=? WHERE username=?",
                        (passwords.hash_password(password), username))
        return self.get(username)

    # --- patient assignments --------------------------------------------------
    def assign(self, username: str, patient_id: str) -> None:
        self.get(username)
        exists = self.conn.execute(
            "SELECT 1 FROM patients WHERE patient_id=?", (patient_id,)
        ).fetchone()
        if exists is None:
            raise NoSuchPatientError(
                f"no patient {patient_id!r} in this database: add the patient first"
            )
        self._write(
            "INSERT OR IGNORE INTO assignments (username, patient_id) VALUES (?,?)",
            (username, patient_id),
        )

    def unassign(self, username: str, patient_id: str) -> bool:
        self.get(username)
        return bool(self._write(
            "DELETE FROM assignments WHERE username=? AND patient_id=?", (username, patient_id)
        ))

    def patients_of(self, user: User) -> list[str]:
        """Patients the user may see: admins all, clinicians their assigned ones."""
        args: tuple[str, ...] = ()
        if user.is_admin:
            sql = "SELECT patient_id FROM patients ORDER BY patient_id"
        else:
            sql = (
                "SELECT a.patient_id FROM assignments a JOIN patients p USING (patient_id) "
                "WHERE a.username=? ORDER BY a.patient_id"
            )
            args = (user.username,)
        return [r[0] for r in self.conn.execute(sql, args)]

    def can_access(self, user: User, patient_id: str) -> bool:
        if user.is_admin:
            row = self.conn.execute(
                "SELECT 1 FROM patients WHERE patient_id=?", (patient_id,)
            ).fetchone()
        else:
            row = self.conn.execute(
                "SELECT 1 FROM assignments a JOIN patients p USING (patient_id) "
                "WHERE a.username=? AND a.patient_id=?",
                (user.username, patient_id),
            ).fetchone()
        return row is not None
