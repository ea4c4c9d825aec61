"""Tracked notices: queued in the step's transaction on the recipient's first usable channel,
delivered by a pull or the service worker's receipt, seen when the job is opened or a step taken
on it; escalated to the next channel while undelivered and raised to the dispatchers while unseen
(the policy in force when the notice was queued decides when). Every change of a notice is a
`notice` live event for the console."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import servertime
from db.engine import write_transaction
from db.push_tables import PushOutbox
from db.reach_tables import EscalationPolicy, ReachNotice, ReachOutbox
from domain import notifications as notes_rules
from domain import reach as rules
from domain.clocks import ClockName, PolicyLookup
from events import publisher as live_events
from reach.channels import Channel, Contact, channels, contacts, usable

N = ReachNotice


async def policy_in_force(at: datetime) -> tuple[int | None, rules.EscalationPolicy]:
    row = await (
        EscalationPolicy.select()
        .where(EscalationPolicy.effective_from <= at)
        .order_by(EscalationPolicy.effective_from, ascending=False)
        .order_by(EscalationPolicy.id, ascending=False)
        .first()
    )
    if row is None:
        return None, rules.DEFAULT_ESCALATION
    return row["id"], rules.EscalationPolicy(
        row["deliver_percent"], row["seen_percent"], row["deliver_minutes"], row["seen_minutes"]
    )


def _event(notice: Mapping[str, Any], **extra: Any) -> tuple[str, dict[str, Any]]:
    return live_events.NOTICE, {
        "id": notice["id"],
        "work_order": notice["work_order"],
        "recipient": notice["recipient"],
        **extra,
    }


async def notify(
    notes: Sequence[notes_rules.Notification], order: Mapping[str, Any], limits: PolicyLookup
) -> int:
    """Called in the step's transaction with the notices of one step on `order` (the row as
    written), `limits` the clock policy in force. Each is recorded and queued on the recipient's first usable channel; older
    notices of the same order to the same person are superseded. Returns notices queued."""
    tracked = [n for n in notes if n.type in rules.TRACKED]
    if not tracked:
        return 0
    now = servertime.now()
    policy_id, policy = await policy_in_force(now)
    everyone = await contacts(n.recipient for n in tracked)
    all_channels = channels()
    events = []
    for note in tracked:
        contact = everyone.get(note.recipient)
        if contact is None:  # deactivated meanwhile: no one to reach
            continue
        clock = (
            ClockName.urge_contact
            if note.type == notes_rules.NoticeType.urged
            else ClockName.contact
        )
        limit = limits(clock, order["kind"], order["priority"], now)
        due = rules.deadlines(policy, note.type, limit.minutes if limit else None)
        older = (
            await N.update({N.superseded_at: now, N.escalate_at: None, N.alert_at: None})
            .where(
                (N.recipient == note.recipient)
                & (N.work_order == note.work_order)
                & N.superseded_at.is_null()
            )
            .returning(N.id)
        )
        await _drop_unsent([r["id"] for r in older])
        row = N(
            recipient=note.recipient,
            work_order=note.work_order,
            notice=note.type.value,
            params=note.params,
            topic=note.topic,
            urgency=note.urgency.value,
            ttl_seconds=note.ttl_seconds,
            order_version=order["version"],
            created_at=now,
            channels=contact.order,
            tried=[],
            escalate_at=now + due.escalate_after,
            escalate_seconds=int(due.escalate_after.total_seconds()),
            alert_at=now + due.alert_after if due.alert_after else None,
            policy=policy_id,
        )
        notice = {**row.to_dict(), "id": (await N.insert(row).returning(N.id))[0]["id"]}
        await _open_next_channel(notice, contact, all_channels, now)
        events.append(_event(notice, state=rules.State.queued.value))
    await live_events.publish_all(events)
    return len(events)


async def _drop_unsent(
    notice_ids: list[int], outboxes: Sequence = (ReachOutbox.notice, PushOutbox.reach_notice)
) -> None:
    """Notices seen or superseded need no more sending on any channel."""
    if notice_ids:
        for outbox in outboxes:
            table = outbox._meta.table
            await table.update({table.state: "dropped"}).where(
                outbox.is_in(notice_ids) & (table.state == "pending")
            )


async def _open_next_channel(
    notice: dict, contact: Contact, all_channels: dict[str, Channel], now: datetime
) -> str | None:
    """Queue the notice on the next channel of the recipient's order that can reach them."""
    channel = rules.next_channel(notice["channels"], notice["tried"], usable(all_channels, contact))
    if channel is None:
        return None
    await all_channels[channel].queue(notice, contact, now)
    notice["tried"] = [*notice["tried"], channel]
    await N.update({N.tried: notice["tried"]}).where(N.id == notice["id"])
    return channel


async def sent(notice_ids: Sequence[int], channel: str, at: datetime) -> None:
    """A channel handed these notices on: the first time, they are `sent`."""
    if not notice_ids:
        return
    first = (
        await N.update({N.first_sent_at: at, N.first_sent_via: channel})
        .where(N.id.is_in(list(notice_ids)) & N.first_sent_at.is_null())
        .returning(N.id, N.work_order, N.recipient)
    )
    await live_events.publish_all(
        [_event(n, state=rules.State.sent.value, via=channel) for n in first]
    )


