"""Push: a device's queued mutations, applied exactly once, in order, each applied or rejected
with a reason. The last applied mutation id is advanced in the same transaction as the effects."""

from __future__ import annotations

from typing import Any

import servertime
from api.auth.schemas import Caller
from api.work_orders import service as orders
from db.engine import savepoint, write_transaction
from db.sync_tables import SyncClient, SyncMutation
from db.tables import AuditEntry, WorkOrder
from domain.errors import DomainError, Forbidden, NotFound
from domain.messages import render
from sync import changes, mutations, rejected
from sync.protocol import Order, lost_access_reason, mutation_order, resume_point
from sync.schemas import MutationIn, MutationResult, PushIn, PushOut


UNSTAMPED = 0  # a recorded outcome whose batch has not taken its sync version yet


class _Replayed(Exception):
    """Another request applied this mutation first (a duplicated batch racing us)."""


async def push(caller: Caller, batch: PushIn, lang: str, outbox_pending: int | None = None) -> PushOut:
    """`outbox_pending`: the device's outbox count when it sent the batch (the batch included)."""
    client = await _client(caller, batch.client_id)
    last = client["last_mutation_id"]
    outcomes: dict[int, dict] = {}
    gaps: list[MutationResult] = []
    # One transaction for the batch, a savepoint per mutation: a mutation's effects, its outcome
    # and the advance of the last mutation id commit together, and a crash loses the batch whole
    # (the device still has it and resends). The batch's changes take one sync version, at the end.
    async with write_transaction():
        skip_to = resume_point(last, batch.first_unsettled)
        if skip_to > last:
            last = await _skip_lost(caller, client, skip_to)
        rules = await orders.load_time_rules()
        async with changes.deferred() as pending:
            for mutation in sorted(batch.mutations, key=lambda m: m.id):
                order = mutation_order(mutation.id, last)
                if order == Order.gap:
                    # Everything after a missing mutation waits for it: the device resends from last + 1.
                    gaps.append(MutationResult(id=mutation.id, name=mutation.name, status="gap"))
                elif order == Order.apply:
                    outcome = await _apply_or_reject(caller, client["id"], mutation, rules, pending)
                    if outcome is not None:
                        outcomes[mutation.id] = outcome
                    last = mutation.id
            pending.other_rows = bool(outcomes)
            await rejected.announce(batch.client_id, outcomes.values())
        if outcomes:
            await SyncMutation.update({SyncMutation.version: pending.version}).where(
                (SyncMutation.client == client["id"]) & (SyncMutation.version == UNSTAMPED)
            )
        replayed = [m.id for m in batch.mutations if m.id <= last and m.id not in outcomes]
        if replayed:
            rows = await SyncMutation.select().where(
                (SyncMutation.client == client["id"]) & SyncMutation.mutation_id.is_in(replayed)
            ).output(load_json=True)
            outcomes.update({row["mutation_id"]: row for row in rows})
        contact: dict = {SyncClient.last_push_at: servertime.now()}
        if outbox_pending is not None:  # what is left once this batch is settled
            contact[SyncClient.outbox_pending] = max(0, outbox_pending - sum(1 for m in batch.mutations if m.id <= last))
        await SyncClient.update(contact).where(SyncClient.id == client["id"])
    results = [result_of(outcomes[i], lang) for i in sorted(outcomes)] + gaps
    return PushOut(client_id=batch.client_id, last_mutation_id=last, results=results)


async def _client(caller: Caller, client_id: str) -> dict:
    client = await SyncClient.select().where(SyncClient.client_id == client_id).first()
    if client is None:
        async with write_transaction():
            exists = await SyncClient.exists().where(SyncClient.client_id == client_id)
            if not exists:
                await SyncClient.insert(SyncClient(client_id=client_id, user=caller.id, created_at=servertime.now()))
        client = await SyncClient.select().where(SyncClient.client_id == client_id).first()
    if client["user"] != caller.id:
        raise Forbidden("sync.client_of_another_user")
    return client


