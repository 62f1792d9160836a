"""`wearlog user ...` and `wearlog token ...`: dashboard accounts and device upload tokens."""

from __future__ import annotations

import datetime as dt
import os

import click

from wearlog.accounts import AccountError, Users, create_token, list_tokens, revoke_token
from wearlog.accounts.users import ROLES
from wearlog.commands.options import db_option
from wearlog.store import Store, StoreError, resolve_db_path

PASSWORD_ENV = "WEARLOG_PASSWORD"


def _open(db_path: str | None) -> Store:
    return Store(resolve_db_path(db_path))


def _password(prompt: bool) -> str:
    """From $WEARLOG_PASSWORD (scripts, tests) or a hidden prompt typed twice."""
    env = os.environ.get(PASSWORD_ENV)
    if env:
        return env
    if not prompt:
        raise click.UsageError(f"no password: set ${PASSWORD_ENV} or run interactively")
    return str(click.prompt("Password (12+ characters)", hide_input=True,
                            confirmation_prompt=True))


def _fail(e: Exception) -> click.ClickException:
    return click.ClickException(str(e))


@click.group()
def user() -> None:
    """Dashboard accounts (clinician or admin). There is no default account.

    Example: wearlog user add dr.lee --role admin
    """


@user.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), default="clinician", show_default=True)
@click.option("--one-time", is_flag=True,
              help="The user must choose their own password at first sign-in.")
@db_option
def user_add(username: str, role: str, one_time: bool, db_path: str | None) -> None:
    """Create an account; the password is prompted for (or read from $WEARLOG_PASSWORD)."""
    with _open(db_path) as store:
        try:
            Users(store.conn).add(username, role, _password(prompt=True), must_change=one_time)
        except AccountError as e:
            raise _fail(e) from e
    click.echo(f"added {role} {username}")


@user.command("list")
@db_option
def user_list(db_path: str | None) -> None:
    """Accounts, roles and assigned patients."""
    with _open(db_path) as store:
        for u in Users(store.conn).list_users():
            patients = ", ".join(u["patients"]) or "-"  # type: ignore[arg-type]
            click.echo(f"{u['username']}\t{u['role']}\t{patients}")


@user.command("remove")
@click.argument("username")
@db_option
def user_remove(username: str, db_path: str | None) -> None:
    """Delete an account and its assignments (its sessions stop working)."""
    with _open(db_path) as store:
        try:
            Users(store.conn).remove(username)
        except AccountError as e:
            raise _fail(e) from e
    click.echo(f"removed {username}")


@user.command("assign")
@click.argument("username")
@click.argument("patient_ids", nargs=-1, required=True)
@click.option("--remove", is_flag=True, help="Unassign instead.")
@db_option
def user_assign(username: str, patient_ids: tuple[str, ...], remove: bool,
                db_path: str | None) -> None:
    """Let a clinician see these patients (or, with --remove, no longer).

    Example: wearlog user assign dr.lee P-0042 P-0043
    """
    with _open(db_path) as store:
        users = Users(store.conn)
        try:
            for pid in patient_ids:
                if remove:
                    users.unassign(username, pid)
                else:
                    users.assign(username, pid)
        except AccountError as e:
            raise _fail(e) from e
    click.echo(f"{'unassigned' if remove else 'assigned'} {', '.join(patient_ids)} "
               f"{'from' if remove else 'to'} {username}")


@user.command("passwd")
@click.argument("username")
@db_option
def user_passwd(username: str, db_path: str | None) -> None:
    """Set a new password; the user's open sessions are signed out."""
    with _open(db_path) as store:
        try:
            Users(store.conn).set_password(username, _password(prompt=True))
        except AccountError as e:
            raise _fail(e) from e
    click.echo(f"password changed for {username}")


@click.group()
def token() -> None:
    """Device upload tokens for home sync (one device, one patient, revocable).

    Example: wearlog token create 4242 --label "home laptop"
    """


@token.command("create")
@click.argument("device_id", type=int)
@click.option("--label", help="Where the token is used, for your records.")
@db_option
def token_create(device_id: int, label: str | None, db_path: str | None) -> None:
    """Print a new token once; only its hash is stored."""
    with _open(db_path) as store:
        try:
            value = create_token(store.conn, device_id, label)
        except (AccountError, StoreError) as e:
            raise _fail(e) from e
    click.echo(value)
    click.echo("Store it now: it cannot be shown again.", err=True)


@token.command("revoke")
@click.argument("token_id")
@db_option
def token_revoke(token_id: str, db_path: str | None) -> None:
    """Refuse a token from now on (give its id or the whole token)."""
    with _open(db_path) as store:
        try:
            revoke_token(store.conn, token_id)
        except AccountError as e:
            raise _fail(e) from e
    click.echo(f"revoked {token_id}")


@token.command("list")
@db_option
def token_list(db_path: str | None) -> None:
    """Token ids, devices, patients and state (never the tokens themselves)."""
    with _open(db_path) as store:
        for t in list_tokens(store.conn):
            state = "revoked" if t["revoked_utc"] else "active"
            used = t["last_used_utc"]
            last = (dt.datetime.fromtimestamp(used, dt.UTC).strftime("%Y-%m-%d %H:%M")
                    if isinstance(used, int) else "never")
            click.echo(f"{t['token_id']}\tdevice {t['device_id']}\t{t['patient_id']}\t{state}"
                       f"\tlast used {last}\t{t['label'] or ''}")
