"""Shift handover (交接班, §1.2): the sheet's items A–C compiled from live data, when the handover
must wait (§1.2.4 A), and who signs when (punctuality: domain/reports.py).

A  unfinished orders that need urging or tracking: a clock at risk or breached, urged, a flagged
   remark, or back with dispatch (returned, cannot proceed);
B  emergencies: every open area outage, with its linked orders (they are tracked through it, so
   they are not listed again in A);
C  orders of special customers and sources being tracked: VIP and dedicated-line customers,
   dedicated-line orders, 110/119 and mayor-hotline orders — every open one, whatever its clocks.
Orders sent back to the call centre are the call centre's, not the dispatcher's, until resubmitted.
D–F (planned work, systems and equipment, anything else) the outgoing dispatcher writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from domain.errors import Conflict, Forbidden
from domain.outages import UNPUBLISHED
from domain.priority import dedicated_line
from domain.vocabulary import OPEN_STATES, Source, State, Tier


class Status(StrEnum):
    draft = "draft"  # the outgoing dispatcher is preparing it
    signed_out = "signed_out"  # the outgoing signed; the incoming is reading it
    completed = "completed"  # the incoming signed: the shift has changed hands


class Reason(StrEnum):
    """Why an order is on the sheet (several may apply)."""

    breached = "breached"
    at_risk = "at_risk"
    urged = "urged"
    flagged = "flagged"
    returned = "returned"
    cannot_proceed = "cannot_proceed"
    vip = "vip"
    dedicated_line = "dedicated_line"
    emergency = "emergency"  # 110 / 119
    mayor_hotline = "mayor_hotline"


@dataclass(frozen=True)
class OrderFacts:
    id: int
    code: str
    kind: str
    source: str
    state: str
    customer_tier: str
    urge_count: int
    remark_flagged: bool
    at_risk: bool
    breached: bool
    in_open_outage: bool


@dataclass(frozen=True)
class OutageFacts:
    id: int
    status: str


@dataclass(frozen=True)
class Item:
    order: int
    reasons: tuple[Reason, ...]


@dataclass(frozen=True)
class Compiled:
    a: list[Item] = field(default_factory=list)
    b: list[int] = field(default_factory=list)  # open outages
    c: list[Item] = field(default_factory=list)


def special_reasons(order: OrderFacts) -> list[Reason]:
    reasons = []
    if order.customer_tier == Tier.vip:
        reasons.append(Reason.vip)
    if dedicated_line(order.customer_tier, order.kind):
        reasons.append(Reason.dedicated_line)
    if order.source == Source.emergency:
        reasons.append(Reason.emergency)
    if order.source == Source.mayor_hotline:
        reasons.append(Reason.mayor_hotline)
    return reasons


def tracking_reasons(order: OrderFacts) -> list[Reason]:
    reasons = []
    if order.breached:
        reasons.append(Reason.breached)
    elif order.at_risk:
        reasons.append(Reason.at_risk)
    if order.urge_count:
        reasons.append(Reason.urged)
    if order.remark_flagged:
        reasons.append(Reason.flagged)
    if order.state == State.returned:
        reasons.append(Reason.returned)
    if order.state == State.cannot_proceed:
        reasons.append(Reason.cannot_proceed)
    return reasons


def compile_sheet(orders: Sequence[OrderFacts], outages: Sequence[OutageFacts]) -> Compiled:
    sheet = Compiled(b=[o.id for o in outages])
    for order in sorted(orders, key=lambda o: o.id):
        if order.state not in OPEN_STATES or order.state == State.sent_back:
            continue
        if special := special_reasons(order):
            sheet.c.append(Item(order.id, tuple(special + tracking_reasons(order))))
        elif (tracking := tracking_reasons(order)) and not order.in_open_outage:
            sheet.a.append(Item(order.id, tuple(tracking)))
    return sheet


def holding_back(outages: Sequence[OutageFacts]) -> list[int]:
    """Outages that hold the handover back: suspected or confirmed, no fault notice out yet."""
    return [o.id for o in outages if o.status in UNPUBLISHED]


def check_not_held_back(held: Sequence[int]) -> None:
    """Refuse signing while `held` (from holding_back) names outages."""
    if held:
        raise Conflict(
            "handover.held_back", outages=list(held), ids=", ".join(f"#{i}" for i in held)
        )


# ---- who signs ------------------------------------------------------------------------------


def check_outgoing(
    status: str, outgoing: int, caller: int, expected: Status = Status.draft
) -> None:
    if caller != outgoing:
        raise Forbidden("handover.not_outgoing")
    if status != expected:
        raise Conflict("handover.wrong_status", sheet_status=status)


def check_incoming(status: str, incoming: int | None, outgoing: int, caller: int) -> None:
    if incoming is not None and caller != incoming:
        raise Forbidden("handover.not_incoming")
    if caller == outgoing:
        raise Forbidden("handover.same_person")
    if status != Status.signed_out:
        raise Conflict("handover.wrong_status", sheet_status=status)
