"""The callbacks queue: closed orders whose callback clock is still running, soonest due first.

After closure the callback clock is the only one that can still run (closing stops every other
clock), so the order row's clock summary (`clock_next_due`, `clock_next_risk`) is the callback's
due and at-risk times: the queue filters, counts and pages on them in SQL, then reads the page's
histories in one query for the details.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import servertime
from db.tables import WorkOrder
from domain import reports
from domain.clocks import ClockName
from domain.lifecycle import Action
from domain.vocabulary import State
from services.callbacks import schemas as s
from services.types import Ref
from services.work_orders import service as orders


@dataclass(frozen=True)
class Filters:
    area_id: int | None = None
    status: str | None = None  # at_risk | overdue
    due_from: date | None = None  # local days the callback falls due on, both included
    due_to: date | None = None
    limit: int = 50
    offset: int = 0


def _awaiting(f: Filters) -> list:
    where = [(WorkOrder.state == State.closed.value) & WorkOrder.clock_next_due.is_not_null()]
    if f.area_id:
        where.append(WorkOrder.area == f.area_id)
    if f.due_from and f.due_to:
        reports.period(f.due_from, f.due_to, orders.TZ)  # refuses a reversed or absurd period
    # A callback due "on" a day falls due at the end of it, i.e. at the next local midnight.
    if f.due_from:
        where.append(
            WorkOrder.clock_next_due > datetime.combine(f.due_from, time(0), tzinfo=orders.TZ)
        )
    if f.due_to:
        end = datetime.combine(f.due_to, time(0), tzinfo=orders.TZ) + timedelta(days=1)
        where.append(WorkOrder.clock_next_due <= end)
    return where


def _status(name: str, now: datetime):
    if name == "overdue":
        return WorkOrder.clock_next_due <= now
    return (WorkOrder.clock_next_risk <= now) & (WorkOrder.clock_next_due > now)


async def _count(where: list) -> int:
    query = WorkOrder.count()
    for condition in where:
        query = query.where(condition)
    return await query


async def queue(f: Filters) -> s.CallbackQueue:
    now = servertime.now()
    awaiting = _awaiting(f)
    listed = [*awaiting, _status(f.status, now)] if f.status else awaiting
    page = WorkOrder.select(*orders.ORDER_COLUMNS)
    for condition in listed:
        page = page.where(condition)
    rows = await (
        page.order_by(WorkOrder.clock_next_due)
        .order_by(WorkOrder.id)
        .limit(f.limit)
        .offset(f.offset)
        .output(load_json=True)
    )
    histories = await orders.histories([r["id"] for r in rows], clocks_only=True)
    rules = await orders.load_time_rules()
    return s.CallbackQueue(
        items=[_item(r, histories.get(r["id"], []), rules, now) for r in rows],
        total=await _count(listed),
        at_risk=await _count([*awaiting, _status("at_risk", now)]),
        overdue=await _count([*awaiting, _status("overdue", now)]),
        limit=f.limit,
        offset=f.offset,
    )


def _item(order: dict, events: list[dict], rules: orders.TimeRules, now: datetime) -> s.CallbackDue:
    clock = next(
        c
        for c in reversed(orders.clocks_of(order["kind"], events, rules, now))
        if c.name == ClockName.callback and c.stopped_at is None
    )
    signed = [e for e in events if e["action"] == Action.sign and e["seq"] <= clock.started_by]
    closure = order["closure"] or {}
    return s.CallbackDue(
        order_id=order["id"],
        code=order["code"],
        kind=order["kind"],
        customer_name=order["customer_name"],
        customer_tier=order["customer_tier"],
        contact_name=order["contact_name"],
        contact_phone=order["contact_phone"],
        area=Ref(id=order["area"], name=order["area_name"]),
        handled_by=Ref(id=order["assignee"], name=order["assignee_name"])
        if order["assignee"]
        else None,
        outcome=closure.get("outcome"),
        signing_satisfaction=signed[-1]["payload"].satisfaction if signed else None,
        completed_at=clock.started_at,
        due=clock.due,
        at_risk=clock.at_risk,
        overdue=now > clock.due,
        # The clock still runs: every callback since it started missed the customer.
        attempts=[
            s.CallbackAttempt(
                at=e["effective_time"],
                remark=e["payload"].remark,
                by=Ref(id=e["actor"], name=e["actor_name"]) if e["actor"] else None,
            )
            for e in events
            if e["action"] == Action.callback and e["seq"] > clock.started_by
        ],
    )
