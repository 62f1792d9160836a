"""Accounts: password hashing and policy, users and assignments, tokens, secret file, CLI."""

from __future__ import annotations

import os
import stat

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from wearlog.accounts import (
    AccountError,
    BadCredentialsError,
    DuplicateUserError,
    InvalidTokenError,
    RevokedTokenError,
    UnknownUserError,
    Users,
    WeakPasswordError,
    create_token,
    list_tokens,
    load_or_create_secret,
    revoke_token,
    verify_token,
)
from wearlog.accounts.errors import BadRoleError, BadUsernameError, NoSuchPatientError
from wearlog.accounts.passwords import hash_password, verify_password
from wearlog.accounts.secret import ENV_SECRET, secret_path
from wearlog.accounts.users import check_username
from wearlog.cli import main
from wearlog.store import Store

PW = "correct horse battery staple"


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "w.db")
    s.add_patient("P-1")
    s.add_device(7, "P-1")
    yield s
    s.close()


def test_hash_is_argon2id_salted_and_verifies():
    h1, h2 = hash_password(PW), hash_password(PW)
    assert h1.startswith("$argon2id$") and h1 != h2
    assert verify_password(h1, PW)
    assert not verify_password(h1, PW + "!")
    assert not verify_password(None, PW)
    assert not verify_password("not a hash", PW)


@pytest.mark.parametrize("pw", ["short", "x" * 11, "ab" * 20, "y" * 300])
def test_weak_passwords_are_refused(pw):
    with pytest.raises(WeakPasswordError):
        hash_password(pw)


def test_user_lifecycle(store):
    users = Users(store.conn)
    users.add("dr.a", "clinician", PW)
    with pytest.raises(DuplicateUserError, match="passwd"):
        users.add("dr.a", "admin", PW)
    assert users.authenticate("dr.a", PW).role == "clinician"
    with pytest.raises(BadCredentialsError):
        users.authenticate("dr.a", "wrong password here")
    with pytest.raises(BadCredentialsError):
        users.authenticate("nobody", PW)
    users.assign("dr.a", "P-1")
    assert users.patients_of(users.get("dr.a")) == ["P-1"]
    with pytest.raises(NoSuchPatientError):
        users.assign("dr.a", "P-404")
    users.set_password("dr.a", "another good passphrase")
    users.authenticate("dr.a", "another good passphrase")
    users.remove("dr.a")
    with pytest.raises(UnknownUserError):
        users.get("dr.a")
    assert store.conn.execute("SELECT COUNT(*) FROM assignments").fetchone()[0] == 0


def test_no_default_account_exists(store):
    assert Users(store.conn).list_users() == []


def test_role_and_username_checks(store):
    users = Users(store.conn)
    with pytest.raises(BadRoleError):
        users.add("dr.a", "superuser", PW)
    with pytest.raises(BadUsernameError):
        users.add("Robert'); DROP TABLE users;--", "clinician", PW)


@settings(max_examples=200)
@given(st.text(max_size=80))
def test_usernames_either_valid_or_refused_with_a_specific_error(name):
    try:
        assert check_username(name) == name
    except BadUsernameError as e:
        assert "username" in str(e)
    else:
        assert name == name.strip().lower() and 2 <= len(name) <= 64


def test_admin_sees_all_clinician_only_assigned(store):
    store.add_patient("P-2")
    users = Users(store.conn)
    users.add("boss", "admin", PW)
    users.add("dr.a", "clinician", PW)
    users.assign("dr.a", "P-2")
    assert users.patients_of(users.get("boss")) == ["P-1", "P-2"]
    assert users.patients_of(users.get("dr.a")) == ["P-2"]
    assert users.can_access(users.get("dr.a"), "P-2")
    assert not users.can_access(users.get("dr.a"), "P-1")


def test_tokens_hashed_scoped_revocable(store):
    token = create_token(store.conn, 7, "home")
    t = verify_token(store.conn, token)
    assert (t.device_id, t.patient_id) == (7, "P-1")
    stored = store.conn.execute("SELECT token_hash FROM device_tokens").fetchone()[0]
    assert token.split("_", 2)[2] not in stored
    with pytest.raises(InvalidTokenError):
        verify_token(store.conn, token + "x")
    with pytest.raises(InvalidTokenError):
        verify_token(store.conn, "Bearer something")
    revoke_token(store.conn, t.token_id)
    with pytest.raises(RevokedTokenError):
        verify_token(store.conn, token)
    assert list_tokens(store.conn)[0]["revoked_utc"] is not None
    with pytest.raises(InvalidTokenError):
        revoke_token(store.conn, "doesnotexist")
    with pytest.raises(AccountError, match="no device 99"):
        create_token(store.conn, 99)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=120))
