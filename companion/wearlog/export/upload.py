"""Home-sync upload client: push a device's records to a dashboard server with its token.

Records go in batches, each stored by the server in one transaction; the server ignores
(device_id, seq) pairs it already holds, so re-uploading duplicates nothing and an
interrupted upload is simply run again.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Any

import httpx

from wearlog.export.errors import (
    UploadAuthError,
    UploadError,
    UploadRejectedError,
    UploadUnreachableError,
)

UPLOAD_PATH = "/api/upload"
BATCH_RECORDS = 5000


@dataclasses.dataclass
class UploadResult:
    device_id: int
    sent: int = 0  # records sent
    new: int = 0  # records the server did not have yet
    batches: int = 0
    last_seq: int | None = None  # highest sequence the server acknowledged
    wearer_entries: int = 0  # diary entries and night corrections sent


def _records(db: Any, device_id: int, since: int
             ) -> tuple[list[dict[str, int]], list[dict[str, int]], int]:
    """The device's records from `since` on, through the store's named query, and the
    epoch length the device reported at pairing (the server checks it against its own)."""
    from wearlog.store import Store, StoreError

    if isinstance(db, Store):
        return (*db.records_since(device_id, since, 2**62), db.device(device_id)["epoch_s"])
    if isinstance(db, str | os.PathLike):
        try:
            with Store.reader(db) as store:
                return (*store.records_since(device_id, since, 2**62),
                        store.device(device_id)["epoch_s"])
        except StoreError as e:
            raise UploadError(f"cannot open the database {os.fspath(db)!r}: {e}") from e
    raise UploadError(f"upload needs a Store or a database path, got {db!r}")


def upload(
    url: str, token: str, db: Any, device_id: int, since_seq: int | None = None,
    *, timeout_s: float = 30.0, batch_records: int = BATCH_RECORDS,
    transport: httpx.BaseTransport | None = None,
    diary: list[dict[str, Any]] | None = None, corrections: list[dict[str, Any]] | None = None,
) -> UploadResult:
    """Send the device's epochs and events with seq >= since_seq (all if None).

    url: the dashboard's base URL (e.g. https://clinic.example/); db: a Store or a database
    path. The wearer's diary entries and night corrections (keyed by date, so sending
    them again changes nothing) go with the last batch. Raises UploadAuthError for a refused token,
    UploadRejectedError for refused data, UploadUnreachableError for network trouble.
    """
    epochs, events, epoch_s = _records(db, device_id,
                                       0 if since_seq is None else int(since_seq))
    result = UploadResult(device_id=device_id)
    endpoint = url.rstrip("/") + UPLOAD_PATH
    headers = {"Authorization": f"Bearer {token}"}
    records = [("epochs", r) for r in epochs] + [("events", r) for r in events]
    starts = range(0, max(len(records), 1), batch_records)
    with httpx.Client(timeout=timeout_s, transport=transport) as client:
        for i in starts:
            chunk = records[i:i + batch_records]
            body: dict[str, Any] = {
                "device_id": device_id,
                "epoch_s": epoch_s,
                "epochs": [r for k, r in chunk if k == "epochs"],
                "events": [r for k, r in chunk if k == "events"],
            }
            if i == starts[-1]:
                body["diary"] = diary or []
                body["corrections"] = corrections or []
                result.wearer_entries = len(body["diary"]) + len(body["corrections"])
            reply = _post(client, endpoint, headers, body)
            result.sent += len(chunk)
            result.new += int(reply["new"])
            result.batches += 1
            if reply.get("last_seq") is not None:
                result.last_seq = max(result.last_seq or 0, int(reply["last_seq"]))
    return result


def _post(client: httpx.Client, endpoint: str, headers: dict[str, str],
          body: dict[str, Any]) -> dict[str, Any]:
    try:
        resp = client.post(endpoint, json=body, headers=headers)
    except httpx.HTTPError as e:
        raise UploadUnreachableError(f"cannot reach {endpoint}: {e}") from e
    if resp.status_code == 200:
        return dict(resp.json())
    try:
        detail = resp.json().get("detail")
    except ValueError:
        detail = resp.text[:200]
    msg = f"upload refused by {endpoint} (HTTP {resp.status_code}): {detail}"
    if resp.status_code in (401, 403):
        raise UploadAuthError(msg, resp.status_code)
    if 400 <= resp.status_code < 500:
        raise UploadRejectedError(msg, resp.status_code)
    raise UploadError(msg, resp.status_code)


def push_new(store: Any, device_id: int, url: str, token: str,
             transport: httpx.BaseTransport | None = None) -> UploadResult | None:
    """What `wearlog sync --upload` and the app's Share page do: send the records this
    server has not had yet, with the wearer's diary and corrections; the mark moves
    only after a full success. None when there was nothing to send."""
    since = store.upload_mark(device_id, url)
    last = store.last_seq(device_id)
    patient_id = store.open_assignment(device_id)["patient_id"]
    diary = store.diary_between(patient_id)
    corrections = store.corrections_of(patient_id, with_removed=True)
    new_records = last is not None and last >= since
    if not new_records and not diary and not corrections:
        return None
    result = upload(url, token, store, device_id, since, transport=transport, diary=diary,
                    corrections=corrections)
    if new_records:
        store.set_upload_mark(device_id, url, last + 1)
    return result
