"""Server-rendered pages: the patient list and one patient's summary."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse

from wearlog.accounts.audit import audit
from wearlog.web import data, patient_view
from wearlog.web.deps import Conn, End, PageUser, Reader, check_patient
from wearlog.web.schemas import RangeDays
from wearlog.web.wearer import wearer_entries

router = APIRouter(include_in_schema=False)


def _render(request: Request, name: str, ctx: dict[str, object], status: int = 200
            ) -> HTMLResponse:
    s = getattr(request.state, "session", None)  # read by the sign-in check
    if s is None:
        s = request.app.state.sessions.read(request)
    ctx = {"csrf": s.get("c", ""), "disclaimer": data.disclaimer(), **ctx}
    return request.app.state.templates.TemplateResponse(  # type: ignore[no-any-return]
        request, name, ctx, status_code=status)


@router.get("/", response_class=HTMLResponse)
def patient_list(
    request: Request, conn: Conn, store: Reader, user: PageUser,
    q: Annotated[str, Query(max_length=64)] = "",
    page: Annotated[int, Query(ge=1, le=data.MAX_OFFSET // data.PAGE_SIZE)] = 1,
) -> HTMLResponse:
    """One page of the patient list (flagged first), searchable by patient id."""
    q = q.strip()
    listed = data.patient_page(store, user, search=q, offset=(page - 1) * data.PAGE_SIZE)
    audit(conn, user.username, "list",
          detail=f"{len(listed.rows)} of {listed.total} patients, page {page}"
          + (f", search {q!r}" if q else ""))
    return _render(request, "patients.html", {"user": user, "listed": listed,
                                              "rows": listed.rows, "q": q})


@router.get("/topics/{topic_id}", response_class=HTMLResponse)
def topic_page(request: Request, user: PageUser, topic_id: str) -> HTMLResponse:
    """One educational topic in full (what the patient page links to)."""
    t = patient_view.topic_blocks(topic_id)
    if t is None:
        raise HTTPException(404, f"no educational topic {topic_id!r}")
    return _render(request, "topic.html", {"user": user, "t": t})


@router.get("/patients/{patient_id}", response_class=HTMLResponse)
def patient_summary(
    request: Request, conn: Conn, store: Reader, user: PageUser, patient_id: str, end: End,
    days: RangeDays = RangeDays.two_weeks,
) -> HTMLResponse:
    check_patient(conn, user, patient_id)
    body = data.summary_body(store, patient_id, int(days), end)
    summary = patient_view.stored_summary(body) if isinstance(body, bytes) else body
    last = summary["last_date"] or ""
    audit(conn, user.username, "view", patient_id, f"summary {int(days)} d to {last}")
    return _render(request, "patient.html", {
        "user": user, "s": summary, "days": int(days), "ranges": data.RANGES,
        "end": last if end else "",
        "row_tables": patient_view.row_tables(request.app.state.templates.env, summary,
                                              body if isinstance(body, bytes) else None),
        "rhythm_rows": patient_view.RHYTHM_ROWS,
        "earlier": summary.get("earlier_rhythm"),
        "generated": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "wearer": wearer_entries(store, patient_id, summary["first_date"], summary["last_date"]),
    })
