"""/api/sync: the device's pull and push (docs/sync-protocol.md), and the dispatcher's list of
mutations that were rejected."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, get, post
from litestar.params import FromQuery, JSONBody, PathParameter, QueryParameter

import servertime
from api.auth.guards import ANY_ROLE, roles
from api.auth.schemas import Caller
from db.engine import write_transaction
from db.sync_tables import SyncMutation
from db.tables import AuditEntry
from domain.errors import NotFound
from domain.messages import pick_language, render
from domain.vocabulary import DISPATCH_ROLES
from sync import pull as pulling
from sync import push as pushing
from sync.schemas import ClientId, ConflictOut, PullOut, PushIn, PushOut, ResolveIn

Cursor = Annotated[str | None, QueryParameter(max_length=32, required=False, description="from the last pull; none for a snapshot")]

# What a dispatcher should do about a rejected mutation, by the reason's family.
TODO = {
    "sync.reassigned": "sync.todo.reassigned",
    "sync.sent_back": "sync.todo.reassigned",
    "sync.cancelled": "sync.todo.reassigned",
    "sync.reopened": "sync.todo.reassigned",
    "sync.you_rejected": "sync.todo.reassigned",
    "lifecycle.illegal": "sync.todo.closed_state",
}


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
        client_id: Annotated[ClientId | None, QueryParameter(required=False)] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = pulling.DEFAULT_LIMIT,
    ) -> PullOut:
        """Everything in the caller's scope that changed after the cursor, and the next cursor."""
        return await pulling.pull(request.user, cursor, client_id, limit, _lang(request))

    @post("/push", opt=roles(ANY_ROLE), status_code=200)
    async def push(self, data: JSONBody[PushIn], request: Request[Caller, str, object]) -> PushOut:
        """A batch of the device's queued mutations: each applied once or rejected with a reason."""
        return await pushing.push(request.user, data, _lang(request))

    @get("/conflicts", opt=roles(DISPATCH_ROLES))
    async def conflicts(
        self, request: Request[Caller, str, object], include_resolved: FromQuery[bool] = False
    ) -> list[ConflictOut]:
        """Offline work the server rejected, with what the technician entered and what to do."""
        lang = _lang(request)
        query = SyncMutation.select(
            *SyncMutation.all_columns(),
            SyncMutation.client.client_id.as_alias("client_code"),
            SyncMutation.client.user.display_name.as_alias("technician"),
            SyncMutation.work_order.code.as_alias("order_code"),
        ).where(SyncMutation.status == "rejected")
        if not include_resolved:
            query = query.where(SyncMutation.resolved_by.is_null())
        rows = await query.order_by(SyncMutation.id, ascending=False).limit(500).output(load_json=True)
        return [
            ConflictOut(
                id=r["id"], technician=r["technician"], client_id=r["client_code"],
                mutation_id=r["mutation_id"], name=r["name"], args=r["args"], order_id=r["work_order"],
                order_code=r["order_code"], reason_code=r["reason_key"],
                reason=render(r["reason_key"], lang, r["reason_params"]),
                what_to_do=render(TODO.get(r["reason_key"], "sync.todo.invalid"), lang),
                device_time=r["device_time"], server_time=r["server_time"],
                resolved=r["resolved_by"] is not None,
            )
            for r in rows
        ]

    @post("/conflicts/{conflict_id:int}/resolve", opt=roles(DISPATCH_ROLES), status_code=204)
    async def resolve(
        self,
        conflict_id: Annotated[int, PathParameter(ge=1, le=2_147_483_647)],
        data: JSONBody[ResolveIn],
        request: Request[Caller, str, object],
    ) -> None:
        """Mark a rejection as dealt with (recorded in the audit trail)."""
        caller = request.user
        async with write_transaction():
            updated = await SyncMutation.update({SyncMutation.resolved_by: caller.id}).where(
                (SyncMutation.id == conflict_id) & (SyncMutation.status == "rejected")
            ).returning(SyncMutation.id)
            if not updated:
                raise NotFound("sync.conflict_not_found", id=conflict_id)
            await AuditEntry.insert(
                AuditEntry(actor=caller.id, actor_role=caller.role, action="sync.conflict_resolved",
                           target=str(conflict_id), payload={"note": data.note}, server_time=servertime.now())
            )
