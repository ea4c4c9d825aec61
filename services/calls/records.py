"""Calls as an order's documents carry them (beside its history, not in it: a call is no step) and
as every answer shows them: each judged by the call policy version in force when it started."""

from __future__ import annotations

import re
from datetime import time
from zoneinfo import ZoneInfo

from db.call_tables import CallPolicyVersion, CallRecord
from db.tables import WorkOrder
from domain import calls as rules
from services.calls import schemas as s
from services.staff import display_names
from services.types import Ref
from settings import settings

TZ = ZoneInfo(settings.timezone)  # rest hours are the branch's local times


def digits(number: str) -> str:
    return re.sub(r"\D", "", number)


async def policy_rows() -> list[dict]:
    return (
        await CallPolicyVersion.select()
        .order_by(CallPolicyVersion.effective_from)
        .order_by(CallPolicyVersion.id)
        .output(load_json=True)
    )


def policy_of(row: dict) -> rules.CallPolicy:
    windows = tuple(
        rules.RestWindow(time.fromisoformat(w["start"]), time.fromisoformat(w["end"]))
        for w in row["rest_hours"]
    )
    return rules.CallPolicy(row["max_minutes"], windows, row["effective_from"])


async def policy_versions() -> list[rules.CallPolicy]:
    return [policy_of(r) for r in await policy_rows()]


def facts(row: dict, contact_digits: str | None) -> rules.CallFacts:
    # To the customer: outbound, to the order's contact number (a call with no order: any outbound call).
    to_customer = row["direction"] == rules.Direction.outbound and (
        contact_digits is None or digits(row["callee"]) == contact_digits
    )
    return rules.CallFacts(
        origin=row["origin"],
        started_at=row["started_at"],
        answered_at=row["answered_at"],
        ended_at=row["ended_at"],
        recording_ref=row["recording_ref"],
        to_customer=to_customer,
    )


async def judged(rows: list[dict], contacts: dict[int, str] | None = None) -> list[s.CallOut]:
    """`rows` (call_record) as answers; `contacts`: the orders' contact numbers, when at hand."""
    versions = await policy_versions()
    names = await display_names(r["staff"] for r in rows)
    if contacts is None:
        order_ids = sorted({r["work_order"] for r in rows if r["work_order"]})
        contacts = (
            {
                o["id"]: o["contact_phone"]
                for o in await WorkOrder.select(WorkOrder.id, WorkOrder.contact_phone).where(
                    WorkOrder.id.is_in(order_ids)
                )
            }
            if order_ids
            else {}
        )
    out = []
    for r in rows:
        contact = contacts.get(r["work_order"])
        verdict = rules.judge(facts(r, None if contact is None else digits(contact)), versions, TZ)
        out.append(
            s.CallOut(
                id=r["id"],
                call_id=r["call_id"],
                origin=r["origin"],
                order_id=r["work_order"],
                staff=Ref(id=r["staff"], name=names.get(r["staff"], "")) if r["staff"] else None,
                direction=r["direction"],
                caller=r["caller"],
                callee=r["callee"],
                started_at=r["started_at"],
                answered_at=r["answered_at"],
                ended_at=r["ended_at"],
                seconds=verdict.seconds,
                recording_ref=r["recording_ref"],
                tapped_on=r["tapped_on"],
                urgent=r["urgent"],
                recorded=verdict.recorded,
                in_rest_hours=verdict.in_rest_hours,
                within_limit=verdict.within_limit,
                max_minutes=rules.policy_at(versions, r["started_at"]).max_minutes,
            )
        )
    return out


async def calls_of(orders: list[dict]) -> dict[int, list[s.CallOut]]:
    """Each order's calls, oldest first (orders: rows with `id` and `contact_phone`)."""
    ids = [o["id"] for o in orders]
    rows = (
        await CallRecord.select()
        .where(CallRecord.work_order.is_in(ids))
        .order_by(CallRecord.started_at)
        .order_by(CallRecord.id)
    )
    answers = await judged(rows, {o["id"]: o["contact_phone"] for o in orders}) if rows else []
    out: dict[int, list[s.CallOut]] = {i: [] for i in ids}
    for call in answers:
        out[call.order_id].append(call)
    return out
