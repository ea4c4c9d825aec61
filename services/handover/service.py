"""Shift handover sheets: compiled from live orders and outages, written, signed by both sides,
kept. Every change goes to the audit trail; the `handover` live event belongs in `_changed`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

import events
import servertime
from db.dispatch_tables import HandoverSheet, Outage, OutageNotice, OutageOrder
from db.engine import write_transaction
from db.tables import StaffUser, WorkOrder
from domain import duty as duty_rules
from domain import handover as rules
from domain.errors import Conflict, Forbidden, Invalid, NotFound
from domain.outages import OPEN
from domain.vocabulary import OPEN_STATES, Role, State
from services.audit import record_change
from services.auth.schemas import Caller
from services.duty import service as duty
from services.handover import schemas as s
from services.outages import records as outage_records
from services.staff import display_names, staff_ref
from services.work_orders.service import summary_flags

ON_DUTY = (Role.dispatcher, Role.supervisor)  # who hands over and takes over a dispatch shift


async def _changed(
    sheet_id: int, caller: Caller, action: str, now: datetime, **payload: Any
) -> None:
    """Every change of a sheet passes here, inside its transaction: the audit trail, the live event."""
    await record_change(caller, action, f"handover/{sheet_id}", now, payload)
    status = (
        await HandoverSheet.select(HandoverSheet.status).where(HandoverSheet.id == sheet_id).first()
    )
    await events.publish(
        events.HANDOVER, {"id": sheet_id, "status": status["status"], "action": action}
    )


# ---- compiling A–C ---------------------------------------------------------------------------


async def _open_outages() -> list[dict]:
    query = Outage.select(*outage_records.OUTAGE_COLUMNS).where(Outage.status.is_in(list(OPEN)))
    return await query.order_by(Outage.id)


async def compile_items(now: datetime) -> s.Items:
    """A–C from the orders and outages as they stand now."""
    rows = await WorkOrder.select(
        WorkOrder.id,
        WorkOrder.code,
        WorkOrder.kind,
        WorkOrder.source,
        WorkOrder.state,
        WorkOrder.urge_count,
        WorkOrder.remark_flagged,
        WorkOrder.clock_next_due,
        WorkOrder.clock_next_risk,
        WorkOrder.clock_breached,
        WorkOrder.customer.tier.as_alias("customer_tier"),
        WorkOrder.customer.name.as_alias("customer_name"),
        WorkOrder.assignee.display_name.as_alias("assignee_name"),
    ).where(WorkOrder.state.is_in(list(OPEN_STATES - {State.sent_back})))
    outages = await _open_outages()
    links = await OutageOrder.select(OutageOrder.outage, OutageOrder.work_order).where(
        OutageOrder.outage.is_in([o["id"] for o in outages] or [0])
        & OutageOrder.unlinked_at.is_null()
    )
    in_outage = {link["work_order"] for link in links}
    facts = []
    for r in rows:
        at_risk, breached = summary_flags(r, now)
        facts.append(
            rules.OrderFacts(
                id=r["id"],
                code=r["code"],
                kind=r["kind"],
                source=r["source"],
                state=r["state"],
                customer_tier=r["customer_tier"],
                urge_count=r["urge_count"],
                remark_flagged=r["remark_flagged"],
                at_risk=at_risk,
                breached=breached,
                in_open_outage=r["id"] in in_outage,
            )
        )
    sheet = rules.compile_sheet(facts, [rules.OutageFacts(o["id"], o["status"]) for o in outages])
    by_id = {r["id"]: r for r in rows}

    def item(entry: rules.Item) -> s.OrderItem:
        r = by_id[entry.order]
        return s.OrderItem(
            id=r["id"],
            code=r["code"],
            kind=r["kind"],
            source=r["source"],
            state=r["state"],
            customer_name=r["customer_name"],
            assignee=r["assignee_name"],
            next_due=r["clock_next_due"],
            reasons=[x.value for x in entry.reasons],
        )

    estimates = {}
    for n in (
        await OutageNotice.select(OutageNotice.outage, OutageNotice.estimated_restoration)
        .where(OutageNotice.outage.is_in(sheet.b or [0]) & (OutageNotice.kind == "fault"))
        .order_by(OutageNotice.revision)
    ):
        estimates[n["outage"]] = n["estimated_restoration"]
    return s.Items(
        a=[item(i) for i in sheet.a],
        b=[
            s.OutageItem(
                id=o["id"],
                status=o["status"],
                area=o["area_name"],
                place=o[f"{o['scope']}_name"],
                orders=sum(link["outage"] == o["id"] for link in links),
                estimated_restoration=estimates.get(o["id"]),
            )
            for o in outages
        ],
        c=[item(i) for i in sheet.c],
        broadcast=await duty.on_handover_sheet(),
    )


async def held_back_by() -> list[int]:
    return rules.holding_back(
        [rules.OutageFacts(o["id"], o["status"]) for o in await _open_outages()]
    )


# ---- reading --------------------------------------------------------------------------------


async def _load(sheet_id: int) -> dict:
    sheet = (
        await HandoverSheet.select()
        .where(HandoverSheet.id == sheet_id)
        .output(load_json=True)
        .first()
    )
    if sheet is None:
        raise NotFound("handover.not_found", id=sheet_id)
    return sheet


async def _names(sheets: list[dict]) -> dict[int, str]:
    return await display_names(
        x for sh in sheets for x in (sh["outgoing"], sh["incoming"], sh["substitute_named_by"])
    )


def _summary_fields(sheet: dict, names: dict[int, str]) -> dict[str, Any]:
    return dict(
        id=sheet["id"],
        status=sheet["status"],
        outgoing=staff_ref(sheet["outgoing"], names),
        incoming=staff_ref(sheet["incoming"], names),
        scheduled_at=sheet["scheduled_at"],
        outgoing_signed_at=sheet["outgoing_signed_at"],
        incoming_signed_at=sheet["incoming_signed_at"],
        held_back_at=sheet["held_back_at"],
    )


async def list_sheets(limit: int, offset: int) -> list[s.SheetSummary]:
    sheets = (
        await HandoverSheet.select()
        .order_by(HandoverSheet.scheduled_at, ascending=False)
        .order_by(HandoverSheet.id, ascending=False)
        .limit(limit)
        .offset(offset)
    )
    names = await _names(sheets)
    return [s.SheetSummary(**_summary_fields(sh, names)) for sh in sheets]


async def detail(sheet_id: int) -> s.SheetOut:
    sheet = await _load(sheet_id)
    names = await _names([sheet])
    open_ = sheet["status"] != rules.Status.completed
    return s.SheetOut(
        **_summary_fields(sheet, names),
        compiled_at=sheet["compiled_at"],
        items=msgspec.convert(sheet["items"], s.Items),
        planned_work=sheet["planned_work"],
        systems=sheet["systems"],
        other=sheet["other"],
        incoming_note=sheet["incoming_note"],
        substitute_named_by=staff_ref(sheet["substitute_named_by"], names),
        substitute_reason=sheet["substitute_reason"],
        created_at=sheet["created_at"],
        held_back_by=await held_back_by() if open_ else [],
        held_back_by_broadcast=await duty.broadcast_holding_back() if open_ else [],
        incoming_on_roster=await duty.on_roster(sheet["incoming"], sheet["scheduled_at"])
        if open_ and sheet["incoming"]
        else None,
    )


# ---- writing --------------------------------------------------------------------------------


async def _on_duty(user_id: int) -> None:
    if not await StaffUser.exists().where(
        (StaffUser.id == user_id) & StaffUser.role.is_in(list(ON_DUTY)) & StaffUser.active.eq(True)
    ):
        raise Invalid("handover.unknown_person", id=user_id)


async def _update(sheet_id: int, now: datetime, **fields: Any) -> None:
    await HandoverSheet.update(
        {getattr(HandoverSheet, k): v for k, v in {**fields, "updated_at": now}.items()}
    ).where(HandoverSheet.id == sheet_id)


async def _check_incoming(
    caller: Caller, incoming_id: int | None, scheduled_at: datetime | None
) -> None:
    """The incoming dispatcher named on a sheet: on duty, not the outgoing one, and on the roster
    of the shift the handover starts (when one was drawn up)."""
    if incoming_id is not None:
        await _on_duty(incoming_id)
        if incoming_id == caller.id:
            raise Forbidden("handover.same_person")
        if scheduled_at is not None and await duty.on_roster(incoming_id, scheduled_at) is False:
            raise Invalid("handover.incoming_not_on_roster", id=incoming_id)


async def create(caller: Caller, data: s.CreateSheet) -> s.SheetOut:
    now = servertime.now()
    await _check_incoming(caller, data.incoming_id, data.scheduled_at)
    async with write_transaction():
        mine = (
            await HandoverSheet.select(HandoverSheet.id)
            .where(
                (HandoverSheet.outgoing == caller.id)
                & (HandoverSheet.status != rules.Status.completed)
            )
            .first()
        )
        if mine:
            raise Conflict("handover.open_exists", id=mine["id"])
        items = await compile_items(now)
        rows = await HandoverSheet.insert(
            HandoverSheet(
                status=rules.Status.draft.value,
                outgoing=caller.id,
                incoming=data.incoming_id,
                scheduled_at=data.scheduled_at,
                compiled_at=now,
                items=msgspec.to_builtins(items),
                planned_work=data.planned_work,
                systems=data.systems,
                other=data.other,
                created_at=now,
                updated_at=now,
            )
        )
        await _changed(
            rows[0]["id"],
            caller,
            "handover.prepared",
            now,
            scheduled_at=data.scheduled_at.isoformat(),
            incoming=data.incoming_id,
        )
    return await detail(rows[0]["id"])


async def edit(caller: Caller, sheet_id: int, data: s.EditSheet) -> s.SheetOut:
    now = servertime.now()
    async with write_transaction():
        sheet = await _load(sheet_id)
        await _check_incoming(caller, data.incoming_id, sheet["scheduled_at"])
        rules.check_outgoing(sheet["status"], sheet["outgoing"], caller.id)
        fields = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not None}
        if "incoming_id" in fields:
            fields["incoming"] = fields.pop("incoming_id")
        await _update(sheet_id, now, **fields)
        await _changed(sheet_id, caller, "handover.edited", now, **fields)
    return await detail(sheet_id)


async def recompile(caller: Caller, sheet_id: int) -> s.SheetOut:
    now = servertime.now()
    async with write_transaction():
        sheet = await _load(sheet_id)
        rules.check_outgoing(sheet["status"], sheet["outgoing"], caller.id)
        await _update(
            sheet_id, now, items=msgspec.to_builtins(await compile_items(now)), compiled_at=now
        )
        await _changed(sheet_id, caller, "handover.compiled", now)
    return await detail(sheet_id)


async def _hold_back_if_needed(
    sheet: dict, caller: Caller, now: datetime
) -> tuple[list[int], list[int]]:
    """An unpublished mass outage, or an unreported broadcast-safety event, postpones the handover
    (§1.2.4 A): the first refusal is kept on the sheet, so punctuality reports do not count the wait
    against the dispatchers. Returns (outages, broadcast-safety events) holding it back."""
    held, broadcast = await held_back_by(), await duty.broadcast_holding_back()
    if (held or broadcast) and sheet["held_back_at"] is None:
        await _update(sheet["id"], now, held_back_at=now)
        await _changed(
            sheet["id"], caller, "handover.held_back", now, outages=held, broadcast_events=broadcast
        )
    return held, broadcast


def _check_not_held_back(held: tuple[list[int], list[int]]) -> None:
    rules.check_not_held_back(held[0])
    duty_rules.check_broadcast_reported(held[1])


async def sign_out(caller: Caller, sheet_id: int) -> s.SheetOut:
    now = servertime.now()
    async with write_transaction():
        sheet = await _load(sheet_id)
        rules.check_outgoing(sheet["status"], sheet["outgoing"], caller.id)
        held = await _hold_back_if_needed(sheet, caller, now)
        if not any(held):
            await _update(
                sheet_id, now, status=rules.Status.signed_out.value, outgoing_signed_at=now
            )
            await _changed(sheet_id, caller, "handover.signed_out", now)
    # Raised after the commit: the postponement itself is on record.
    _check_not_held_back(held)
    return await detail(sheet_id)


async def sign_in(caller: Caller, sheet_id: int, data: s.SignIn) -> s.SheetOut:
    now = servertime.now()
    async with write_transaction():
        sheet = await _load(sheet_id)
        rules.check_incoming(sheet["status"], sheet["incoming"], sheet["outgoing"], caller.id)
        on_roster = await duty.on_roster(caller.id, sheet["scheduled_at"])
        duty_rules.check_takes_over(
            on_roster, on_roster is False and await duty.named_substitute(sheet_id, caller.id)
        )
        held = await _hold_back_if_needed(sheet, caller, now)
        if not any(held):
            await _update(
                sheet_id,
                now,
                status=rules.Status.completed.value,
                incoming=caller.id,
                incoming_signed_at=now,
                incoming_note=data.note,
            )
            await _changed(
                sheet_id,
                caller,
                "handover.completed",
                now,
                late_minutes=round((now - sheet["scheduled_at"]).total_seconds() / 60, 1),
            )
    _check_not_held_back(held)
    return await detail(sheet_id)


async def substitute(caller: Caller, sheet_id: int, data: s.Substitute) -> s.SheetOut:
    now = servertime.now()
    await _on_duty(data.user_id)
    async with write_transaction():
        sheet = await _load(sheet_id)
        if sheet["status"] == rules.Status.completed:
            raise Conflict("handover.wrong_status", sheet_status=sheet["status"])
        other = sheet["incoming"] if data.side == "outgoing" else sheet["outgoing"]
        if data.user_id == other:
            raise Forbidden("handover.same_person")
        await _update(
            sheet_id,
            now,
            **{
                data.side: data.user_id,
                "substitute_named_by": caller.id,
                "substitute_reason": data.reason,
            },
        )
        await _changed(
            sheet_id,
            caller,
            "handover.substitute",
            now,
            side=data.side,
            user=data.user_id,
            reason=data.reason,
        )
    return await detail(sheet_id)
