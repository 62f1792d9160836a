"""`wearlog report`, `import`, `backup`, `restore`: the store and analysis from the shell."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import click

from wearlog.commands.options import db_option
from wearlog.education import DISCLAIMER
from wearlog.store import resolve_db_path


def _open(db_path: str | None, must_exist: bool = True):
    from wearlog.commands.options import open_store

    path = resolve_db_path(db_path)
    if must_exist and not path.exists():
        raise click.ClickException(f"no database at {path}: sync or import data first, "
                                   "or pass --db / set WEARLOG_DB")
    return open_store(str(path))


def _fmt(v: float | None, nd: int = 0, scale: float = 1.0) -> str:
    if v is None:
        return "–"
    return f"{v / scale:.{nd}f}"


def _clock(utc: int | None, tz: ZoneInfo) -> str:
    return "–" if utc is None else dt.datetime.fromtimestamp(utc, tz).strftime("%H:%M")


def _hhmm(minutes: float | None) -> str:
    if minutes is None:
        return "–"
    m = int(round(minutes)) % 1440
    return f"{m // 60:02d}:{m % 60:02d}"


@click.command()
@click.option("--patient", "patient_id", required=True, help="Pseudonymous patient ID.")
@click.option("--nights", default=14, show_default=True, type=click.IntRange(1, 366),
              help="How many of the latest nights and days to show.")
@db_option
def report(patient_id: str, nights: int, db_path: str | None) -> None:
    """Nightly and daily summary of one patient (recomputed from the stored epochs).

    Example: wearlog report --patient P-0042 --nights 14
    """
    from rich.console import Console
    from rich.table import Table

    from wearlog.analysis import analyse_patient
    from wearlog.education import INSUFFICIENT, evaluate, linked_topics, record_links
    from wearlog.imports import count_sleep
    from wearlog.store import StoreError

    store = _open(db_path)
    try:
        try:
            s = analyse_patient(store, patient_id)
        except StoreError as e:
            raise click.ClickException(str(e)) from e
        counted = count_sleep(store, patient_id)
        findings = evaluate(s.nights, s.days, s.rhythm, audience="wearer")
        record_links(store.db, patient_id, findings)
    finally:
        store.close()
    tz = ZoneInfo(s.tz)
    # piped or captured output keeps full columns instead of the 80-column fallback
    con = Console() if sys.stdout.isatty() else Console(width=160)
    con.print(f"[bold]Wearlog report[/bold] {patient_id} (time zone {s.tz})")
    nt = Table(title=f"Nights (last {nights})", title_justify="left")
    for col in ("Night of", "Source", "In bed", "Up", "TIB h", "TST h", "SOL min", "WASO min",
                "SE %", "Awak.", "Mid-sleep", "Valid"):
        nt.add_column(col, justify="right" if col not in ("Night of", "Source") else "left")
    for n in s.nights[-nights:]:
        nt.add_row(n["night"], n["source"], _clock(n["onset_utc"], tz), _clock(n["offset_utc"], tz),
                   _fmt(n["tib_min"], 1, 60), _fmt(n["tst_min"], 1, 60), _fmt(n["sol_min"]),
                   _fmt(n["waso_min"]), _fmt(n["se_pct"]),
                   "–" if n["awakenings"] is None else str(n["awakenings"]),
                   _hhmm(n["midsleep_local"]), "yes" if n["valid"] else "no")
    con.print(nt)
    day_t = Table(title=f"Days (last {nights})", title_justify="left")
    for col in ("Day", "Steps", "Sedentary", "Light", "MVPA", "MVPA in bouts", "Longest active",
                "Naps", "Wear h", "Valid", "Symptoms", "Max sev."):
        day_t.add_column(col, justify="left" if col == "Day" else "right")
    for d in s.days[-nights:]:
        day_t.add_row(d["day"], str(d["steps"]), _fmt(d["sedentary_min"]), _fmt(d["light_min"]),
                      _fmt(d["mvpa_min"]), _fmt(d["mvpa_bout_min"]),
                      _fmt(d["longest_active_bout_min"]), _fmt(d["nap_min"]),
                      _fmt(d["wear_min"], 1, 60),
                      "yes" if d["valid"] else "[yellow]short wear[/yellow]",
                      str(d["symptom_events"]),
                      "–" if d["max_severity"] is None else str(d["max_severity"]))
    con.print(day_t)
    r = s.rhythm
    if r.get("IS") is not None:
        con.print(f"Rhythm over {r['n_valid_days']} valid days: IS {r['IS']:.2f}  "
                  f"IV {r['IV']:.2f}  RA {r['RA']:.2f}  L5 {r['L5']:.1f} mg from "
                  f"{_hhmm(r['L5_onset'])}  M10 {r['M10']:.1f} mg from {_hhmm(r['M10_onset'])}")
    else:
        con.print(f"Rhythm: needs 7 valid days, has {r.get('n_valid_days', 0)}.")
    if r.get("SRI") is not None:
        con.print(f"Sleep Regularity Index: {r['SRI']:.0f}")
    if counted:
        ct = Table(title="Count-based sleep (Cole-Kripke, imported counts)", title_justify="left")
        ct.add_column("Night of")
        ct.add_column("Scored asleep h", justify="right")
        for c in counted[-nights:]:
            ct.add_row(c["night"], _fmt(c["sleep_min"], 1, 60))
        con.print(ct)
    links = linked_topics(findings)
    if links:
        con.print("[bold]Educational topics linked to these findings[/bold]")
        for lt in links:
            con.print(f"  • [bold]{lt.topic.title}[/bold] ({lt.topic.id}): {lt.topic.summary}")
            for f in lt.findings:
                con.print(f"      because: {f.text}")
    else:
        con.print("No educational topic was linked: no rule found a pattern to point at.")
    short = [f.label for f in findings if f.status == INSUFFICIENT]
    if short:
        con.print(f"[dim]Not enough data yet to check: {', '.join(short)}.[/dim]")
    if s.unanchored_records:
        con.print(f"[yellow]{s.unanchored_records} records from before the clock was set "
                  "could not be placed in time yet; they are kept and will be placed after "
                  "the next sync.[/yellow]")
    con.print(f"[dim]{DISCLAIMER}[/dim]")


@click.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--patient", "patient_id", required=True, help="Pseudonymous patient ID.")
@click.option("--format", "fmt", type=click.Choice(["epochs", "raw"]), default="epochs",
              show_default=True, help="epochs: timestamp + enmo/counts [+ angle]; "
              "raw: t, x, y, z in g (through the firmware's feature code).")
@click.option("--tz", default=None, help="IANA time zone; creates the patient if new.")
@db_option
def import_(path: str, patient_id: str, fmt: str, tz: str | None, db_path: str | None) -> None:
    """Import a researcher's CSV file for one patient; re-importing adds only new epochs.

    Example: wearlog import study/P-0042.csv --patient P-0042 --tz Europe/Berlin
    """
    from wearlog.imports import ImportDataError, import_epoch_csv, import_raw_csv
    from wearlog.store import StoreError, UnknownPatientError

    store = _open(db_path, must_exist=False)
    try:
        try:
            store.patient(patient_id)
            if tz:
                store.add_patient(patient_id, tz)
        except UnknownPatientError:
            if not tz:
                raise click.ClickException(
                    f"no patient {patient_id!r}: pass --tz ZONE to create it") from None
            store.add_patient(patient_id, tz)
        fn = import_epoch_csv if fmt == "epochs" else import_raw_csv
        try:
            res = fn(store, patient_id, Path(path))
        except (ImportDataError, StoreError) as e:
            raise click.ClickException(f"{e} (nothing was imported)") from e
    finally:
        store.close()
    click.echo(f"{res.new} new of {res.rows} epochs ({res.kind}, {res.epoch_s} s) "
               f"into device {res.device_id} for {patient_id}")


# the command is named `import`, which Python reserves: register it under that name too
globals()["import"] = import_


@click.command()
@click.argument("dest", type=click.Path(dir_okay=False))
@db_option
def backup(dest: str, db_path: str | None) -> None:
    """Write a consistent copy of the database (safe while syncing).

    Example: wearlog backup ~/wearlog-backups/2026-11-24.db
    """
    from wearlog.store import StoreError

    store = _open(db_path)
    try:
        out = store.backup(dest)
        counts = store.counts()
    except StoreError as e:
        raise click.ClickException(str(e)) from e
    finally:
        store.close()
    click.echo(f"backed up {counts['epochs']} epochs, {counts['events']} events to {out}")


@click.command()
@click.argument("src", type=click.Path(exists=True, dir_okay=False))
@click.option("--with-accounts", is_flag=True,
              help="Also restore dashboard accounts, their patient lists, upload tokens, "
                   "pairing keys and the audit log (only from a backup you made yourself).")
@db_option
def restore(src: str, with_accounts: bool, db_path: str | None) -> None:
    """Merge a backup into the database: adds what is missing, overwrites nothing.

    Every row is checked first; a bad row restores nothing. Accounts and keys are
    left out unless --with-accounts. Example: wearlog restore ~/wearlog-backups/2026-11-24.db
    """
    from wearlog.store import StoreError
    from wearlog.store.backup import SKIPPED

    store = _open(db_path, must_exist=False)
    try:
        added = store.restore(src, with_accounts=with_accounts)
    except StoreError as e:
        raise click.ClickException(str(e)) from e
    finally:
        store.close()
    parts = ", ".join(f"{v} {k}" for k, v in added.items() if v and not k.startswith(SKIPPED))
    click.echo(f"restored: {parts or 'nothing new'}")
    held = ", ".join(f"{v} {k[len(SKIPPED):]}" for k, v in added.items()
                     if v and k.startswith(SKIPPED))
    if held:
        click.echo(f"not restored (accounts and keys; add --with-accounts to bring them): {held}")