async def _skip_lost(caller: Caller, client: dict, to: int) -> int:
    """Move the client's last id up to `to` (sync.protocol.resume_point), never down, and put
    which ids this server lost in the audit trail: what the phone did under them is not here.
    After this the stored last id is ≥ `to`, so the batch's next id either applies or was settled
    by a concurrent copy (_claim gives way), never reported settled without being so."""
    held = await SyncClient.select(SyncClient.last_mutation_id).where(SyncClient.id == client["id"]).first()
    moved = await SyncClient.update({SyncClient.last_mutation_id: to}).where(
        (SyncClient.id == client["id"]) & (SyncClient.last_mutation_id < to)
    ).returning(SyncClient.id)
    if moved:
        await AuditEntry.insert(AuditEntry(
            actor=caller.id, actor_role=caller.role, action="sync.lost_mutations_skipped",
            target=client["client_id"], payload={"from": held["last_mutation_id"] + 1, "to": to},
            server_time=servertime.now(),
        ))
    return to


async def _claim(client_pk: int, mutation_id: int) -> None:
    """Advance the client's last mutation id from exactly the one before, or give way."""
    claimed = await SyncClient.update({SyncClient.last_mutation_id: mutation_id}).where(
        (SyncClient.id == client_pk) & (SyncClient.last_mutation_id == mutation_id - 1)
    ).returning(SyncClient.id)
    if not claimed:
        raise _Replayed()


async def _record(client_pk: int, mutation: MutationIn, status: str, order_id: int | None,
                  reason: tuple[str, dict[str, Any]] | None = None) -> dict:
    """The outcome, stamped with the batch's sync version when the batch ends."""
    key, params = reason or ("", {})
    row = dict(
        client=client_pk, mutation_id=mutation.id, name=mutation.name, args=mutation.args,
        device_time=mutation.device_time, server_time=servertime.now(), status=status,
        reason_key=key, reason_params=_jsonable(params), work_order=order_id, version=UNSTAMPED,
    )
    await SyncMutation.insert(SyncMutation(**row))
    return row


async def _apply_or_reject(
    caller: Caller, client_pk: int, mutation: MutationIn, rules: orders.TimeRules, pending: changes.Pending
) -> dict | None:
    """The recorded outcome; None when a duplicate of this batch settled the mutation first."""
    for attempt in range(orders.MAX_ATTEMPTS):
        mark = pending.mark()
        try:
            async with savepoint():
                await _claim(client_pk, mutation.id)
                order_id = await mutations.apply(caller, mutation.name, mutation.args, mutation.device_time, rules)
                return await _record(client_pk, mutation, "applied", order_id)
        except _Replayed:
            pending.rollback_to(mark)
            return None
        except DomainError as refusal:
            pending.rollback_to(mark)
            reason = await _reason(caller, mutation, refusal)
            break
        except Exception as exc:  # a concurrent writer took the order's next history slot: again
            pending.rollback_to(mark)
            if not orders.is_race(exc) or attempt == orders.MAX_ATTEMPTS - 1:
                raise
    # Rejected: its effects rolled back; the refusal with the arguments, and the advance of the
    # last mutation id, are recorded instead, so the queue moves on and nothing typed is lost.
    order_id = mutations.order_of(mutation.args)
    if order_id is not None and not await WorkOrder.exists().where(WorkOrder.id == order_id):
        order_id = None
    try:
        await _claim(client_pk, mutation.id)
    except _Replayed:
        return None
    return await _record(client_pk, mutation, "rejected", order_id, reason)


async def _reason(caller: Caller, mutation: MutationIn, refusal: DomainError) -> tuple[str, dict[str, Any]]:
    """A reason the technician can act on. "Not found" for an order they held means it was taken
    from them: say by whom and when."""
    order_id = mutations.order_of(mutation.args)
    if isinstance(refusal, NotFound) and order_id is not None:
        events = await orders.history(order_id)
        lost = lost_access_reason(events, caller.id) if events else None
        if lost is not None:
            key, params = lost
            return key, {**params, "at": f"{params['at'].astimezone(orders.TZ):%m-%d %H:%M}"}
    return refusal.key, {**refusal.params, "issues": [i.key for i in refusal.issues]}


def result_of(row: dict, lang: str) -> MutationResult:
    rejected = row["status"] == "rejected"
    return MutationResult(
        id=row["mutation_id"], name=row["name"], status=row["status"], order_id=row["work_order"],
        reason_code=row["reason_key"] or None,
        reason=render(row["reason_key"], lang, row["reason_params"]) if rejected else None,
        server_time=row["server_time"],
    )


def _jsonable(params: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in params.items()}
