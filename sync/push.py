"""Push: a device's queued mutations, applied exactly once, in order, each applied or rejected
with a reason. The last applied mutation id is advanced in the same transaction as the effects."""

from __future__ import annotations

from typing import Any

import servertime
from db import changes
from db.direct import insert_many
from db.engine import savepoint, write_transaction
from db.sync_tables import SyncClient, SyncMutation
from db.tables import WorkOrder
from domain.errors import BadRequest, DomainError, Forbidden, NotFound
from domain.messages import render
from services.audit import record_change
from services.auth.schemas import Caller
from services.work_orders import service as orders
from sync import mutations, rejected
from sync.protocol import Order, lost_access_reason, mutation_order, resume_point
from sync.schemas import MutationIn, MutationResult, PushIn, PushOut


async def push(
    caller: Caller, batch: PushIn, lang: str, outbox_pending: int | None = None
) -> PushOut:
    """`outbox_pending`: the device's outbox count when it sent the batch (the batch included)."""
    if batch.first_unsettled is not None and any(
        m.id < batch.first_unsettled for m in batch.mutations
    ):
        # It would skip mutations it is sending: refused, never silently dropped.
        raise BadRequest("sync.first_unsettled_after_batch", first_unsettled=batch.first_unsettled)
    client = await _client(caller, batch.client_id)
    # One transaction for the batch: the mutations' effects, their outcomes and the advance of
    # the last mutation id commit together, and a crash loses the batch whole (the device still
    # has it and resends). Should a concurrent writer still take an order's next history slot
    # first, the whole batch runs again.
    last, outcomes, gaps = await orders.retrying(
        lambda: _settle(caller, client, batch, outbox_pending)
    )
    results = [result_of(outcomes[i], lang) for i in sorted(outcomes)] + gaps
    return PushOut(client_id=batch.client_id, last_mutation_id=last, results=results)


async def _settle(
    caller: Caller, client: dict, batch: PushIn, outbox_pending: int | None
) -> tuple[int, dict[int, dict], list[MutationResult]]:
    """Inside the batch's write transaction: (last settled id, outcomes by id, gaps)."""
    client_pk = client["id"]
    # The device's last contact, and its row locked until commit by that update: a copy of this
    # batch racing us waits here, then finds its mutations settled and answers with their outcomes.
    locked = (
        await SyncClient.update({SyncClient.last_push_at: servertime.now()})
        .where(SyncClient.id == client_pk)
        .returning(SyncClient.last_mutation_id)
    )
    settled = last = resume_point(locked[0]["last_mutation_id"], batch.first_unsettled)
    if settled > locked[0]["last_mutation_id"]:
        await _skip_lost(caller, client, locked[0]["last_mutation_id"], settled)
    fresh: list[MutationIn] = []
    gaps: list[MutationResult] = []
    for mutation in sorted(batch.mutations, key=lambda m: m.id):
        order = mutation_order(mutation.id, last)
        if order == Order.gap:
            # Everything after a missing mutation waits for it: the device resends from last + 1.
            gaps.append(MutationResult(id=mutation.id, name=mutation.name, status="gap"))
        elif order == Order.apply:
            fresh.append(mutation)
            last = mutation.id
    # What the device has left to send once this batch is settled (its gaps).
    left = (
        {}
        if outbox_pending is None
        else {SyncClient.outbox_pending: max(0, outbox_pending - len(batch.mutations) + len(gaps))}
    )
    outcomes: dict[int, dict] = {}
    replayed = [m.id for m in batch.mutations if m.id <= settled]
    if replayed:
        rows = (
            await SyncMutation.select(*RESULT_COLUMNS)
            .where((SyncMutation.client == client_pk) & SyncMutation.mutation_id.is_in(replayed))
            .output(load_json=True)
        )
        outcomes.update({row["mutation_id"]: row for row in rows})
    if fresh:
        rules = await orders.load_time_rules()
        # Every order of the batch read and locked once; the steps work on them in memory and
        # their writes go out together at the end. The batch's changes take one sync version.
        work = orders.Workset()
        await work.load(
            [order_id for m in fresh if (order_id := mutations.order_of(m.args)) is not None]
        )
        new: dict[int, dict] = {}
        async with changes.deferred() as pending:
            for mutation in fresh:
                new[mutation.id] = await _apply_or_reject(caller, mutation, rules, work, pending)
            await work.flush()
            await SyncClient.update({SyncClient.last_mutation_id: last, **left}).where(
                SyncClient.id == client_pk
            )
            await rejected.announce(batch.client_id, new.values())
            pending.other_rows = True
        # After the version is taken the clock's row lock is held until commit: only the
        # statements that need the version come after it.
        await insert_many(
            SyncMutation,
            [{**row, "client": client_pk, "version": pending.version} for row in new.values()],
        )
        await rejected.bound_junk(client_pk, new.values())
        outcomes.update(new)
    elif left:
        await SyncClient.update(left).where(SyncClient.id == client_pk)
    return last, outcomes, gaps


