"""CSV and FHIR exports of one patient, audited."""

from __future__ import annotations

import json
from typing import Any, Literal

from fastapi import APIRouter
from fastapi.responses import Response, StreamingResponse

from wearlog.accounts.audit import audit
from wearlog.export.clinician_csv import iter_clinician_csv
from wearlog.export.csv_tables import iter_csv
from wearlog.export.fhir_bundle import fhir_bundle
from wearlog.web.deps import ApiUser, Conn, Reader, check_patient
from wearlog.web.downloads import attachment
from wearlog.web.routers.api import ERRORS

router = APIRouter(prefix="/api", tags=["exports"], responses=ERRORS)


@router.get(
    "/patients/{patient_id}/export/{table}.csv",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}, "description": "CSV with a header row"}},
)
def export_csv(conn: Conn, store: Reader, user: ApiUser, patient_id: str,
               table: Literal["epochs", "nights", "days", "events", "linked_topics",
                              "diary_entries", "night_corrections"]
               ) -> StreamingResponse:
    """All of the patient's rows of one table as CSV."""
    check_patient(conn, user, patient_id)
    audit(conn, user.username, "export", patient_id, f"csv {table}")
    chunks = list(iter_csv(store, patient_id, table))  # read now: the connection closes after
    return StreamingResponse(
        iter(chunks), media_type="text/csv",
        headers={"Content-Disposition": attachment(f"{patient_id}-{table}.csv")},
    )


@router.get(
    "/patients/{patient_id}/export/clinician/{table}.csv",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}, "description": "CSV with a header row"}},
)
def export_clinician_csv(conn: Conn, store: Reader, user: ApiUser, patient_id: str,
                         table: Literal["nights", "days", "events"]) -> StreamingResponse:
    """Nights, days or events for a spreadsheet: local ISO times, labelled event types,
    rounded figures, and whether each night or day counts."""
    check_patient(conn, user, patient_id)
    audit(conn, user.username, "export", patient_id, f"clinician csv {table}")
    chunks = list(iter_clinician_csv(store, patient_id, table))
    return StreamingResponse(
        iter(chunks), media_type="text/csv",
        headers={"Content-Disposition": attachment(f"{patient_id}-{table}-clinician.csv")},
    )


@router.get("/patients/{patient_id}/export/fhir",
            responses={200: {"content": {"application/fhir+json": {}}}})
def export_fhir(conn: Conn, store: Reader, user: ApiUser, patient_id: str) -> Response:
    """FHIR R4 collection Bundle of Observations (counted nights and days, symptom
    events), as a file download."""
    check_patient(conn, user, patient_id)
    audit(conn, user.username, "export", patient_id, "fhir")
    bundle: dict[str, Any] = fhir_bundle(store, patient_id)
    return Response(json.dumps(bundle, allow_nan=False, separators=(",", ":")),
                    media_type="application/fhir+json", headers={
                        "Content-Disposition": attachment(f"{patient_id}-fhir.json")})
