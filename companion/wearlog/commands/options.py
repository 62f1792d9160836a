"""Options shared by several commands (one definition, so help texts agree)."""

from __future__ import annotations

import click

from wearlog.store import Store, StoreError, resolve_db_path

db_option = click.option(
    "--db", "db_path", type=click.Path(dir_okay=False), envvar="WEARLOG_DB",
    help="Database file (default: $WEARLOG_DB or the per-user data directory).",
)

virtual_option = click.option(
    "--virtual", "virtual", metavar="HOST:PORT", envvar="WEARLOG_VIRTUAL",
    help="Reach a virtual wearable (`wearlog device virtual`) instead of Bluetooth.",
)


def open_store(db_path: str | None, must_exist: bool = False) -> Store:
    """The store at --db; a file it cannot own (newer, foreign) is refused in one line, and
    with `must_exist` a missing one (a command that only reads or rewrites data)."""
    path = resolve_db_path(db_path)
    if must_exist and not path.exists():
        raise click.ClickException(f"no database at {path}: sync or import data first, "
                                   "or pass --db / set WEARLOG_DB")
    try:
        return Store(path)
    except StoreError as e:
        raise click.ClickException(str(e)) from e


class _TimeZone(click.ParamType):
    """An IANA zone name, checked when the command line is read (before any radio or file)."""

    name = "ZONE"

    def convert(self, value: object, param: click.Parameter | None,
                ctx: click.Context | None) -> str:
        from wearlog.store.patients import check_timezone

        try:
            return check_timezone(str(value))
        except StoreError as e:
            self.fail(str(e), param, ctx)


class _NewPatientId(click.ParamType):
    """A patient id a command may create: it must follow the documented pattern."""

    name = "PATIENT"

    def convert(self, value: object, param: click.Parameter | None,
                ctx: click.Context | None) -> str:
        from wearlog.store.patients import check_patient_id

        try:
            return check_patient_id(str(value))
        except StoreError as e:
            self.fail(str(e), param, ctx)


TIME_ZONE = _TimeZone()
NEW_PATIENT_ID = _NewPatientId()
