"""Upload endpoint for home sync: a per-device bearer token, idempotent, all or nothing."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from wearlog.accounts.audit import audit
from wearlog.accounts.db import connect
from wearlog.accounts.errors import RevokedTokenError, TokenError
from wearlog.accounts.tokens import DeviceToken, verify_token
from wearlog.store import Store, StoreError
from wearlog.web.deps import Conn
from wearlog.web.schemas import Error, UploadIn, UploadOut
from wlproto.records import Epoch, Event

bearer = HTTPBearer(auto_error=False, description="Device upload token from `wearlog token create`")


def _check_token(request: Request) -> DeviceToken:
    """The device token of the Authorization header, or 401 (nothing of the body read)."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise HTTPException(401, "send the device token as 'Authorization: Bearer wlt_...'",
                            headers={"WWW-Authenticate": "Bearer"})
    conn = connect(str(request.app.state.settings.db_path))
    try:
        return verify_token(conn, value.strip())
    except (RevokedTokenError, TokenError) as e:
        raise HTTPException(401, str(e), headers={"WWW-Authenticate": "Bearer"}) from e
    finally:
        conn.close()


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
        409: {"model": Error, "description": "Device no longer belongs to the token's patient"},
        413: {"model": Error, "description": "Body larger than the upload limit"},
    },
)
def upload(request: Request, body: UploadIn, conn: Conn,
           token: Annotated[DeviceToken, Depends(device_token)]) -> dict[str, Any]:
    """Store epochs and events of the token's device; records already held are ignored."""
    if body.device_id != token.device_id:
        raise HTTPException(403, f"this token may upload only device {token.device_id}")
    owner = conn.execute(
        "SELECT patient_id FROM devices WHERE device_id=?", (token.device_id,)
    ).fetchone()
    if owner is None or owner[0] != token.patient_id:
        raise HTTPException(409, "the device was re-assigned to another patient: "
                                 "revoke this token and create a new one")
    records: list[Epoch | Event] = [Epoch(**r.model_dump()) for r in body.epochs]
    records += [Event(**r.model_dump()) for r in body.events]
    settings = request.app.state.settings
    with Store(settings.db_path) as store:
        try:
            new = store.ingest(token.device_id, records)  # one transaction
        except StoreError as e:
            raise HTTPException(422, str(e)) from e
        if new:
            sync_id = store.begin_sync(token.device_id, note=f"upload token {token.token_id}")
            with store.transaction() as c:
                c.execute("UPDATE syncs SET records_new=? WHERE sync_id=?", (new, sync_id))
            store.end_sync(sync_id, "ok")
    audit(conn, f"token:{token.token_id}", "upload", token.patient_id,
          f"device {token.device_id}: {len(records)} sent, {new} new")
    seqs = [r.seq for r in records]
    return {"device_id": token.device_id, "received": len(records), "new": new,
            "last_seq": max(seqs) if seqs else None}
