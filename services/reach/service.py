"""Reads of tracked notices (an order's, the board's, the unseen alerts), the technician's
receipts, each user's channel preference and the escalation policy (versioned; audited)."""

from __future__ import annotations

from datetime import timedelta

import servertime
from db.engine import write_transaction
from db.push_tables import PushOutbox
from db.reach_tables import EscalationPolicy, ReachNotice, ReachOutbox, ReachPreference
from domain import reach as rules
from domain.errors import NotFound
from reach import records
from reach.channels import channels, contacts
from services.audit import record_change
from services.auth.schemas import Caller
from services.reach import schemas as s

N = ReachNotice
NOTICE_COLUMNS = (*N.all_columns(), N.recipient.display_name.as_alias("recipient_name"))
# The board shows each technician's newest notice of this recent past.
BOARD_WINDOW = timedelta(hours=12)
SEND_RANK = {"sent": 2, "pending": 1}


async def _out(rows: list[dict]) -> list[s.NoticeOut]:
    ids = [r["id"] for r in rows]
    sends: dict[int, dict[str, s.ChannelSend]] = {}

    def keep(notice: int, send: s.ChannelSend) -> None:
        held = sends.setdefault(notice, {}).get(send.channel)
        if held is None or SEND_RANK.get(send.state, 0) > SEND_RANK.get(held.state, 0):
            sends[notice][send.channel] = send

    if ids:
        for p in await PushOutbox.select(
            PushOutbox.reach_notice,
            PushOutbox.state,
            PushOutbox.sent_at,
            PushOutbox.attempts,
            PushOutbox.last_error,
        ).where(PushOutbox.reach_notice.is_in(ids)):
            keep(
                p["reach_notice"],
                s.ChannelSend(
                    channel="webpush",
                    state=p["state"],
                    at=p["sent_at"],
                    attempts=p["attempts"],
                    error=p["last_error"],
                ),
            )
        for o in await ReachOutbox.select().where(ReachOutbox.notice.is_in(ids)):
            keep(
                o["notice"],
                s.ChannelSend(
                    channel=o["channel"],
                    state=o["state"],
                    at=o["sent_at"],
                    attempts=o["attempts"],
                    error=o["last_error"],
                ),
            )
    return [
        s.NoticeOut(
            id=r["id"],
            work_order=r["work_order"],
            code=r["params"].get("code", ""),
            recipient=r["recipient"],
            recipient_name=r["recipient_name"],
            notice=r["notice"],
            state=rules.state(r["first_sent_at"], r["delivered_at"], r["seen_at"]).value,
            created_at=r["created_at"],
            sent_at=r["first_sent_at"],
            sent_via=r["first_sent_via"],
            delivered_at=r["delivered_at"],
            delivered_by=r["delivered_by"],
            seen_at=r["seen_at"],
            seen_by=r["seen_by"],
            alert_at=r["alert_at"],
            alerted_at=r["alerted_at"],
            superseded=r["superseded_at"] is not None,
            channels=[sends.get(r["id"], {})[c] for c in r["tried"] if c in sends.get(r["id"], {})],
        )
        for r in rows
    ]


async def order_notices(order_id: int) -> list[s.NoticeOut]:
    rows = (
        await N.select(*NOTICE_COLUMNS)
        .where(N.work_order == order_id)
        .order_by(N.id)
        .output(load_json=True)
    )
    return await _out(rows)


async def board() -> list[s.NoticeOut]:
    """Each technician's newest notice of the last 12 hours."""
    rows = (
        await N.select(*NOTICE_COLUMNS)
        .where(N.created_at >= servertime.now() - BOARD_WINDOW)
        .order_by(N.id)
        .output(load_json=True)
    )
    newest = {r["recipient"]: r for r in rows}
    return await _out(list(newest.values()))


