"""Writing notifications into the outbox, in the caller's transaction: a step that is rolled back
sends nothing, and a step that commits cannot lose its push (the sender drains the outbox)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import servertime
from db.engine import is_unique_violation, write_transaction
from db.push_tables import PushClockWarning, PushOutbox, PushSubscription
from db.tables import StaffUser, WorkOrder
from domain import notifications as rules
from domain.clocks import PolicyLookup
from domain.lifecycle import ASSIGNED
from domain.vocabulary import FIELD_ROLES
from settings import settings


async def enqueue(notes: Sequence[rules.Notification]) -> int:
    """One outbox row per notification and per device of its recipient (active users only).
    Returns how many rows were written."""
    if not notes:
        return 0
    subscriptions = await PushSubscription.select(PushSubscription.id, PushSubscription.user).where(
        PushSubscription.user.is_in(list({n.recipient for n in notes}))
        & PushSubscription.user.active.eq(True)
    )
    devices: dict[int, list[int]] = {}
    for s in subscriptions:
        devices.setdefault(s["user"], []).append(s["id"])
    now = servertime.now()
    rows = [
        PushOutbox(
            subscription=device,
            notice=n.type.value,
            params=n.params,
            work_order=n.work_order,
            topic=n.topic,
            urgency=n.urgency.value,
            ttl_seconds=n.ttl_seconds,
            created_at=now,
            next_attempt_at=now,
        )
        for n in notes
        for device in devices.get(n.recipient, [])
    ]
    if rows:
        await PushOutbox.insert(*rows)
    return len(rows)


def order_view(order: Mapping[str, Any]) -> rules.OrderView:
    """From a work-order row selected with its area's name as `area_name`."""
    return rules.OrderView(
        id=order["id"],
        code=order["code"],
        kind=order["kind"],
        area=order["area_name"],
        state=order["state"],
        assignee=order["assignee"],
        priority=order["priority"],
        urge_count=order["urge_count"],
        due=order["clock_next_due"],
    )


async def enqueue_for_event(
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    event: Mapping[str, Any],
    limits: PolicyLookup,
) -> int:
    """Called by the work-order service after a step, inside its transaction. The notices of a
    step are tracked (reach/: receipts, other channels, escalation, timed by the contact
    clocks' `limits` in force); a step the holder takes on their order shows they have seen it."""
    from reach import records as reach  # reach queues web push through this module's tables

    if event["actor"] == after["assignee"]:
        await reach.seen(event["actor"], after["id"], event["action"], event["server_time"])
    notes = rules.for_event(
        order_view(before),
        order_view(after),
        event["action"],
        event["actor"],
        settings.push_ttl_seconds,
    )
    return await reach.notify(notes, after, limits)


async def enqueue_outage_notice(area_id: int, notice: rules.OutageNotice) -> int:
    """Tell the field staff of an area about a fault notice or its restoration. For the outage
    notices of issue 7, which call it in the transaction that publishes the notice."""
    technicians = await StaffUser.select(StaffUser.id).where(
        (StaffUser.area == area_id)
        & StaffUser.role.is_in(list(FIELD_ROLES))
        & StaffUser.active.eq(True)
    )
    return await enqueue(
        rules.outage_notifications(
            notice, [t["id"] for t in technicians], settings.push_ttl_seconds
        )
    )


WARNING_COLUMNS = (
    WorkOrder.id,
    WorkOrder.code,
    WorkOrder.kind,
    WorkOrder.area.name.as_alias("area_name"),
    WorkOrder.state,
    WorkOrder.assignee,
    WorkOrder.priority,
    WorkOrder.urge_count,
    WorkOrder.clock_next_due,
    WorkOrder.clock_next_risk,
)


async def warn_of_clocks(now: datetime | None = None) -> int:
    """The periodic scan: warn the holder of each order whose soonest clock is about to breach,
    once per due time (a new due time, after an urge say, warns again). Returns warnings given."""
    now = now or servertime.now()
    lead = timedelta(minutes=settings.push_clock_warning_minutes)
    # Every held order with a running clock: a branch holds hundreds at most.
    held = await WorkOrder.select(*WARNING_COLUMNS).where(
        WorkOrder.state.is_in(list(ASSIGNED))
        & WorkOrder.assignee.is_not_null()
        & (WorkOrder.clock_next_due > now)
    )
    warned = 0
    for order in held:
        note = rules.clock_warning(order_view(order), order["clock_next_risk"], now, lead)
        if note is not None and await _warn_once(order["id"], order["clock_next_due"], note, now):
            warned += 1
    return warned


async def _warn_once(order_id: int, due: datetime, note: rules.Notification, now: datetime) -> bool:
    """Record the warning and enqueue it together; a second sender scanning at the same moment
    finds the due time recorded (or loses the race on the unique key) and warns no one."""
    try:
        async with write_transaction():
            moved = (
                await PushClockWarning.update(
                    {PushClockWarning.due: due, PushClockWarning.warned_at: now}
                )
                .where((PushClockWarning.work_order == order_id) & (PushClockWarning.due != due))
                .returning(PushClockWarning.id)
            )
            if not moved:
                if await PushClockWarning.exists().where(PushClockWarning.work_order == order_id):
                    return False
                await PushClockWarning.insert(
                    PushClockWarning(work_order=order_id, due=due, warned_at=now)
                )
            await enqueue([note])
    except Exception as exc:
        if is_unique_violation(exc):
            return False
        raise
    return True
