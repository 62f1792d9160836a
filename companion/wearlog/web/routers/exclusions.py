"""A clinician excludes a night or day from the figures, or restores it (POST, CSRF-checked,
audited). The stored summaries are rebuilt from the stored rows at once, so every figure,
page and export leaves the excluded night or day out; no re-analysis is needed."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from wearlog.accounts.audit import audit
from wearlog.pipeline.refresh import rebuild_figures
from wearlog.store import Store
from wearlog.web.deps import Conn, PageUser, check_patient
from wearlog.web.security import CSRF_FIELD

router = APIRouter(include_in_schema=False)


@router.post("/patients/{patient_id}/exclusions")
def set_exclusion(
    request: Request, conn: Conn, user: PageUser, patient_id: str,
    kind: Annotated[Literal["night", "day"], Form()],
    day: Annotated[dt.date, Form()],
    action: Annotated[Literal["exclude", "restore"], Form()],
    csrf_token: Annotated[str, Form(alias=CSRF_FIELD, max_length=100)] = "",
    reason: Annotated[str, Form(max_length=200)] = "",
    days: Annotated[Literal["14", "30", "90"], Form()] = "14",
    end: Annotated[str, Form(max_length=10, pattern=r"^(\d{4}-\d{2}-\d{2})?$")] = "",
) -> Response:
    check_patient(conn, user, patient_id)
    sessions = request.app.state.sessions
    if not sessions.csrf_ok(sessions.read(request), csrf_token):
        return Response("CSRF token missing or wrong: reload the page and try again.",
                        status_code=403, media_type="text/plain")
    with Store.session(request.app.state.settings.db_path) as store:
        if not store.has_result(patient_id, kind, day.isoformat()):
            return Response(f"No analysed {kind} {day} for this patient: nothing to "
                            f"{action}.", status_code=404, media_type="text/plain")
        changed = store.set_excluded(patient_id, kind, day.isoformat(), action == "exclude",
                                     user.username, reason.strip() or None)
        if changed:
            audit(conn, user.username, action, patient_id,
                  f"{kind} {day}" + (f": {reason.strip()}" if reason.strip() else ""))
            rebuild_figures(store, patient_id)
    target = f"/patients/{quote(patient_id, safe='')}?days={days}"
    if end:
        target += f"&end={end}"
    return RedirectResponse(target + f"#{kind}-table", status_code=303)
