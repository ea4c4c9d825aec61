"""Offline work the server rejected, as the dispatcher sees it: what the technician entered,
why it was refused, and what to do about it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import events
import servertime
from db.engine import write_transaction
from db.sync_tables import SyncMutation
from domain.errors import NotFound
from domain.messages import render
from services.audit import record_change
from services.auth.schemas import Caller
from sync.mutations import REFUSED_UNREAD
from sync.schemas import ConflictOut

# What a dispatcher should do about a rejected mutation, by the reason's family.
TODO = {
    "sync.reassigned": "sync.todo.reassigned",
    "sync.sent_back": "sync.todo.reassigned",
    "sync.cancelled": "sync.todo.reassigned",
    "sync.reopened": "sync.todo.reassigned",
    "sync.you_rejected": "sync.todo.reassigned",
    "lifecycle.illegal": "sync.todo.closed_state",
}


async def announce(client_id: str, outcomes: Iterable[dict]) -> None:
    """Tell the consoles of the mutations of a push batch just rejected (if the batch commits)."""
    await events.publish_all(
        (
            events.SYNC_REJECTION,
            {
                "order_id": o["work_order"],
                "client_id": client_id,
                "mutation_id": o["mutation_id"],
                "name": o["name"],
                "reason_code": o["reason_key"],
            },
        )
        for o in outcomes
        if o["status"] == "rejected"
    )


# Of one device's unknown or malformed mutations (its junk) only the newest this many are kept:
# a phone pushing junk by the thousand neither fills the table nor buries anyone's real
# rejections, its own included, which are never deleted.
JUNK_KEPT_PER_DEVICE = 100


async def bound_junk(client_pk: int, outcomes: Iterable[dict]) -> None:
    """After a batch's outcomes are stored: if it brought junk, delete the device's older junk."""
    if not any(o["reason_key"] in REFUSED_UNREAD for o in outcomes):
        return
    junk = (SyncMutation.client == client_pk) & SyncMutation.reason_key.is_in(list(REFUSED_UNREAD))
    oldest_kept = (
        await SyncMutation.select(SyncMutation.id)
        .where(junk)
        .order_by(SyncMutation.id, ascending=False)
        .offset(JUNK_KEPT_PER_DEVICE - 1)
        .first()
    )
    if oldest_kept is not None:
        await SyncMutation.delete().where(junk & (SyncMutation.id < oldest_kept["id"]))


@dataclass(frozen=True)
class ConflictFilter:
    """Which rejections a dispatcher asks for. `handled`: None for open ones, or all of them with
    `include_resolved`."""

    technician_id: int | None = None
    order_id: int | None = None
    handled: bool | None = None
    include_resolved: bool = False
    limit: int = 100
    offset: int = 0


async def listing(lang: str, which: ConflictFilter) -> list[ConflictOut]:
    """Newest first, a page at a time."""
    query = SyncMutation.select(
        *SyncMutation.all_columns(),
        SyncMutation.client.client_id.as_alias("client_code"),
        SyncMutation.client.user.display_name.as_alias("technician"),
        SyncMutation.work_order.code.as_alias("order_code"),
    ).where(SyncMutation.status == "rejected")
    if which.handled is True:
        query = query.where(SyncMutation.resolved_by.is_not_null())
    elif which.handled is False or not which.include_resolved:
        query = query.where(SyncMutation.resolved_by.is_null())
    if which.technician_id is not None:
        query = query.where(SyncMutation.client.user.id == which.technician_id)
    if which.order_id is not None:
        query = query.where(SyncMutation.work_order == which.order_id)
    rows = (
        await query.order_by(SyncMutation.id, ascending=False)
        .limit(which.limit)
        .offset(which.offset)
        .output(load_json=True)
    )
    return [
        ConflictOut(
            id=r["id"],
            technician=r["technician"],
            client_id=r["client_code"],
            mutation_id=r["mutation_id"],
            name=r["name"],
            args=r["args"],
            order_id=r["work_order"],
            order_code=r["order_code"],
            reason_code=r["reason_key"],
            reason=render(r["reason_key"], lang, r["reason_params"]),
            what_to_do=render(TODO.get(r["reason_key"], "sync.todo.invalid"), lang),
            device_time=r["device_time"],
            server_time=r["server_time"],
            resolved=r["resolved_by"] is not None,
        )
        for r in rows
    ]


async def resolve(caller: Caller, conflict_id: int, note: str) -> None:
    async with write_transaction():
        updated = (
            await SyncMutation.update({SyncMutation.resolved_by: caller.id})
            .where((SyncMutation.id == conflict_id) & (SyncMutation.status == "rejected"))
            .returning(SyncMutation.id)
        )
        if not updated:
            raise NotFound("sync.conflict_not_found", id=conflict_id)
        await record_change(
            caller, "sync.conflict_resolved", str(conflict_id), servertime.now(), {"note": note}
        )
