"""Upload endpoint for home sync: a per-device bearer token, idempotent, all or nothing."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from wearlog.accounts.audit import audit
from wearlog.accounts.errors import RevokedTokenError, TokenError
from wearlog.accounts.tokens import DeviceToken, verify_token
from wearlog.pipeline import refresh
from wearlog.store import Store, StoreBusyError, StoreError
from wearlog.web.deps import Conn
from wearlog.web.schemas import Error, UploadIn, UploadOut
from wlproto.const import FLAG_CLOCK_UNSET
from wlproto.records import Epoch, Event

bearer = HTTPBearer(auto_error=False, description="Device upload token from `wearlog token create`")


def _check_token(request: Request) -> DeviceToken:
    """The device token of the Authorization header, or 401 (nothing of the body read)."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise HTTPException(401, "send the device token as 'Authorization: Bearer wlt_...'",
                            headers={"WWW-Authenticate": "Bearer"})
    with Store.session(request.app.state.settings.db_path) as store:
        try:
            return verify_token(store.conn, value.strip())
        except (RevokedTokenError, TokenError) as e:
            raise HTTPException(401, str(e), headers={"WWW-Authenticate": "Bearer"}) from e


class TokenFirstRoute(APIRoute):
    """FastAPI reads and parses the body before any dependency runs: check the token
    first, so an anonymous request costs a header lookup, not a parse of megabytes."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def token_first(request: Request) -> Response:
            request.state.device_token = await run_in_threadpool(_check_token, request)
            return await handler(request)

        return token_first


router = APIRouter(prefix="/api", tags=["upload"], route_class=TokenFirstRoute)


def device_token(
    request: Request, creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> DeviceToken:
    """The token TokenFirstRoute checked (declared here for the OpenAPI security scheme)."""
    return request.state.device_token  # type: ignore[no-any-return]


@router.post(
    "/upload", response_model=UploadOut,
    responses={
        400: {"model": Error, "description": "Body is not valid JSON"},
        401: {"model": Error, "description": "Missing, unknown or revoked device token"},
        403: {"model": Error, "description": "Token is for another device"},
        409: {"model": Error, "description": "A record from when the device was another "
                                             "patient's, or an epoch length other than the "
                                             "one the device was enrolled with"},
        413: {"model": Error, "description": "Body larger than the upload limit"},
    },
)
def upload(request: Request, body: UploadIn, conn: Conn,
           token: Annotated[DeviceToken, Depends(device_token)]) -> dict[str, Any]:
    """Store epochs and events of the token's device; records already held are ignored."""
    if body.device_id != token.device_id:
        raise HTTPException(403, f"this token may upload only device {token.device_id}")
    records: list[Epoch | Event] = [Epoch(**r.model_dump()) for r in body.epochs]
    records += [Event(**r.model_dump()) for r in body.events]
    settings = request.app.state.settings
    # the request's own connection (one per request, whatever the backend)
    with Store.over(conn, settings.db_path, readonly=False) as store:
        enrolled_s = store.device(token.device_id)["epoch_s"]
        if body.epoch_s is not None and body.epoch_s != enrolled_s:
            raise HTTPException(409, f"device {token.device_id} records {body.epoch_s}-s "
                                f"epochs but is enrolled here with {enrolled_s}-s epochs: "
                                "nothing was stored; the clinic can enrol it again with "
                                f"`wearlog enrol PATIENT {token.device_id} --epoch-s "
                                f"{body.epoch_s}` before any of its records are stored")
        # each record is filed under whoever wore the device when it was recorded
        keys = [(None if r.flags & FLAG_CLOCK_UNSET else r.time, r.seq) for r in records]
        for r, who in zip(records, store.patients_at(token.device_id, keys), strict=True):
            if who != token.patient_id:
                raise HTTPException(409, f"record {r.seq} was recorded while the device was "
                                         "assigned to another patient: nothing was stored; "
                                         "upload it with that patient's token")
        try:
            new = store.ingest(token.device_id, records)  # one transaction
        except StoreBusyError:
            raise  # 503 + Retry-After (web.busy): the client sends it again later
        except StoreError as e:
            raise HTTPException(422, str(e)) from e
        try:  # the wearer's own entries, filed under the token's patient (newer wins)
            wearer = store.save_diary(token.patient_id, [d.model_dump() for d in body.diary])
            wearer += store.save_corrections(token.patient_id,
                                             [c.model_dump() for c in body.corrections])
        except StoreError as e:
            raise HTTPException(422, str(e)) from e
        if new:
            sync_id = store.begin_sync(token.device_id, note=f"upload token {token.token_id}")
            store.set_sync_records(sync_id, new)
            store.end_sync(sync_id, "ok")
        # the refresh step, right after the records' transaction; a failure keeps them
        # (queued, retried at the next upload) and the reply says so
        results = refresh(store, token.patient_id)
    audit(conn, f"token:{token.token_id}", "upload", token.patient_id,
          f"device {token.device_id}: {len(records)} sent, {new} new, "
          f"{wearer} diary/correction entries changed")
    seqs = [r.seq for r in records]
    failed = next((r.error for r in results if not r.ok), None)
    return {"device_id": token.device_id, "received": len(records), "new": new,
            "last_seq": max(seqs) if seqs else None,
            "analysis": "failed: " + failed if failed else "ok"}
