"""What a dispatcher weighs when choosing who takes an order: where each person is in their day,
how much they hold, whether they work in the order's area, and whether the routing matrix lets
their team take it at all. Plain functions over facts the caller loads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from domain.routing import DEFAULT_CONTRACTOR_KINDS, route_issues
from domain.vocabulary import State

# Orders a person is working: assigned to them and not yet returned to dispatch or ended.
HELD_STATES = frozenset(
    {State.dispatched, State.accepted, State.contacted, State.en_route, State.on_site}
)


class Status(StrEnum):
    on_site = "on_site"  # 到场: at a customer's
    en_route = "en_route"  # 在途: travelling to one
    idle = "idle"  # 空闲: neither (may still hold orders not started)


@dataclass(frozen=True)
class HeldOrder:
    id: int
    code: str
    state: str
    area_id: int
    changed_at: datetime  # when the order last changed (its latest step)


@dataclass(frozen=True)
class Whereabouts:
    status: Status
    order_id: int | None = None
    order_code: str | None = None
    since: datetime | None = None


def whereabouts(held: list[HeldOrder]) -> Whereabouts:
    """On site beats en route (someone on site who set off to the next job earlier is still on
    site); among several, the latest change wins, as that is the step they took last."""
    for status in (Status.on_site, Status.en_route):
        matching = [o for o in held if o.state == status.value]
        if matching:
            latest = max(matching, key=lambda o: (o.changed_at, o.id))
            return Whereabouts(status, latest.id, latest.code, latest.changed_at)
    return Whereabouts(Status.idle)


@dataclass(frozen=True)
class Person:
    """A person who may be handed orders, with what is known of their day."""

    id: int
    name: str
    role: str
    team_name: str | None
    team_function: str | None
    team_network: str | None
    home_area_ids: frozenset[int]  # their own area and their team's
    held: tuple[HeldOrder, ...] = ()
    last_event_at: datetime | None = None  # their latest step on an order they hold
    team_employer: str | None = None

    @property
    def load(self) -> int:
        return len(self.held)

    def works_in(self, area_id: int) -> bool:
        """Home area, or holding an order there right now."""
        return area_id in self.home_area_ids or any(o.area_id == area_id for o in self.held)


@dataclass(frozen=True)
class OrderToPlace:
    id: int
    kind: str
    customer_network: str
    area_id: int
    assignee_id: int | None
    contractor_kinds: frozenset[str] = (
        DEFAULT_CONTRACTOR_KINDS  # the routing policy in the order's area
    )


@dataclass(frozen=True)
class Suggestion:
    person: Person
    where: Whereabouts
    in_area: bool
    current: bool  # holds the order already


_STATUS_RANK = {Status.idle: 0, Status.en_route: 1, Status.on_site: 2}


def suggest(order: OrderToPlace, people: list[Person], limit: int = 10) -> list[Suggestion]:
    """Whom the routing matrix allows for this order, best first: those working in the order's
    area, then the lightest load, then idle before en route before on site; name breaks ties.
    People the matrix refuses are never suggested (dispatching them needs a supervisor's override)."""
    ranked = []
    for person in people:
        if route_issues(
            order.kind,
            order.customer_network,
            person.team_function,
            person.team_network,
            person.team_employer,
            order.contractor_kinds,
        ):
            continue
        where = whereabouts(list(person.held))
        ranked.append(
            Suggestion(
                person, where, person.works_in(order.area_id), person.id == order.assignee_id
            )
        )
    ranked.sort(
        key=lambda s: (
            not s.in_area,
            s.person.load,
            _STATUS_RANK[s.where.status],
            s.person.name,
            s.person.id,
        )
    )
    return ranked[:limit]
