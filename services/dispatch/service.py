"""Reads for the dispatchers: each person's day (orders held, whereabouts, devices' last contact)
and the ranked candidates for an order (domain/dispatch.py)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

import servertime
from db.sync_tables import SyncClient
from db.tables import StaffUser, WorkOrder, WorkOrderEvent
from domain.dispatch import (
    HELD_STATES,
    HeldOrder,
    OrderToPlace,
    Person,
    Whereabouts,
    suggest,
    whereabouts,
)
from domain.errors import NotFound
from domain.lifecycle import HANDLERS
from domain.vocabulary import FIELD_ROLES
from services.dispatch import schemas as s
from services.duty.service import on_duty_now
from services.routing.service import contractor_kinds


async def _people(roles: Iterable[str]) -> tuple[list[Person], dict[int, s.Contact]]:
    users = (
        await StaffUser.select(
            StaffUser.id,
            StaffUser.display_name,
            StaffUser.role,
            StaffUser.area,
            StaffUser.team.name.as_alias("team_name"),
            StaffUser.team.function.as_alias("team_function"),
            StaffUser.team.network.as_alias("team_network"),
            StaffUser.team.area.as_alias("team_area"),
            StaffUser.team.employer.as_alias("team_employer"),
        )
        .where(StaffUser.active.eq(True) & StaffUser.role.is_in(list(roles)))
        .order_by(StaffUser.display_name)
    )
    if not users:
        return [], {}
    ids = [u["id"] for u in users]
    held_rows = await WorkOrder.select(
        WorkOrder.id,
        WorkOrder.code,
        WorkOrder.state,
        WorkOrder.assignee,
        WorkOrder.area,
        WorkOrder.updated_at,
    ).where(WorkOrder.assignee.is_in(ids) & WorkOrder.state.is_in([x.value for x in HELD_STATES]))
    held: dict[int, list[HeldOrder]] = defaultdict(list)
    for o in held_rows:
        held[o["assignee"]].append(
            HeldOrder(o["id"], o["code"], o["state"], o["area"], o["updated_at"])
        )
    last_event: dict[int, object] = {}
    if held_rows:
        # Their own steps on what they hold (indexed by order): the latest is their last status.
        events = await WorkOrderEvent.select(
            WorkOrderEvent.actor, WorkOrderEvent.server_time
        ).where(
            WorkOrderEvent.work_order.is_in([o["id"] for o in held_rows])
            & WorkOrderEvent.actor.is_in(ids)
        )
        for e in events:
            if e["actor"] not in last_event or e["server_time"] > last_event[e["actor"]]:
                last_event[e["actor"]] = e["server_time"]
    devices: dict[int, list[dict]] = defaultdict(list)
    for c in await SyncClient.select(
        SyncClient.user,
        SyncClient.last_pull_at,
        SyncClient.last_push_at,
        SyncClient.outbox_pending,
    ).where(SyncClient.user.is_in(ids)):
        devices[c["user"]].append(c)
    people = [
        Person(
            id=u["id"],
            name=u["display_name"],
            role=u["role"],
            team_name=u["team_name"],
            team_function=u["team_function"],
            team_network=u["team_network"],
            home_area_ids=frozenset(a for a in (u["area"], u["team_area"]) if a is not None),
            held=tuple(sorted(held[u["id"]], key=lambda o: (o.changed_at, o.id), reverse=True)),
            last_event_at=last_event.get(u["id"]),
            team_employer=u["team_employer"],
        )
        for u in users
    ]
    return people, {u["id"]: _contact(devices[u["id"]]) for u in users}


def _contact(devices: list[dict]) -> s.Contact:
    def latest(key: str):
        return max((d[key] for d in devices if d[key] is not None), default=None)

    pull, push = latest("last_pull_at"), latest("last_push_at")
    return s.Contact(
        last_contact_at=max((t for t in (pull, push) if t is not None), default=None),
        last_pull_at=pull,
        last_push_at=push,
        outbox_pending=sum(d["outbox_pending"] for d in devices),
        devices=len(devices),
    )


def _where(w: Whereabouts) -> s.Whereabouts:
    return s.Whereabouts(
        status=w.status.value, order_id=w.order_id, order_code=w.order_code, since=w.since
    )


async def board() -> s.Board:
    people, contacts = await _people(r.value for r in FIELD_ROLES)
    duty = await on_duty_now()
    return s.Board(
        as_of=servertime.now(),
        people=[
            s.BoardRow(
                id=p.id,
                name=p.name,
                role=p.role,
                team=p.team_name,
                where=_where(whereabouts(list(p.held))),
                load=p.load,
                orders=[o.code for o in p.held],
                last_event_at=p.last_event_at,
                contact=contacts[p.id],
                duty=duty.get(p.id),
            )
            for p in people
        ],
    )


async def suggestions(order_id: int) -> s.Suggestions:
    order = (
        await WorkOrder.select(
            WorkOrder.id,
            WorkOrder.kind,
            WorkOrder.area,
            WorkOrder.assignee,
            WorkOrder.customer.network.as_alias("customer_network"),
        )
        .where(WorkOrder.id == order_id)
        .first()
    )
    if order is None:
        raise NotFound("order.not_found", id=order_id)
    people, contacts = await _people(r.value for r in HANDLERS)
    ranked = suggest(
        OrderToPlace(
            id=order["id"],
            kind=order["kind"],
            customer_network=order["customer_network"],
            area_id=order["area"],
            assignee_id=order["assignee"],
            contractor_kinds=await contractor_kinds(order["area"]),
        ),
        people,
    )
    return s.Suggestions(
        order_id=order_id,
        as_of=servertime.now(),
        candidates=[
            s.SuggestionOut(
                id=c.person.id,
                name=c.person.name,
                team=c.person.team_name,
                in_area=c.in_area,
                current=c.current,
                where=_where(c.where),
                load=c.person.load,
                last_event_at=c.person.last_event_at,
                contact=contacts[c.person.id],
            )
            for c in ranked
        ],
    )
