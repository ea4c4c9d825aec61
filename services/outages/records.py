"""Outage records as the work-order service needs them: detection when a repair order is raised
(in its transaction), the outage an order is grouped under, and the one place every change of an
outage passes. Called by services/work_orders/service.py, so it imports nothing from it."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

import events
from db.dispatch_tables import Outage, OutageDetectionPolicy, OutageNotice, OutageOrder
from db.engine import current_engine, is_sqlite
from db.tables import WorkOrder
from domain import outages as rules
from domain.vocabulary import State
from services.audit import record_change
from services.auth.schemas import Caller
from services.outages.schemas import OrderOutage

DETECTION_LOCK = 7_001  # the advisory-lock class of outage detection (PostgreSQL)
OUTAGE_COLUMNS = (
    *Outage.all_columns(),
    Outage.area.name.as_alias("area_name"),
    Outage.community.name.as_alias("community_name"),
    Outage.road.name.as_alias("road_name"),
)


async def detection_policy(at: datetime) -> rules.DetectionPolicy:
    row = await (
        OutageDetectionPolicy.select(OutageDetectionPolicy.orders, OutageDetectionPolicy.minutes)
        .where(OutageDetectionPolicy.effective_from <= at)
        .order_by(OutageDetectionPolicy.effective_from, ascending=False)
        .order_by(OutageDetectionPolicy.id, ascending=False)
        .first()
    )
    return rules.DetectionPolicy(row["orders"], row["minutes"]) if row else rules.DEFAULT_DETECTION


def place_of(outage: dict) -> rules.Place:
    scope = rules.Scope(outage["scope"])
    return rules.Place(scope, outage[scope.value])


async def changed(
    outage_id: int, caller: Caller | None, action: str, now: datetime, **payload: Any
) -> None:
    """Every change of an outage (detected, confirmed, notice out, orders linked, restored, …)
    passes here, inside its transaction: the audit trail, and the `outage` live event."""
    await record_change(caller, action, f"outage/{outage_id}", now, payload, nobody_role="system")
    status = await Outage.select(Outage.status).where(Outage.id == outage_id).first()
    await events.publish(
        events.OUTAGE, {"id": outage_id, "status": status["status"], "action": action}
    )


async def link(
    outage_id: int, order_ids: Iterable[int], by: Caller | None, now: datetime
) -> list[int]:
    """Group orders under an outage; returns those newly linked (an order already in it is skipped)."""
    ids = sorted(set(order_ids))
    if not ids:
        return []
    current = {
        r["work_order"]
        for r in await OutageOrder.select(OutageOrder.work_order).where(
            OutageOrder.work_order.is_in(ids)
            & OutageOrder.unlinked_at.is_null()
            & (OutageOrder.outage == outage_id)
        )
    }
    new = [i for i in ids if i not in current]
    if new:
        await OutageOrder.insert(
            *[
                OutageOrder(outage=outage_id, work_order=i, linked_at=now, linked_by=by and by.id)
                for i in new
            ]
        )
    return new


def _report(order: dict) -> rules.Report:
    return rules.Report(
        order["id"],
        order["kind"],
        order["network"],
        order["area"],
        order["community"],
        order["road"],
        order["created_at"],
    )


REPORT_COLUMNS = (
    WorkOrder.id,
    WorkOrder.kind,
    WorkOrder.customer.network.as_alias("network"),
    WorkOrder.area,
    WorkOrder.community,
    WorkOrder.road,
    WorkOrder.created_at,
)


async def on_order_created(order_id: int, now: datetime) -> int | None:
    """A new order joins the open outage whose place it is in, or may complete a new suspected
    outage (the dispatcher is alerted: it is listed at once). Returns the outage it is now in."""
    order = await WorkOrder.select(*REPORT_COLUMNS).where(WorkOrder.id == order_id).first()
    new = _report(order)
    if new.kind not in rules.OUTAGE_KINDS:
        return None
    if not is_sqlite(current_engine()):
        # Two orders raised at once in one area must not both start an outage of the same orders:
        # detection is serialised per area until the transaction ends. (SQLite's writers already are.)
        await Outage.raw("SELECT pg_advisory_xact_lock({}, {})", DETECTION_LOCK, new.area)
    open_here = (
        await Outage.select()
        .where(
            (Outage.area == new.area)
            & (Outage.network == new.network)
            & Outage.status.is_in(list(rules.OPEN))
        )
        .order_by(Outage.id)
    )
    for outage in open_here:
        if rules.joins(new, place_of(outage), outage["network"], outage["area"]):
            await link(outage["id"], [order_id], None, now)
            await changed(
                outage["id"], None, "outage.orders_linked", now, orders=[order_id], by="detection"
            )
            return outage["id"]
    policy = await detection_policy(now)
    recent = await WorkOrder.select(*REPORT_COLUMNS).where(
        (WorkOrder.area == new.area)
        & (WorkOrder.kind == new.kind)
        & (WorkOrder.id != order_id)
        & (WorkOrder.created_at >= now - timedelta(minutes=policy.minutes))
        & (WorkOrder.state != State.cancelled)
    )
    # Orders already grouped under an outage (open or over) are accounted for.
    grouped = {
        r["work_order"]
        for r in await OutageOrder.select(OutageOrder.work_order).where(
            OutageOrder.work_order.is_in([r["id"] for r in recent] or [0])
            & OutageOrder.unlinked_at.is_null()
        )
    }
    others = [_report(r) for r in recent if r["id"] not in grouped]
    suspicion = rules.detect(new, others, policy)
    if suspicion is None:
        return None
    place = suspicion.place
    rows = await Outage.insert(
        Outage(
            area=new.area,
            scope=place.scope.value,
            network=suspicion.network,
            status=rules.Status.suspected.value,
            community=place.id if place.scope == rules.Scope.community else None,
            road=place.id if place.scope == rules.Scope.road else None,
            detected_at=now,
            updated_at=now,
        )
    )
    outage_id = rows[0]["id"]
    await link(outage_id, suspicion.orders, None, now)
    await changed(
        outage_id,
        None,
        "outage.suspected",
        now,
        status=rules.Status.suspected.value,
        orders=list(suspicion.orders),
        policy={"orders": policy.orders, "minutes": policy.minutes},
    )
    return outage_id


async def latest_notice(outage_id: int, kind: str) -> dict | None:
    return (
        await OutageNotice.select()
        .where((OutageNotice.outage == outage_id) & (OutageNotice.kind == kind))
        .order_by(OutageNotice.revision, ascending=False)
        .first()
    )


async def outages_of_orders(order_ids: list[int]) -> dict[int, OrderOutage]:
    """The outage each order is grouped under (orders in none are absent), with the explanation
    agents give once a notice is out: three queries for any number of orders."""
    links = (
        await OutageOrder.select(OutageOrder.work_order, OutageOrder.outage).where(
            OutageOrder.work_order.is_in(order_ids) & OutageOrder.unlinked_at.is_null()
        )
        if order_ids
        else []
    )
    if not links:
        return {}
    outage_ids = sorted({link["outage"] for link in links})
    found = await Outage.select(Outage.id, Outage.status, Outage.restored_at).where(
        Outage.id.is_in(outage_ids)
    )
    newest: dict[int, dict] = {}  # the newest fault notice of each outage
    for notice in (
        await OutageNotice.select(
            OutageNotice.outage, OutageNotice.explanation, OutageNotice.estimated_restoration
        )
        .where(OutageNotice.outage.is_in(outage_ids) & (OutageNotice.kind == "fault"))
        .order_by(OutageNotice.revision)
    ):
        newest[notice["outage"]] = notice
    explained = {
        o["id"]: OrderOutage(
            id=o["id"],
            status=o["status"],
            explanation=newest[o["id"]]["explanation"] if o["id"] in newest else None,
            estimated_restoration=newest[o["id"]]["estimated_restoration"]
            if o["id"] in newest
            else None,
            restored_at=o["restored_at"],
        )
        for o in found
    }
    return {link["work_order"]: explained[link["outage"]] for link in links}