async def alerts() -> list[s.NoticeOut]:
    """Notices the dispatchers were alerted of and that are still unseen, oldest first."""
    rows = (
        await N.select(*NOTICE_COLUMNS)
        .where(N.alerted_at.is_not_null() & N.seen_at.is_null() & N.superseded_at.is_null())
        .order_by(N.alerted_at)
        .output(load_json=True)
    )
    return await _out(rows)


async def seen(caller: Caller, data: s.Seen) -> None:
    async with write_transaction():
        await records.seen(caller.id, data.work_order, "opened")


async def receipt(caller: Caller, data: s.Receipt) -> None:
    if not await records.delivered_by_push(caller.id, data.notice):
        raise NotFound("reach.notice_not_found", notice=data.notice)


async def preferences(user_id: int) -> s.PreferencesOut:
    contact = (await contacts([user_id])).get(user_id)
    if contact is None:
        raise NotFound("reach.user_not_found", user=user_id)
    own = (
        await ReachPreference.select(ReachPreference.channels)
        .where(ReachPreference.user == user_id)
        .first()
    )
    return s.PreferencesOut(
        channels=contact.order,
        own=bool(own and own["channels"]),
        wecom_user=contact.wecom_user,
        mobile=contact.mobile is not None,
        push_devices=len(contact.devices),
        configured=[name for name, c in channels().items() if c.configured()],
    )


async def set_preferences(caller: Caller, user_id: int, data: s.Preferences) -> s.PreferencesOut:
    """The user's own choice, or a supervisor's for them (their WeCom id, say)."""
    await preferences(user_id)  # an active user
    now = servertime.now()
    values = {"channels": list(dict.fromkeys(data.channels)), "wecom_user": data.wecom_user}
    async with write_transaction():
        P = ReachPreference
        if (
            not await P.update(
                {P.channels: values["channels"], P.wecom_user: data.wecom_user, P.updated_at: now}
            )
            .where(P.user == user_id)
            .returning(P.id)
        ):
            await P.insert(P(user=user_id, updated_at=now, **values))
        await record_change(caller, "reach.preferences", f"user/{user_id}", now, values)
    return await preferences(user_id)


def _policy_out(row: dict | None) -> s.EscalationPolicyOut:
    if row is None:
        d = rules.DEFAULT_ESCALATION
        return s.EscalationPolicyOut(
            deliver_percent=d.deliver_percent,
            seen_percent=d.seen_percent,
            deliver_minutes=d.deliver_minutes,
            seen_minutes=d.seen_minutes,
            effective_from=None,
            updated_by=None,
        )
    return s.EscalationPolicyOut(
        deliver_percent=row["deliver_percent"],
        seen_percent=row["seen_percent"],
        deliver_minutes=row["deliver_minutes"],
        seen_minutes=row["seen_minutes"],
        effective_from=row["effective_from"],
        updated_by=row["updated_by"],
    )


async def escalation_policies(history: bool) -> list[s.EscalationPolicyOut]:
    rows = (
        await EscalationPolicy.select()
        .order_by(EscalationPolicy.effective_from)
        .order_by(EscalationPolicy.id)
    )
    out = [
        _policy_out(None),
        *(_policy_out(r) for r in rows),
    ]  # the default until a supervisor sets one
    return out if history else out[-1:]


async def set_escalation_policy(
    caller: Caller, data: s.EscalationPolicySet
) -> s.EscalationPolicyOut:
    """From now on; notices already queued keep the deadlines they were given."""
    now = servertime.now()
    values = {
        "deliver_percent": data.deliver_percent,
        "seen_percent": data.seen_percent,
        "deliver_minutes": data.deliver_minutes,
        "seen_minutes": data.seen_minutes,
    }
    async with write_transaction():
        await EscalationPolicy.insert(
            EscalationPolicy(effective_from=now, updated_by=caller.id, **values)
        )
        await record_change(caller, "policy.escalation", "escalation", now, values)
    return _policy_out({**values, "effective_from": now, "updated_by": caller.id})