def test_random_strings_are_never_valid_tokens(tmp_path_factory, garbage):
    with Store(tmp_path_factory.mktemp("t") / "w.db") as s:
        s.add_patient("P")
        s.add_device(1, "P")
        create_token(s.conn, 1)
        with pytest.raises(InvalidTokenError):
            verify_token(s.conn, garbage)


def test_secret_created_once_with_mode_0600(tmp_path, monkeypatch):
    monkeypatch.delenv(ENV_SECRET, raising=False)
    db = tmp_path / "w.db"
    s1 = load_or_create_secret(db)
    assert len(s1) >= 32
    assert stat.S_IMODE(os.stat(secret_path(db)).st_mode) == 0o600
    assert load_or_create_secret(db) == s1
    os.chmod(secret_path(db), 0o644)
    with pytest.raises(AccountError, match="chmod 600"):
        load_or_create_secret(db)


def test_secret_from_env(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_SECRET, "s" * 40)
    assert load_or_create_secret(tmp_path / "w.db") == "s" * 40
    assert not secret_path(tmp_path / "w.db").exists()
    monkeypatch.setenv(ENV_SECRET, "short")
    with pytest.raises(AccountError, match="at least"):
        load_or_create_secret(tmp_path / "w.db")


def test_cli_user_and_token_commands(tmp_path):
    db = str(tmp_path / "cli.db")
    with Store(db) as s:
        s.add_patient("P-1")
        s.add_device(7, "P-1")
    run = CliRunner().invoke
    env = {"WEARLOG_PASSWORD": PW}
    r = run(main, ["user", "add", "dr.lee", "--role", "admin", "--db", db], env=env)
    assert r.exit_code == 0 and "added admin dr.lee" in r.output
    r = run(main, ["user", "add", "dr.lee", "--db", db], env=env)
    assert r.exit_code == 1 and "exists" in r.output
    r = run(main, ["user", "add", "dr.weak", "--db", db], env={"WEARLOG_PASSWORD": "short"})
    assert r.exit_code == 1 and "at least 12" in r.output
    r = run(main, ["user", "add", "dr.typed", "--db", db],
            input="typed passphrase ok\ntyped passphrase ok\n", env={"WEARLOG_PASSWORD": ""})
    assert r.exit_code == 0, r.output
    assert run(main, ["user", "assign", "dr.typed", "P-1", "--db", db]).exit_code == 0
    r = run(main, ["user", "assign", "dr.typed", "P-404", "--db", db])
    assert r.exit_code == 1 and "no patient" in r.output
    listing = run(main, ["user", "list", "--db", db]).output
    assert "dr.typed\tclinician\tP-1" in listing and "dr.lee\tadmin\t-" in listing
    r = run(main, ["user", "passwd", "dr.typed", "--db", db],
            env={"WEARLOG_PASSWORD": "new passphrase ok"})
    assert r.exit_code == 0
    r = run(main, ["token", "create", "7", "--label", "laptop", "--db", db])
    assert r.exit_code == 0
    token = r.stdout.strip().splitlines()[0]
    with Store(db) as s:
        assert verify_token(s.conn, token).patient_id == "P-1"
        assert Users(s.conn).authenticate("dr.typed", "new passphrase ok")
    token_id = token.split("_")[1]
    assert token_id in run(main, ["token", "list", "--db", db]).output
    assert run(main, ["token", "revoke", token_id, "--db", db]).exit_code == 0
    assert "revoked" in run(main, ["token", "list", "--db", db]).output
    assert run(main, ["user", "remove", "dr.typed", "--db", db]).exit_code == 0
    assert "dr.typed" not in run(main, ["user", "list", "--db", db]).output


@given(st.text(max_size=40))
def test_username_normalisation_is_one_spelling(raw):
    """Applying it twice changes nothing (the limiter and sign-in agree on every input)."""
    from wearlog.accounts.users import normalize_username

    once = normalize_username(raw)
    assert normalize_username(once) == once


@pytest.mark.parametrize("typed", ["dr.a", " dr.a", "DR.A", "dr.a\u00a0", "\u3000Dr.A\t",
                                   "\uff44\uff52.\uff41", "\u1d48r.a"])
def test_username_spellings_fold_to_one(typed):
    from wearlog.accounts.users import normalize_username

    assert normalize_username(typed) == "dr.a"