async def _received(where, by: str, now: datetime) -> None:
    """Mark delivered the open notices `where` selects, and tell the consoles. The phone has
    them: a WeCom message or an SMS still queued is not needed (a push still queued for the phone
    stays: it is what makes the phone ring)."""
    rows = (
        await N.update({N.delivered_at: now, N.delivered_by: by, N.escalate_at: None})
        .where(where & N.delivered_at.is_null())
        .returning(N.id, N.work_order, N.recipient)
    )
    await _drop_unsent([r["id"] for r in rows], (ReachOutbox.notice,))
    await live_events.publish_all(
        [_event(n, state=rules.State.delivered.value, by=by) for n in rows]
    )


async def delivered_by_pull(
    user_id: int, versions: Mapping[int, int], removed: Sequence[int]
) -> None:
    """A pull carried these orders (id: version) and removals to the user's phone: the notices
    they tell of are delivered. Only notices of a version the pull carried (one committed after
    the pull read its orders waits for the next pull)."""
    if not versions and not removed:
        return
    open_ = await N.select(N.id, N.work_order, N.order_version, N.notice).where(
        (N.recipient == user_id)
        & N.delivered_at.is_null()
        & N.work_order.is_in([*versions, *removed])
    )
    carried = [
        n["id"]
        for n in open_
        if n["work_order"] in removed or versions.get(n["work_order"], -1) >= n["order_version"]
    ]
    if carried:
        async with write_transaction():
            await _received(N.id.is_in(carried), "pull", servertime.now())


async def delivered_by_push(user_id: int, notice_id: int) -> bool:
    """The phone's service worker received the push of this notice. False: not the user's."""
    async with write_transaction():
        if not await N.exists().where((N.id == notice_id) & (N.recipient == user_id)):
            return False
        await _received(N.id == notice_id, "push", servertime.now())
    return True


async def seen(user_id: int, order_id: int, by: str, now: datetime | None = None) -> int:
    """The technician opened the job (`opened`) or took a step on it: every notice of the order
    to them is seen (and so delivered). In the caller's transaction. Returns notices changed."""
    now = now or servertime.now()
    mine = (N.recipient == user_id) & (N.work_order == order_id)
    await _received(mine, by, now)
    rows = (
        await N.update({N.seen_at: now, N.seen_by: by, N.alert_at: None})
        .where(mine & N.seen_at.is_null())
        .returning(N.id, N.work_order, N.recipient)
    )
    await _drop_unsent([r["id"] for r in rows])
    await live_events.publish_all([_event(n, state=rules.State.seen.value, by=by) for n in rows])
    return len(rows)


def _state(notice: Mapping[str, Any]) -> rules.State:
    """The state of a notice not yet seen (escalated, alerted)."""
    return rules.state(notice["first_sent_at"], notice["delivered_at"], None)


async def escalate_now(notice_id: int, now: datetime) -> None:
    """A channel refused the notice for good: try the next one at the next round."""
    await N.update({N.escalate_at: now}).where(
        (N.id == notice_id) & N.delivered_at.is_null() & N.superseded_at.is_null()
    )


async def escalate_due(now: datetime | None = None) -> int:
    """Undelivered notices past their deadline go out on the next channel; each is then given
    the same time again. Returns notices escalated."""
    now = now or servertime.now()
    due = (
        await N.select()
        .where((N.escalate_at <= now) & N.delivered_at.is_null() & N.superseded_at.is_null())
        .output(load_json=True)
    )
    if not due:
        return 0
    everyone = await contacts(n["recipient"] for n in due)
    all_channels = channels()
    escalated = 0
    for notice in due:
        async with write_transaction():
            # Claimed by moving its deadline: of two senders racing, one gets it back.
            later = now + timedelta(seconds=notice["escalate_seconds"])
            if (
                not await N.update({N.escalate_at: later})
                .where((N.id == notice["id"]) & (N.escalate_at == notice["escalate_at"]))
                .returning(N.id)
            ):
                continue
            contact = everyone.get(notice["recipient"])
            channel = contact and await _open_next_channel(notice, contact, all_channels, now)
            if channel is None:  # nothing left to try: the dispatcher's alert is what remains
                await N.update({N.escalate_at: None}).where(N.id == notice["id"])
                continue
            escalated += 1
            await live_events.publish_all(
                [_event(notice, state=_state(notice).value, escalated_to=channel)]
            )
    return escalated


async def alert_due(now: datetime | None = None) -> int:
    """Notices not seen by their deadline: the dispatchers are alerted, once. Returns alerts."""
    now = now or servertime.now()
    due = (
        (N.alert_at <= now)
        & N.seen_at.is_null()
        & N.superseded_at.is_null()
        & N.alerted_at.is_null()
    )
    if not await N.exists().where(due):  # the common round: no write lock taken
        return 0
    async with write_transaction():
        rows = (
            await N.update({N.alerted_at: now, N.alert_at: None})
            .where(due)
            .returning(N.id, N.work_order, N.recipient, N.first_sent_at, N.delivered_at)
        )
        await live_events.publish_all([_event(n, state=_state(n).value, alert=True) for n in rows])
    return len(rows)
