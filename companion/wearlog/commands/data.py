"""`wearlog report`, `import`, `export`, `backup`, `restore`: store and analysis in a shell."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import click

from wearlog.commands.options import TIME_ZONE, db_option, open_store
from wearlog.education import DISCLAIMER


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


def _refresh_pending(store: Any, patient_id: str | None = None) -> list[Any]:
    """The refresh step for what is queued (also stored results of an earlier analysis
    method); failures are said, never raised."""
    from wearlog.pipeline import refresh, requeue_other_methods

    requeue_other_methods(store)
    if not store.pending(patient_id):
        return []
    results = refresh(store, patient_id)
    for r in results:
        if not r.ok:
            click.echo(f"analysis of {r.patient_id} failed ({r.error}); the records are kept "
                       "and it is retried at the next ingest or with `wearlog refresh`",
                       err=True)
    return results


@click.command()
@click.option("--patient", "patient_id", required=True, help="Pseudonymous patient ID.")
@click.option("--nights", "--days", "days", default=14, show_default=True,
              type=click.IntRange(1, 366),
              help="Range length in days, ending on the last day with data (or --end).")
@click.option("--end", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="Last day of the range (default: the last day with data).")
@click.option("--json", "as_json", is_flag=True,
              help="Print the summary as JSON: the same document as the dashboard's "
                   "/api/patients/P/summary.")
@click.option("--rhythm-partial-days", is_flag=True,
              help="Rhythm of imported counts over the whole recording, partial first and "
              "last days included (pyActigraphy's convention); default: whole days only.")
@db_option
def report(patient_id: str, days: int, end: dt.datetime | None, as_json: bool,
           rhythm_partial_days: bool, db_path: str | None) -> None:
    """Nightly and daily summary of one patient: the stored figures the dashboard shows.

    Example: wearlog report --patient P-0042 --days 30
    """
    import json

    from wearlog.pipeline.figures import summary_for
    from wearlog.store import StoreError

    store = open_store(db_path, must_exist=True)
    try:
        try:
            store.patient(patient_id)
            _refresh_pending(store, patient_id)  # records not analysed yet: now
            body = summary_for(store, patient_id, days, end.date() if end else None)
        except StoreError as e:
            raise click.ClickException(str(e)) from e
        # the refresh step stored the figures of imported counts (or why the counts
        # could not be scored): read, never computed here
        counted, counted_note = store.stored_count_sleep(patient_id)
        crhythm = store.stored_count_rhythm(patient_id, rhythm_partial_days) or {}
        unanchored = store.unanchored_count(patient_id)
    finally:
        store.close()
    if as_json:
        click.echo(body.decode() if isinstance(body, bytes) else json.dumps(
            body, separators=(",", ":")))
        return
    s = body if isinstance(body, dict) else json.loads(body)
    _print_report(s, counted, counted_note, crhythm, unanchored)


def _print_report(s: dict[str, Any], counted: list[dict[str, Any]], counted_note: str | None,
                  crhythm: dict[str, Any], unanchored: int) -> None:
    from rich.console import Console
    from rich.table import Table

    tz = ZoneInfo(s["tz"])
    # piped or captured output keeps full columns instead of the 80-column fallback
    con = Console() if sys.stdout.isatty() else Console(width=160)
    con.print(f"[bold]Wearlog report[/bold] {s['patient_id']} (time zone {s['tz']})")
    if s["analysis_status"] != "ok":
        con.print(f"[yellow]{s.get('analysis_reason')}[/yellow]")
        con.print(f"[dim]{DISCLAIMER}[/dim]")
        return
    con.print(f"{s['first_date']} to {s['last_date']} ({s['range_days']} days); "
              f"worn {_fmt(s['completeness_pct'], 1)} % of the monitored time")
    nt = Table(title="Nights (dated by the evening they begin)", title_justify="left")
    for col in ("Night of", "Source", "In bed", "Up", "TIB h", "TST h", "SOL min", "WASO min",
                "SE %", "Awak.", "Mid-sleep", "Valid"):
        nt.add_column(col, justify="right" if col not in ("Night of", "Source") else "left")
    for n in s["nights"]:
        nt.add_row(n["night"], n["source"], _clock(n["onset_utc"], tz), _clock(n["offset_utc"], tz),
                   _fmt(n["tib_min"], 1, 60), _fmt(n["tst_min"], 1, 60), _fmt(n["sol_min"]),
                   _fmt(n["waso_min"]), _fmt(n["se_pct"]),
                   "–" if n["awakenings"] is None else str(n["awakenings"]),
                   _hhmm(n["midsleep_local"]),
                   "yes" if n["valid"] else f"no: {n['reason']}" if n.get("reason") else "no")
    con.print(nt)
    day_t = Table(title="Days", title_justify="left")
    for col in ("Day", "Steps", "Sedentary", "Light", "MVPA", "MVPA in bouts", "Longest active",
                "Naps", "Wear h", "Valid", "Symptoms", "Max sev."):
        day_t.add_column(col, justify="left" if col == "Day" else "right")
    for d in s["days"]:
        day_t.add_row(d["day"], str(d["steps"]), _fmt(d["sedentary_min"]), _fmt(d["light_min"]),
                      _fmt(d["mvpa_min"]), _fmt(d["mvpa_bout_min"]),
                      _fmt(d["longest_active_bout_min"]), _fmt(d["nap_min"]),
                      _fmt(d["wear_min"], 1, 60),
                      "yes" if d["valid"] else "[yellow]short wear[/yellow]",
                      str(d["symptom_events"]),
                      "–" if d["max_severity"] is None else str(d["max_severity"]))
    con.print(day_t)
    m = s["means"]
    con.print(f"Means of valid nights/days: TST {_fmt(m['tst_min'])} min, "
              f"SE {_fmt(m['se_pct'], 1)} %, WASO {_fmt(m['waso_min'])} min, "
              f"SOL {_fmt(m['sol_min'])} min, steps "
              f"{_fmt(m['steps'])}, MVPA {_fmt(m['mvpa_min'])} min, sedentary "
              f"{_fmt(m['sedentary_min'])} min")
    r = s["rhythm"]
    if r.get("available"):
        con.print(f"Rhythm over {r['n_valid_days']} valid days: IS {r['IS']:.2f}  "
                  f"IV {r['IV']:.2f}  RA {r['RA']:.2f}  L5 {r['L5']:.1f} mg from "
                  f"{_hhmm(r['L5_onset'])}  M10 {r['M10']:.1f} mg from {_hhmm(r['M10_onset'])}")
    else:
        con.print(f"Rhythm: {r.get('reason')}.")
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
        # the title on its own line: as the table's title it wraps to the narrow table
        con.print("Count-based sleep (Cole-Kripke, imported counts)", style="italic")
        ct = Table()
        ct.add_column("Night of")
        ct.add_column("Scored asleep h", justify="right")
        for c in counted[-s["range_days"]:]:
            ct.add_row(c["night"], _fmt(c["sleep_min"], 1, 60))
        con.print(ct)
    items = s["findings"].get("items", [])
    if items:
        con.print("[bold]Educational topics linked to these findings[/bold]")
        for t in items:
            con.print(f"  • [bold]{t['title']}[/bold] ({t['topic_id']}): {t['summary']}")
            for f in t["findings"]:
                con.print(f"      because: {f}")
    elif s["findings"].get("available"):
        con.print("No educational topic was linked: no rule found a pattern to point at.")
    else:
        con.print(f"[dim]Educational links not available: {s['findings'].get('reason')}.[/dim]")
    if unanchored:
        con.print(f"[yellow]{unanchored} records from before the clock was set "
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
    from wearlog.store.imports import PartialImportError

    if time_format is not None and fmt in ("awd", "device"):
        raise click.ClickException("--time-format applies to CSV files only")
    store = open_store(db_path)
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
    except PartialImportError as e:  # a long import stopped between its transactions
        raise click.ClickException(str(e)) from e
    except (ImportDataError, StoreError) as e:
        store.close()
        raise click.ClickException(f"{e} (nothing was imported)") from e
    try:
        _refresh_pending(store, patient_id)  # the refresh step, right after the import
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
@click.argument("out_dir", required=False, type=click.Path(file_okay=False))
@click.option("--format", "fmt", type=click.Choice(["csv", "parquet"]), default="csv",
              show_default=True,
              help="csv: one patient's per-epoch states (--patient, --out); parquet: epochs, "
                   "events, nights and days of every patient (or each --patient) into "
                   "OUT_DIR, partitioned by patient.")
@click.option("--patient", "patient_id", multiple=True, help="Pseudonymous patient ID.")
@click.option("--out", "out_path", type=click.Path(dir_okay=False),
              help="CSV file to write ('-' for standard output).")
@db_option
def export(out_dir: str | None, fmt: str, patient_id: tuple[str, ...], out_path: str | None,
           db_path: str | None) -> None:
    """Per-epoch sleep/wake, wear and sleep-period membership as CSV (for researchers),
    or the stored records and results as Parquet for DuckDB, pandas, Polars or Spark.

    CSV columns: utc, local_time, worn (0/1), in_sleep_period (0/1), sleep (1 asleep,
    0 awake, empty where not scored). Scored as `wearlog report` scores.

    Examples: wearlog export --patient P-0042 --out P-0042-epochs.csv;
    wearlog export --format parquet cohort/
    """
    if fmt == "parquet":
        _export_parquet(out_dir, patient_id, db_path)
        return
    if len(patient_id) != 1 or not out_path:
        raise click.UsageError("a CSV export takes one --patient and --out FILE")
    _export_csv(patient_id[0], out_path, db_path)


def _export_parquet(out_dir: str | None, patient_ids: tuple[str, ...],
                    db_path: str | None) -> None:
    from wearlog.export.errors import ExportError
    from wearlog.export.parquet import write_parquet
    from wearlog.store import StoreError

    if not out_dir:
        raise click.UsageError("a Parquet export takes the folder to write: "
                               "wearlog export --format parquet DIR")
    store = open_store(db_path, must_exist=True)
    try:
        _refresh_pending(store)  # records not analysed yet: the refresh step first
        counts = write_parquet(store, out_dir, list(patient_ids) or None)
    except (StoreError, ExportError) as e:
        raise click.ClickException(str(e)) from e
    except OSError as e:
        raise click.ClickException(f"cannot write {out_dir}: {e.strerror}") from e
    finally:
        store.close()
    click.echo("wrote " + ", ".join(f"{n} {t}" for t, n in counts.items()) + f" to {out_dir}")


def _export_csv(patient_id: str, out_path: str, db_path: str | None) -> None:
    from wearlog.analysis.errors import AnalysisError
    from wearlog.analysis.summary import epoch_states
    from wearlog.export.epoch_states import write_epoch_states
    from wearlog.store import StoreError

    store = open_store(db_path, must_exist=True)
    try:
        tz = ZoneInfo(store.patient(patient_id)["tz"])
        _refresh_pending(store, patient_id)  # records not analysed yet: the refresh first
        states = epoch_states(store, patient_id)  # the stored nights' methods, per epoch
    except (StoreError, AnalysisError) as e:
        raise click.ClickException(str(e)) from e
    finally:
        store.close()
    if states is None:
        raise click.ClickException(f"{patient_id} has no epochs placed in time yet: nothing "
                                   "to export")
    if out_path == "-":
        n = write_epoch_states(sys.stdout, states, tz)
    else:
        try:
            with open(out_path, "w", newline="", encoding="utf-8") as f:
                n = write_epoch_states(f, states, tz)
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

    store = open_store(db_path, must_exist=True)
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

    store = open_store(db_path)
    try:
        added = store.restore(src, with_accounts=with_accounts)
        _refresh_pending(store)  # restored records are analysed like any other ingest
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
