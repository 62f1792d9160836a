"""Server-rendered pages: the patient list and one patient's summary."""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from wearlog.accounts.audit import audit
from wearlog.web import data
from wearlog.web.deps import Conn, End, PageUser, Reader, check_patient
from wearlog.web.schemas import RangeDays

router = APIRouter(include_in_schema=False)


def _render(request: Request, name: str, ctx: dict[str, object], status: int = 200
            ) -> HTMLResponse:
    s = request.app.state.sessions.read(request)
    ctx = {"csrf": s.get("c", ""), "disclaimer": data.disclaimer(), **ctx}
    return request.app.state.templates.TemplateResponse(  # type: ignore[no-any-return]
        request, name, ctx, status_code=status)


@router.get("/", response_class=HTMLResponse)
def patient_list(request: Request, conn: Conn, store: Reader, user: PageUser) -> HTMLResponse:
    rows = data.patient_list(store, user)
    audit(conn, user.username, "list", detail=f"{len(rows)} patients")
    return _render(request, "patients.html", {"user": user, "rows": rows})


@router.get("/patients/{patient_id}", response_class=HTMLResponse)
def patient_summary(
    request: Request, conn: Conn, store: Reader, user: PageUser, patient_id: str, end: End,
    days: RangeDays = RangeDays.two_weeks,
) -> HTMLResponse:
    check_patient(conn, user, patient_id)
    body = data.summary_body(store, patient_id, int(days), end)
    summary = json.loads(body) if isinstance(body, bytes) else body
    last = summary["last_date"] or ""
    audit(conn, user.username, "view", patient_id, f"summary {int(days)} d to {last}")
    return _render(request, "patient.html", {
        "user": user, "s": summary, "days": int(days), "ranges": data.RANGES,
        "end": last if end else "",
    })
