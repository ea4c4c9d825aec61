"""Area outages (片区故障, §2.1.1 B, §2.3): detecting them from repair orders, what a fault notice
and a restoration notice must state, and how an outage moves (its figures: domain/reports.py).

"Similar" repair orders: kind repair, customers on the same network (one-way cable-TV and two-way
broadband faults come from different plant, so they are not one outage), raised from the same
place. A place is a 小区 (community), a 路段 (road) or a 片区 (area); every order has an area and
its community and road lie inside it, so the area alone decides whether there is an outage and
the community or road, when one holds enough of the orders by itself, names it more precisely.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from domain.errors import Conflict, Invalid, Issue
from domain.vocabulary import Kind

OUTAGE_KINDS = frozenset({Kind.repair})


@dataclass(frozen=True)
class DetectionPolicy:
    """N similar repair orders within T minutes point to an outage (defaults of §2.1.1 B)."""

    orders: int = 3
    minutes: int = 30


DEFAULT_DETECTION = DetectionPolicy()


class Scope(StrEnum):
    """The place an outage covers, narrowest first."""

    community = "community"  # 小区
    road = "road"  # 路段
    area = "area"  # 片区


class Status(StrEnum):
    suspected = "suspected"  # detected from orders: someone must go and confirm it
    confirmed = "confirmed"  # confirmed on the ground, or reported by another department
    published = "published"  # a fault notice is out (revisions keep it current)
    restored = "restored"  # the restoration notice ended it
    dismissed = "dismissed"  # not an outage after all


OPEN = frozenset({Status.suspected, Status.confirmed, Status.published})
# A mass outage with no notice out yet: shift handover waits for it (§1.2.4 A).
UNPUBLISHED = frozenset({Status.suspected, Status.confirmed})


class Step(StrEnum):
    confirm = "confirm"
    publish = "publish"  # a fault notice, or a newer revision of it
    restore = "restore"  # the restoration notice
    dismiss = "dismiss"


MOVES: dict[Step, dict[Status, Status]] = {
    Step.confirm: {Status.suspected: Status.confirmed},
    Step.publish: {s: Status.published for s in OPEN},
    Step.restore: {Status.published: Status.restored},
    Step.dismiss: {Status.suspected: Status.dismissed, Status.confirmed: Status.dismissed},
}


def move(status: Status, step: Step) -> Status:
    """The status after `step`, or a Conflict naming the current status."""
    after = MOVES[step].get(status)
    if after is None:
        raise Conflict(
            "outage.illegal",
            status=status.value,
            step=step.value,
            allowed=[s.value for s, moves in MOVES.items() if status in moves],
        )
    return after


# ---- detection ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Report:
    """What detection needs of one work order."""

    id: int
    kind: str
    network: str
    area: int
    community: int | None
    road: int | None
    created_at: datetime


@dataclass(frozen=True)
class Place:
    scope: Scope
    id: int

    def holds(self, report: Report) -> bool:
        return getattr(report, self.scope.value) == self.id


@dataclass(frozen=True)
class Suspicion:
    place: Place
    network: str
    orders: tuple[int, ...]  # ids of the orders that make it, oldest first


def similar(a: Report, b: Report) -> bool:
    return (
        a.kind in OUTAGE_KINDS and b.kind == a.kind and a.network == b.network and a.area == b.area
    )


def places_of(report: Report) -> list[Place]:
    """The places a report lies in, narrowest first."""
    return [
        Place(scope, getattr(report, scope.value))
        for scope in Scope
        if getattr(report, scope.value)
    ]


def detect(new: Report, others: Sequence[Report], policy: DetectionPolicy) -> Suspicion | None:
    """Run when `new` is raised: the outage it completes, if at least `policy.orders` similar
    orders (itself included) were raised in the `policy.minutes` up to it, named by the
    narrowest place that holds that many. `others` are earlier orders not yet part of an outage."""
    if new.kind not in OUTAGE_KINDS:
        return None
    since = new.created_at - timedelta(minutes=policy.minutes)
    window = [
        r
        for r in others
        if r.id != new.id and similar(new, r) and since <= r.created_at <= new.created_at
    ]
    for place in places_of(new):
        members = sorted(
            [new, *(r for r in window if place.holds(r))], key=lambda r: (r.created_at, r.id)
        )
        if len(members) >= policy.orders:
            return Suspicion(place, new.network, tuple(r.id for r in members))
    return None


def joins(report: Report, place: Place, network: str, area: int) -> bool:
    """Whether a new order belongs to an open outage at that place: a similar repair order from it."""
    return (
        report.kind in OUTAGE_KINDS
        and report.network == network
        and report.area == area
        and place.holds(report)
    )


# ---- notices --------------------------------------------------------------------------------


@dataclass(frozen=True)
class FaultNotice:
    """§2.3.1 B: 接xx部门/人员通知, location, cause, affected scope, estimated restoration, and the
    one explanation every agent gives (统一解释口径)."""

    reporter: str
    location: str
    cause: str
    affected_scope: str
    estimated_restoration: datetime | None
    explanation: str


@dataclass(frozen=True)
class RestorationNotice:
    """§2.3.1 C: 接xx部门/人员通知, confirmed cause, restoration time."""

    reporter: str
    confirmed_cause: str
    restored_at: datetime | None


FAULT_ELEMENTS = ("location", "cause", "affected_scope", "estimated_restoration", "explanation")
RESTORATION_ELEMENTS = ("confirmed_cause", "restored_at")


def _missing(notice: object, elements: Sequence[str]) -> list[Issue]:
    issues = []
    for element in elements:
        value = getattr(notice, element)
        if value is None or (isinstance(value, str) and not value.strip()):
            issues.append(Issue(f"outage.missing_{element}", {}, element))
    return issues


def fault_notice_issues(notice: FaultNotice, now: datetime) -> list[Issue]:
    """Every required element missing, at once; an estimate already past is no estimate."""
    issues = _missing(notice, FAULT_ELEMENTS)
    if notice.estimated_restoration is not None and notice.estimated_restoration <= now:
        issues.append(Issue("outage.estimate_in_past", {}, "estimated_restoration"))
    return issues


def restoration_issues(
    notice: RestorationNotice, detected_at: datetime, now: datetime
) -> list[Issue]:
    issues = _missing(notice, RESTORATION_ELEMENTS)
    if notice.restored_at is not None and not detected_at <= notice.restored_at <= now:
        issues.append(Issue("outage.restored_at_out_of_range", {}, "restored_at"))
    return issues


def check_fault_notice(notice: FaultNotice, now: datetime) -> None:
    if issues := fault_notice_issues(notice, now):
        raise Invalid("outage.notice_incomplete", issues)


def reporter_named(reporter: str) -> bool:
    """Without a named reporting department or person the publisher (a fault notice) or the last
    editor (a restoration notice) is responsible for the notice (§2.3.1 B, C)."""
    return bool(reporter.strip())
