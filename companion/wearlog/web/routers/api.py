"""JSON API for the signed-in clinician: patient list, summary, actogram, bare epochs."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from wearlog.accounts.audit import audit
from wearlog.accounts.users import Users
from wearlog.web import data
from wearlog.web.deps import ApiUser, Conn, End, check_patient
from wearlog.web.schemas import Actogram, Error, PatientRow, RangeDays, Summary

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": Error, "description": "Not signed in"},
    404: {"model": Error, "description": "No such patient among yours"},
}
router = APIRouter(prefix="/api", tags=["patients"], responses=ERRORS)


@router.get("/patients", response_model=list[PatientRow])
def list_patients(conn: Conn, user: ApiUser) -> list[dict[str, Any]]:
    """Your patients with last sync, wear time and flags (admins: all patients)."""
    return data.patient_list(conn, Users(conn).patients_of(user))


@router.get("/patients/{patient_id}/summary", response_model=Summary)
def get_summary(conn: Conn, user: ApiUser, patient_id: str, end: End,
                days: RangeDays = RangeDays.two_weeks) -> dict[str, Any]:
    """Nights, days, symptoms, completeness, rhythm and linked topics for a range."""
    check_patient(conn, user, patient_id)
    dates = data.date_range(data.patient_tz(conn, patient_id), int(days), end)
    out = data.summary(conn, patient_id, dates)
    audit(conn, user.username, "view", patient_id, f"api summary {int(days)} d")
    return {**out, "disclaimer": data.disclaimer()}


@router.get("/patients/{patient_id}/actogram", response_model=Actogram)
def get_actogram(conn: Conn, user: ApiUser, patient_id: str, end: End,
                 days: RangeDays = RangeDays.two_weeks) -> dict[str, Any]:
    """Per-epoch activity for a double-plotted actogram (bytes, base64)."""
    check_patient(conn, user, patient_id)
    dates = data.date_range(data.patient_tz(conn, patient_id), int(days), end)
    out = data.actogram(conn, patient_id, dates)
    audit(conn, user.username, "view", patient_id, f"api actogram {int(days)} d")
    return out


@router.get("/patients/{patient_id}/epochs", response_model=list[list[int]])
def get_epochs(conn: Conn, user: ApiUser, patient_id: str, end: End,
               days: RangeDays = RangeDays.two_weeks) -> list[list[int]]:
    """Bare epoch rows [utc, enmo_dmg, flags, steps] of the range, unprocessed."""
    check_patient(conn, user, patient_id)
    dates = data.date_range(data.patient_tz(conn, patient_id), int(days), end)
    rows = data.epoch_rows(conn, patient_id, dates)
    audit(conn, user.username, "view", patient_id, f"api epochs {int(days)} d")
    return rows
