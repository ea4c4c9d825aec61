"""/api/sync: the device's pull and push (docs/sync-protocol.md), and the dispatcher's list of
mutations that were rejected."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, get, post
from litestar.params import FromQuery, HeaderParameter, JSONBody, PathParameter, QueryParameter

from api.auth.guards import ANY_ROLE, roles
from domain.messages import pick_language
from domain.vocabulary import DISPATCH_ROLES
from services.auth.schemas import Caller
from sync import contact, rejected
from sync import pull as pulling
from sync import push as pushing
from sync.schemas import CLIENT_ID_PATTERN, ConflictOut, PullOut, PushIn, PushOut, ResolveIn

Cursor = Annotated[
    str | None,
    QueryParameter(
        max_length=64, required=False, description="from the last pull; none for a snapshot"
    ),
]
# The app reports how many actions wait in its outbox; the dispatchers' board shows it.
OutboxPending = Annotated[
    int | None,
    HeaderParameter(
        name="X-Outbox-Pending",
        ge=0,
        le=1_000_000,
        required=False,
        description="actions waiting in the device's outbox when it sent this request",
    ),
]


def _lang(request: Request) -> str:
    return pick_language(request.headers.get("accept-language"))


class SyncController(Controller):
    path = "/api/sync"
    tags = ["sync"]

    @get("/pull", opt=roles(ANY_ROLE))
    async def pull(
        self,
        request: Request[Caller, str, object],
        cursor: Cursor = None,
        client_id: Annotated[
            str | None,
            QueryParameter(
                required=False,
                min_length=8,
                max_length=64,
                pattern=CLIENT_ID_PATTERN,
                description="the device's id, as in push",
            ),
        ] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = pulling.DEFAULT_LIMIT,
        pending: OutboxPending = None,
    ) -> PullOut:
        """Everything in the caller's scope that changed after the cursor, and the next cursor."""
        answer = await pulling.pull(request.user, cursor, client_id, limit, _lang(request))
        if client_id:
            await contact.note_pull(request.user, client_id, pending)
        return answer

    @post("/push", opt=roles(ANY_ROLE), status_code=200)
    async def push(
        self,
        data: JSONBody[PushIn],
        request: Request[Caller, str, object],
        pending: OutboxPending = None,
    ) -> PushOut:
        """A batch of the device's queued mutations: each applied once or rejected with a reason."""
        return await pushing.push(request.user, data, _lang(request), pending)

    @get("/conflicts", opt=roles(DISPATCH_ROLES))
    async def conflicts(
        self,
        request: Request[Caller, str, object],
        include_resolved: FromQuery[bool] = False,
        handled: Annotated[
            bool | None,
            QueryParameter(
                required=False, description="true: only those marked handled; false: only open ones"
            ),
        ] = None,
        technician_id: Annotated[
            int | None,
            QueryParameter(
                required=False, ge=1, le=2_147_483_647, description="only this technician's devices"
            ),
        ] = None,
        order_id: Annotated[
            int | None,
            QueryParameter(
                required=False, ge=1, le=2_147_483_647, description="only mutations on this order"
            ),
        ] = None,
        limit: Annotated[
            int, QueryParameter(ge=1, le=500, description="rejections per page, newest first")
        ] = 100,
        offset: Annotated[
            int,
            QueryParameter(
                ge=0,
                le=1_000_000,
                description="rejections to skip: the next page is offset + limit",
            ),
        ] = 0,
    ) -> list[ConflictOut]:
        """Offline work the server rejected, with what the technician entered and what to do.
        Newest first, a page at a time; of one device's unknown or malformed mutations only the
        newest 100 are kept."""
        which = rejected.ConflictFilter(
            technician_id, order_id, handled, include_resolved, limit, offset
        )
        return await rejected.listing(_lang(request), which)

    @post("/conflicts/{conflict_id:int}/resolve", opt=roles(DISPATCH_ROLES), status_code=204)
    async def resolve(
        self,
        conflict_id: Annotated[int, PathParameter(ge=1, le=2_147_483_647)],
        data: JSONBody[ResolveIn],
        request: Request[Caller, str, object],
    ) -> None:
        """Mark a rejection as dealt with (recorded in the audit trail)."""
        await rejected.resolve(request.user, conflict_id, data.note)
