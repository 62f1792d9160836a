"""`wearlog db`: copy a clinic database between SQLite and PostgreSQL, verified; compact a
SQLite file."""

from __future__ import annotations

import click

from wearlog.commands.options import db_option, open_store


@click.group()
def db() -> None:
    """Database maintenance: copy a clinic between a SQLite file and PostgreSQL; compact."""


@db.command("copy")
@click.argument("src")
@click.argument("dest")
@click.option("--merge", is_flag=True,
              help="Add to a destination that already holds rows (only what it lacks; "
                   "also resumes an interrupted copy).")
def copy(src: str, dest: str, merge: bool) -> None:
    """Copy every table of SRC into DEST and verify row counts and checksums.

    SRC and DEST are SQLite files or postgresql://USER@HOST/DB URLs. The source is
    only read; the destination is created and migrated as needed. Example:
    wearlog db copy clinic.db postgresql://wearlog@db.example.org/wearlog
    """
    from wearlog.store import Store, StoreError, location
    from wearlog.store.copy import CopyError, copy_database
    from wearlog.store.pg import redact

    s_loc, d_loc = location(src), location(dest)
    if not s_loc.exists():
        raise click.ClickException(f"no database at {src}: check the path")
    if str(s_loc) == str(d_loc):
        raise click.ClickException("source and destination are the same database")
    try:
        with Store(s_loc) as s, Store(d_loc) as d:
            result = copy_database(s, d, merge=merge)
    except CopyError as e:
        raise click.ClickException(str(e)) from e
    except StoreError as e:
        raise click.ClickException(str(e)) from e
    bad = [t.table for t in result if t.checksum_ok is False]
    for t in result:
        check = {True: "verified", False: "MISMATCH", None: "merged"}[t.checksum_ok]
        click.echo(f"{t.table:20} {t.source_rows:>10} rows  {t.copied:>10} copied  {check}")
    if bad:
        raise click.ClickException(
            f"{', '.join(bad)} differ after the copy: the destination is incomplete; run the "
            "copy again with --merge, and report this if it persists")
    click.echo(f"copied {sum(t.copied for t in result)} rows to "
               f"{redact(dest) if isinstance(d_loc, str) else dest}")


@db.command("compact")
@db_option
def compact(db_path: str | None) -> None:
    """Give a SQLite database's unused space back to the disk (after an upgrade, say).

    Every record is kept; run it while no sync, app or dashboard has the file open.
    """
    from wearlog.store import StoreError

    store = open_store(db_path, must_exist=True)
    try:
        before, after = store.compact()
    except StoreError as e:
        raise click.ClickException(str(e)) from e
    finally:
        store.close()
    click.echo(f"{store.path}: {before / 1e6:.1f} MB -> {after / 1e6:.1f} MB "
               f"({(before - after) / 1e6:.1f} MB given back); every record kept")
