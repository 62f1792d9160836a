"""`wearlog refresh` and `wearlog enrol`: the analysis step by hand, and clinic enrolment."""

from __future__ import annotations

import os
import time

import click

from wearlog.commands.options import db_option, open_store
from wearlog.store import StoreError
from wlproto.const import EPOCH_S


def _device_id(text: str) -> int:
    try:
        return int(text, 0)
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a device id (e.g. 4242 or 0x3F2A)") from None


@click.command()
@click.option("--patient", "patient_id", help="Only this patient (default: every one queued).")
@click.option("--all", "everyone", is_flag=True,
              help="Re-analyse every patient in full (e.g. after upgrading Wearlog).")
@click.option("--workers", type=click.IntRange(1, 64), default=None,
              help="Processes to use (default: the number of CPU cores).")
@db_option
def refresh(patient_id: str | None, everyone: bool, workers: int | None,
            db_path: str | None) -> None:
    """Analyse stored records that are waiting (new, late or after a failed refresh).

    Every sync, upload, import and restore runs this step itself; run it by hand to retry
    a refresh that failed. Example: wearlog refresh --patient P-0042
    """
    from wearlog.pipeline import refresh as run

    store = open_store(db_path)
    try:
        try:
            if patient_id is not None:
                store.patient(patient_id)
            if everyone or (patient_id is not None and not store.pending(patient_id)):
                store.queue_full([patient_id] if patient_id else store.patient_ids())
            t0 = time.perf_counter()
            results = run(store, patient_id, workers=workers or os.cpu_count() or 1)
        except StoreError as e:
            raise click.ClickException(str(e)) from e
    finally:
        store.close()
    failed = [r for r in results if not r.ok]
    click.echo(f"analysed {len(results) - len(failed)} patient(s) in "
               f"{time.perf_counter() - t0:.1f} s" if results else "nothing waiting for analysis")
    for r in failed:
        click.echo(f"{r.patient_id}: analysis failed ({r.error}); its records are kept and "
                   "it stays queued", err=True)
    if failed:
        raise SystemExit(1)


@click.command()
@click.argument("patient_id")
@click.argument("device")
@click.option("--tz", default=None, help="The patient's IANA time zone (needed for a new "
              "patient), e.g. Europe/Berlin.")
@click.option("--name", default=None, help="A label for the device, e.g. WL-3F2A.")
@click.option("--epoch-s", type=click.IntRange(1, 86400), default=EPOCH_S, show_default=True,
              help="The device's epoch length in seconds (uploads that say otherwise are "
              "refused).")
@db_option
def enrol(patient_id: str, device: str, tz: str | None, name: str | None, epoch_s: int,
          db_path: str | None) -> None:
    """Enrol a patient and their device's ID on this (clinic) server, without pairing.

    The device is paired over Bluetooth with the wearer's own computer; the clinic only
    needs its ID to accept uploads. Next: `wearlog token create DEVICE` and hand the
    token to the wearer. Example: wearlog enrol P-0042 0x3F2A --tz Europe/Berlin
    """
    from wearlog.store import UnknownDeviceError, UnknownPatientError

    dev = _device_id(device)
    store = open_store(db_path)
    try:
        try:
            try:
                store.patient(patient_id)
                if tz:
                    store.add_patient(patient_id, tz)
            except UnknownPatientError:
                if not tz:
                    raise click.ClickException(
                        f"no patient {patient_id!r} yet: pass --tz ZONE to enrol them") from None
                store.add_patient(patient_id, tz)
            try:
                known = store.device(dev)
                if known["patient_id"] != patient_id:
                    raise click.ClickException(
                        f"device {dev} is enrolled for {known['patient_id']}: a device "
                        "belongs to one patient at a time")
                if known["epoch_s"] != epoch_s:
                    store.set_device_epoch_s(dev, epoch_s)
            except UnknownDeviceError:
                store.add_device(dev, patient_id, name=name, epoch_s=epoch_s)
        except StoreError as e:
            raise click.ClickException(str(e)) from e
    finally:
        store.close()
    click.echo(f"enrolled {patient_id} with device {dev}. Next: wearlog token create {dev} "
               "--label 'home laptop', then give the token to the wearer")
