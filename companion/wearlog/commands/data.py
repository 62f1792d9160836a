"""`wearlog report`, `import`, `export`, `backup`, `restore`: store and analysis in a shell."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import click

from wearlog.commands.options import TIME_ZONE, db_option
from wearlog.education import DISCLAIMER
from wearlog.store import resolve_db_path


def _open(db_path: str | None, must_exist: bool = True):
    from wearlog.store import Store

    path = resolve_db_path(db_path)
    if must_exist and not path.exists():
        raise click.ClickException(f"no database at {path}: sync or import data first, "
                                   "or pass --db / set WEARLOG_DB")
    return Store(path)


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
@click.option("--rhythm-partial-days", is_flag=True,
              help="Rhythm of imported counts over the whole recording, partial first and "
              "last days included (pyActigraphy's convention); default: whole days only.")
@db_option
def report(patient_id: str, nights: int, rhythm_partial_days: bool, db_path: str | None) -> None:
    """Nightly and daily summary of one patient (recomputed from the stored epochs).

    Example: wearlog report --patient P-0042 --nights 14
    """
    from rich.console import Console
    from rich.table import Table

    from wearlog.analysis import analyse_patient
    from wearlog.analysis.errors import AnalysisError
    from wearlog.education import INSUFFICIENT, evaluate, linked_topics, record_links
    from wearlog.imports import count_rhythm, count_sleep
    from wearlog.store import StoreError

    store = _open(db_path)
    counted_note = ""
    try:
        try:
            s = analyse_patient(store, patient_id)
        except (StoreError, AnalysisError) as e:
            raise click.ClickException(str(e)) from e
        try:
            counted = count_sleep(store, patient_id)
        except AnalysisError as e:  # counts we cannot score: say why, show the rest
            counted, counted_note = [], str(e)
        crhythm = count_rhythm(store, patient_id, partial_days=rhythm_partial_days)
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
                   _hhmm(n["midsleep_local"]),
                   "yes" if n["valid"] else f"no: {n['reason']}" if n.get("reason") else "no")
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
    if crhythm.get("IS") is not None:
        span = "whole recording" if crhythm["partial_days"] else "whole days"
        con.print(f"Rhythm of imported counts over {crhythm['n_days']:.1f} days ({span}): "
                  f"IS {crhythm['IS']:.2f}  IV {crhythm['IV']:.2f}  RA {crhythm['RA']:.2f}  "
                  f"L5 {crhythm['L5']:.1f} from {_hhmm(crhythm['L5_onset'])}  "
                  f"M10 {crhythm['M10']:.1f} from {_hhmm(crhythm['M10_onset'])} (counts/epoch)")
    elif crhythm.get("n_days"):
        con.print(f"Rhythm of imported counts: {crhythm['reason']}.")
    if counted_note:
        con.print(f"Count-based sleep: not scored ({counted_note}).")
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
@click.option("--format", "fmt", type=click.Choice(["epochs", "raw", "awd", "device"]),
              default="epochs", show_default=True,
              help="epochs: timestamp + enmo/counts [+ angle]; "
              "raw: t, x, y, z in g (through the firmware's feature code); "
              "awd: an Actiwatch .AWD file (activity counts); "
              "device: Axivity .cwa, GENEActiv .bin, ActiGraph .gt3x through actipy "
              "(installed separately) and the firmware's feature code.")
@click.option("--tz", default=None, type=TIME_ZONE,
              help="IANA time zone; creates the patient if new (after the file was read).")
@click.option("--time-format", default=None, metavar="STRPTIME",
              help="Layout of the time column when it is not ISO 8601 or Unix seconds, "
              "e.g. '%d/%m/%Y %H:%M:%S' for day-first dates.")
@click.option("--enmo-unit", type=click.Choice(["mg", "g"]), default="mg", show_default=True,
              help="Unit of the enmo column.")
@click.option("--no-unit-check", is_flag=True,
              help="Accept ENMO values that look like the other unit (see docs).")
@db_option
def import_(path: str, patient_id: str, fmt: str, tz: str | None, time_format: str | None,
            enmo_unit: str, no_unit_check: bool, db_path: str | None) -> None:
    """Import a researcher's file for one patient; re-importing adds only new epochs.

    The whole file is read and checked first; nothing changes (not even the patient or
    its time zone) unless it all imports. The same data under another file name is
    stored once.

    Example: wearlog import study/P-0042.csv --patient P-0042 --tz Europe/Berlin
    """
    from wearlog.imports import (
        EpochOptions,
        ImportDataError,
        import_awd,
        import_epoch_csv,
        import_raw_csv,
    )
    from wearlog.store import StoreError

    if time_format is not None and fmt in ("awd", "device"):
        raise click.ClickException("--time-format applies to CSV files only")
    store = _open(db_path, must_exist=False)
    try:
        if fmt == "epochs":
            opts = EpochOptions(time_format, enmo_unit, not no_unit_check)
            res = import_epoch_csv(store, patient_id, Path(path), tz=tz, options=opts)
        elif fmt == "raw":
            res = import_raw_csv(store, patient_id, Path(path), tz=tz, time_format=time_format)
        elif fmt == "awd":
            res = import_awd(store, patient_id, Path(path), tz=tz)
        else:
            from wearlog.imports.device_raw import import_device_file

            res = import_device_file(store, patient_id, Path(path), tz=tz)
    except (ImportDataError, StoreError) as e:
        raise click.ClickException(f"{e} (nothing was imported)") from e
    finally:
        store.close()
    agg = ""
    if res.source_epoch_s and res.source_epoch_s != res.epoch_s:
        agg = f", aggregated from {res.source_epoch_s}-s epochs"
        if res.incomplete:
            agg += f"; {res.incomplete} of them at gaps or the file's edges are partial"
    click.echo(f"{res.new} new of {res.rows} epochs ({res.kind}, {res.epoch_s} s{agg}) "
               f"into device {res.device_id} for {patient_id}")


@click.command()
@click.option("--patient", "patient_id", required=True, help="Pseudonymous patient ID.")
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False),
              help="CSV file to write ('-' for standard output).")
@db_option
def export(patient_id: str, out_path: str, db_path: str | None) -> None:
    """Per-epoch sleep/wake, wear and sleep-period membership as CSV (for researchers).

    Columns: utc, local_time, worn (0/1), in_sleep_period (0/1), sleep (1 asleep,
    0 awake, empty where not scored). Scored as `wearlog report` scores.

    Example: wearlog export --patient P-0042 --out P-0042-epochs.csv
    """
    from wearlog.analysis import analyse_patient
    from wearlog.analysis.errors import AnalysisError
    from wearlog.export.epoch_states import write_epoch_states
    from wearlog.store import StoreError

    store = _open(db_path)
    try:
        s = analyse_patient(store, patient_id)
    except (StoreError, AnalysisError) as e:
        raise click.ClickException(str(e)) from e
    finally:
        store.close()
    if s.epochs is None:
        raise click.ClickException(f"{patient_id} has no epochs placed in time yet: nothing "
                                   "to export")
    tz = ZoneInfo(s.tz)
    if out_path == "-":
        n = write_epoch_states(sys.stdout, s.epochs, tz)
    else:
        try:
            with open(out_path, "w", newline="", encoding="utf-8") as f:
                n = write_epoch_states(f, s.epochs, tz)
        except OSError as e:
            raise click.ClickException(f"cannot write {out_path}: {e.strerror}") from e
        click.echo(f"wrote {n} epochs of {patient_id} to {out_path}")


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
@db_option
def restore(src: str, db_path: str | None) -> None:
    """Merge a backup into the database: adds what is missing, overwrites nothing.

    Example: wearlog restore ~/wearlog-backups/2026-11-24.db
    """
    from wearlog.store import StoreError

    store = _open(db_path, must_exist=False)
    try:
        added = store.restore(src)
    except StoreError as e:
        raise click.ClickException(str(e)) from e
    finally:
        store.close()
    parts = ", ".join(f"{v} {k}" for k, v in added.items() if v)
    click.echo(f"restored: {parts or 'nothing new'}")
