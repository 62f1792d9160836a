"""The one step every importer ends with: a parsed file goes into the store, all or nothing.

Parsing needs only the time zone; nothing touches the database until the whole file has
been read and checked. Then the patient (created or given its new zone), the import
device, an audit row keyed on the file's content, and the epochs are written in one
transaction (Store.save_import), so a failed import changes nothing.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from wearlog.imports.common import import_device_id
from wearlog.imports.errors import ImportDataError
from wearlog.store import Store, UnknownPatientError
from wearlog.store.imports import ImportBatch
from wlproto.records import Epoch


@dataclass
class ImportResult:
    device_id: int
    kind: str
    epoch_s: int
    rows: int
    new: int
    source_epoch_s: int = 0  # the file's own epoch before aggregation (0: raw samples)
    incomplete: int = 0  # stored epochs aggregated from fewer sub-epochs than they hold


@dataclass
class ParsedImport:
    """A file fully read and checked, ready to store."""

    name: str
    kind: str
    epoch_s: int
    records: list[Epoch]
    counts: dict[int, int] | None
    fingerprint: str
    source_epoch_s: int = 0
    incomplete: int = 0
    extra: dict[str, object] = field(default_factory=dict)


def fingerprint(path: Path, kind: str) -> str:
    """Content key of an import: the file's bytes (not its name) and the kind of data."""
    h = hashlib.sha256(kind.encode() + b"\0")
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def zone_for(store: Store, patient_id: str, tz: str | None) -> ZoneInfo:
    """The zone naive times are read in: --tz if given, else the patient's (read-only)."""
    name = tz
    if name is None:
        try:
            name = store.patient(patient_id)["tz"]
        except UnknownPatientError:
            raise ImportDataError(
                f"no patient {patient_id!r}: pass a time zone (--tz ZONE) to create it"
            ) from None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ImportDataError(
            f"unknown time zone {name!r}: use an IANA name like 'Europe/Berlin'") from None


def save(store: Store, patient_id: str, p: ParsedImport, tz: str | None,
         device_id: int | None = None) -> ImportResult:
    """Store a parsed import in one transaction; tz (if given) creates/updates the patient."""
    dev = device_id
    if dev is None:
        dev = store.existing_import_device(patient_id, p.kind, p.epoch_s)
    if dev is None:
        dev = import_device_id(patient_id, p.kind, p.epoch_s)
    first = min((r.time for r in p.records), default=0)
    batch = ImportBatch(
        patient_id=patient_id, tz=tz, device_id=dev, device_name=f"import: {p.kind}",
        kind=p.kind, epoch_s=p.epoch_s, records=p.records, counts=p.counts,
        fingerprint=hashlib.sha256(f"{patient_id}\0{p.fingerprint}".encode()).hexdigest(),
        first_utc=first, note={"file": p.name, "tz": tz or store.patient(patient_id)["tz"],
                               "rows": len(p.records)})
    new = store.save_import(batch)
    return ImportResult(dev, p.kind, p.epoch_s, len(p.records), new, p.source_epoch_s,
                        p.incomplete)