async def _client(caller: Caller, client_id: str) -> dict:
    client = await SyncClient.select().where(SyncClient.client_id == client_id).first()
    if client is None:
        async with write_transaction():
            exists = await SyncClient.exists().where(SyncClient.client_id == client_id)
            if not exists:
                await SyncClient.insert(
                    SyncClient(client_id=client_id, user=caller.id, created_at=servertime.now())
                )
        client = await SyncClient.select().where(SyncClient.client_id == client_id).first()
    if client["user"] != caller.id:
        raise Forbidden("sync.client_of_another_user")
    return client


async def _skip_lost(caller: Caller, client: dict, held: int, to: int) -> None:
    """Move the client's last id from `held` up to `to` (sync.protocol.resume_point; its row is
    locked by this batch) and put which ids this server lost in the audit trail: what the phone
    did under them is not here."""
    await SyncClient.update({SyncClient.last_mutation_id: to}).where(SyncClient.id == client["id"])
    skipped = {"from": held + 1, "to": to}
    await record_change(
        caller, "sync.lost_mutations_skipped", client["client_id"], servertime.now(), skipped
    )


def _outcome(
    mutation: MutationIn,
    status: str,
    order_id: int | None,
    reason: tuple[str, dict[str, Any]] | None = None,
) -> dict:
    """The outcome as stored (with the client and the batch's version) and answered."""
    key, params = reason or ("", {})
    # Arguments that passed the API's limits are kept whole (a signature, a note); others bounded.
    args = mutations.bounded(mutation.args) if key in mutations.REFUSED_UNREAD else mutation.args
    return dict(
        mutation_id=mutation.id,
        name=mutation.name,
        args=args,
        device_time=mutation.device_time,
        server_time=servertime.now(),
        status=status,
        reason_key=key,
        reason_params=_jsonable(params),
        work_order=order_id,
    )


async def _apply_or_reject(
    caller: Caller,
    mutation: MutationIn,
    rules: orders.TimeRules,
    work: orders.Workset,
    pending: changes.Pending,
) -> dict:
    mark = pending.mark()
    try:
        if mutations.in_workset(mutation.name):
            order_id = await mutations.apply(
                caller, mutation.name, mutation.args, mutation.device_time, rules, work
            )
        else:
            # It reads and writes the database itself: the steps before it go there first, and
            # what it changes is read again afterwards.
            await work.flush()
            work.forget()
            async with savepoint():
                order_id = await mutations.apply(
                    caller, mutation.name, mutation.args, mutation.device_time, rules, work
                )
        return _outcome(mutation, "applied", order_id)
    except DomainError as refusal:
        pending.rollback_to(mark)
        reason = await _reason(caller, mutation, refusal, work)
    # Rejected: it changed nothing; the refusal with the arguments is recorded instead, so the
    # queue moves on and nothing typed is lost.
    order_id = mutations.order_of(mutation.args)
    if order_id is not None and not await WorkOrder.exists().where(WorkOrder.id == order_id):
        order_id = None
    return _outcome(mutation, "rejected", order_id, reason)


async def _reason(
    caller: Caller, mutation: MutationIn, refusal: DomainError, work: orders.Workset
) -> tuple[str, dict[str, Any]]:
    """A reason the technician can act on. "Not found" for an order they held means it was taken
    from them (maybe by their own reject earlier in the batch): say by whom and when."""
    order_id = mutations.order_of(mutation.args)
    if isinstance(refusal, NotFound) and order_id is not None:
        events = await work.history(order_id)
        lost = lost_access_reason(events, caller.id) if events else None
        if lost is not None:
            key, params = lost
            return key, {**params, "at": f"{params['at'].astimezone(orders.TZ):%m-%d %H:%M}"}
    return refusal.key, {**refusal.params, "issues": [i.key for i in refusal.issues]}


# What an answer needs of a stored outcome (not the arguments, the bulk of a batch).
RESULT_COLUMNS = (
    SyncMutation.mutation_id,
    SyncMutation.name,
    SyncMutation.status,
    SyncMutation.work_order,
    SyncMutation.reason_key,
    SyncMutation.reason_params,
    SyncMutation.server_time,
)


def result_of(row: dict, lang: str) -> MutationResult:
    rejected = row["status"] == "rejected"
    return MutationResult(
        id=row["mutation_id"],
        name=row["name"],
        status=row["status"],
        order_id=row["work_order"],
        reason_code=row["reason_key"] or None,
        reason=render(row["reason_key"], lang, row["reason_params"]) if rejected else None,
        server_time=row["server_time"],
    )


def _jsonable(params: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in params.items()}
