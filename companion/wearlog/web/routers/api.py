"""JSON API for the signed-in clinician: patient list, summary, actogram, bare epochs.

Every figure is read from what the refresh step stored; nothing here writes except the
audit log.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from wearlog.accounts.audit import audit
from wearlog.web import data
from wearlog.web.deps import ApiUser, Conn, End, Reader, check_patient
from wearlog.web.schemas import Actogram, Error, PatientRow, RangeDays, Summary
from wearlog.web.wearer import wearer_entries

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": Error, "description": "Not signed in"},
    404: {"model": Error, "description": "No such patient among yours"},
}
router = APIRouter(prefix="/api", tags=["patients"], responses=ERRORS)


def json_response(body: bytes | dict[str, Any]) -> Response:
    """Stored JSON goes out as it is; a built summary is encoded the same way."""
    if isinstance(body, dict):
        from wearlog.pipeline import summary_json

        body = summary_json(body)
    return Response(body, media_type="application/json")


@router.get("/patients", response_model=list[PatientRow])
def list_patients(
    request: Request, store: Reader, user: ApiUser,
    q: Annotated[str, Query(max_length=64, description="keep patient ids containing this "
                            "(case-insensitive)")] = "",
    limit: Annotated[int, Query(ge=1, le=data.MAX_LIMIT)] = data.API_LIMIT,
    offset: Annotated[int, Query(ge=0, le=data.MAX_OFFSET)] = 0,
) -> Response:
    """Your patients (admins: all) with last sync, wear time and flags, flagged patients
    first, then by id; one page of `limit` from `offset`. `X-Total-Count` says how many
    match, `X-Flagged-Count` how many of them are flagged; `Link` names the next and
    previous pages (RFC 8288)."""
    page = data.patient_page(store, user, search=q, limit=limit, offset=offset)
    links = []
    if offset + limit < page.total:
        links.append(f'<{request.url.include_query_params(offset=offset + limit)}>; rel="next"')
    if offset > 0:
        links.append(f'<{request.url.include_query_params(offset=max(0, offset - limit))}>; '
                     'rel="prev"')
    headers = {"X-Total-Count": str(page.total), "X-Flagged-Count": str(page.flagged)}
    if links:
        headers["Link"] = ", ".join(links)
    # rows built from stored figures in a fixed shape (PatientRow): sent as they are
    return Response(json.dumps(page.rows, separators=(",", ":")),
                    media_type="application/json", headers=headers)


@router.get("/patients/{patient_id}/summary", response_model=Summary)
def get_summary(conn: Conn, store: Reader, user: ApiUser, patient_id: str, end: End,
                days: RangeDays = RangeDays.two_weeks) -> Response:
    """Nights, days, symptoms, completeness, rhythm and linked topics for a range (default:
    ending on the last day with data); "analysis_status" says whether they are current."""
    check_patient(conn, user, patient_id)
    body = data.summary_body(store, patient_id, int(days), end)
    audit(conn, user.username, "view", patient_id, f"api summary {int(days)} d")
    return json_response(body)


@router.get("/patients/{patient_id}/summary/stored", include_in_schema=False)
def get_stored_summary(conn: Conn, store: Reader, user: ApiUser, patient_id: str,
                       days: RangeDays = RangeDays.two_weeks) -> Response:
    """The bench's baseline: the same stored JSON bytes with no other work."""
    check_patient(conn, user, patient_id)
    audit(conn, user.username, "view", patient_id, f"api stored summary {int(days)} d")
    return Response(store.stored_summary(patient_id, int(days)) or b"{}",
                    media_type="application/json")


@router.get("/patients/{patient_id}/actogram", response_model=Actogram)
def get_actogram(conn: Conn, store: Reader, user: ApiUser, patient_id: str, end: End,
                 days: RangeDays = RangeDays.two_weeks) -> dict[str, Any]:
    """Per-slot activity for a double-plotted actogram (bytes, base64), from the stored
    day profiles."""
    check_patient(conn, user, patient_id)
    out = data.actogram(store, patient_id, int(days), end)
    audit(conn, user.username, "view", patient_id, f"api actogram {int(days)} d")
    return out


@router.get("/patients/{patient_id}/epochs", response_model=list[list[int]])
def get_epochs(conn: Conn, store: Reader, user: ApiUser, patient_id: str, end: End,
               days: RangeDays = RangeDays.two_weeks) -> list[list[int]]:
    """Bare epoch rows [utc, enmo_dmg, flags, steps] of the range, unprocessed."""
    check_patient(conn, user, patient_id)
    rows = data.epoch_rows(store, patient_id, int(days), end)
    audit(conn, user.username, "view", patient_id, f"api epochs {int(days)} d")
    return rows


@router.get("/patients/{patient_id}/wearer")
def get_wearer_entries(conn: Conn, store: Reader, user: ApiUser, patient_id: str, end: End,
                       days: RangeDays = RangeDays.two_weeks) -> dict[str, Any]:
    """The wearer's diary (0-10 ratings, morning stiffness, note) and night corrections
    (bed/up times the wearer set; they replace the detected window) of the range."""
    check_patient(conn, user, patient_id)
    dates = data.range_dates(store, patient_id, int(days), end)
    audit(conn, user.username, "view", patient_id, f"api wearer entries {int(days)} d")
    return wearer_entries(store, patient_id, dates[0].isoformat(), dates[-1].isoformat())
