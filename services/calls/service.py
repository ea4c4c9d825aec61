"""Calls to customers: the telephony system's reports (idempotent by its call id), taps on "call"
recorded as attempts, an order's calls judged by the call policy, and that policy's versions."""

from __future__ import annotations

from datetime import datetime, timedelta

import events.publisher as events
import servertime
from db import changes
from db.call_tables import CallPolicyVersion, CallRecord
from db.engine import write_transaction
from db.tables import StaffUser, WorkOrder
from domain import calls as rules
from domain.clocks import effective_time
from domain.errors import Conflict, Invalid, NotFound
from services.audit import record_change
from services.auth.schemas import Caller
from services.calls import records
from services.calls import schemas as s
from services.system_clients.service import used as client_used
from services.work_orders.service import Raced, can_read, retrying
from settings import settings

_FIELDS = (
    "direction",
    "caller",
    "callee",
    "started_at",
    "answered_at",
    "ended_at",
    "recording_ref",
)


def _policy_out(p: rules.CallPolicy, updated_by: int | None) -> s.CallPolicyOut:
    return s.CallPolicyOut(
        max_minutes=p.max_minutes,
        timezone=records.TZ.key,
        effective_from=p.effective_from,
        updated_by=updated_by,
        rest_hours=[
            s.RestWindowIO(w.start.strftime("%H:%M"), w.end.strftime("%H:%M")) for w in p.rest_hours
        ],
    )


async def policies(history: bool) -> list[s.CallPolicyOut]:
    rows = await records.policy_rows()
    out = [_policy_out(rules.DEFAULT_CALL_POLICY, None)] + [
        _policy_out(records.policy_of(r), r["updated_by"]) for r in rows
    ]
    return out if history else out[-1:]


async def set_policy(caller: Caller, data: s.CallPolicySet) -> s.CallPolicyOut:
    now = servertime.now()
    hours = [{"start": w.start, "end": w.end} for w in data.rest_hours]
    if any(w["start"] == w["end"] for w in hours):
        raise Invalid("call.empty_rest_window")
    async with write_transaction():
        await changes.reference_changed()  # phones check rest hours before dialling, offline too
        await CallPolicyVersion.insert(
            CallPolicyVersion(
                max_minutes=data.max_minutes,
                rest_hours=hours,
                effective_from=now,
                updated_by=caller.id,
            )
        )
        payload = {"max_minutes": data.max_minutes, "rest_hours": hours}
        await record_change(caller, "policy.calls", "calls", now, payload)
    return (await policies(history=False))[0]


# ---- calls --------------------------------------------------------------------------------------


async def _visible_order(caller: Caller, order_id: int) -> dict:
    order = (
        await WorkOrder.select(
            WorkOrder.id,
            WorkOrder.assignee,
            WorkOrder.team,
            WorkOrder.contact_phone,
            WorkOrder.created_at,
        )
        .where(WorkOrder.id == order_id)
        .first()
    )
    if order is None or not can_read(caller, order):
        raise NotFound("order.not_found", id=order_id)
    return order


async def order_calls(caller: Caller, order_id: int) -> list[s.CallOut]:
    """The order's calls, oldest first (technicians: their own orders only)."""
    await _visible_order(caller, order_id)
    rows = (
        await CallRecord.select()
        .where(CallRecord.work_order == order_id)
        .order_by(CallRecord.started_at)
        .order_by(CallRecord.id)
    )
    return await records.judged(rows)


async def tap(caller: Caller, order_id: int, data: s.PhoneCall, tapped_on: str) -> s.CallOut:
    """A tap on "call": an attempt to the order's contact, from the caller. It started at the
    device's time, bounded like a step's (a phone queues its tap while offline and sends it
    later); `tapped_at` is when the server heard of it."""
    now = servertime.now()
    async with write_transaction():
        order = await _visible_order(caller, order_id)
        started = effective_time(
            data.device_time,
            now,
            order["created_at"],
            timedelta(seconds=settings.device_clock_tolerance_seconds),
        ).effective
        rows = await CallRecord.insert(
            CallRecord(
                origin=rules.Origin.attempt,
                work_order=order_id,
                staff=caller.id,
                direction=rules.Direction.outbound,
                callee=order["contact_phone"],
                started_at=started,
                tapped_on=tapped_on,
                tapped_at=now,
                device_time=data.device_time,
                urgent=data.urgent,
                updated_at=now,
            )
        )
        payload = {"tapped_on": tapped_on, "urgent": data.urgent}
        await record_change(caller, "call.attempt", f"work_order:{order_id}", now, payload)
        await changes.order_changed(order_id)  # the order's documents carry its calls
        await events.publish(events.CALL, {"id": rows[0]["id"], "order_id": order_id})
    row = await CallRecord.select().where(CallRecord.id == rows[0]["id"]).first()
    return (await records.judged([row]))[0]


async def report(client: Caller, data: s.CallReport) -> tuple[s.CallOut, bool]:
    """Record the telephony system's report; (the call, whether it was new). A repeated report
    fills in what was missing and changes nothing else (409 if it contradicts what was reported).
    A repeat racing the first (both found no call of that id) runs again once the first has
    written, and is answered as a repeat."""
    if (
        data.ended_at
        and data.ended_at < data.started_at
        or (
            data.answered_at
            and (
                data.answered_at < data.started_at
                or (data.ended_at and data.ended_at < data.answered_at)
            )
        )
    ):
        raise Invalid("call.times_out_of_order")
    row_id, new = await retrying(lambda: _record_report(client, data))
    row = await CallRecord.select().where(CallRecord.id == row_id).first()
    return (await records.judged([row]))[0], new


async def _record_report(client: Caller, data: s.CallReport) -> tuple[int, bool]:
    now = servertime.now()
    reported = {
        "direction": data.direction,
        "caller": data.caller,
        "callee": data.callee,
        "started_at": data.started_at,
        "answered_at": data.answered_at,
        "ended_at": data.ended_at,
        "recording_ref": data.recording_ref,
    }
    order_id = staff_id = None
    if data.order_code is not None:
        order = (
            await WorkOrder.select(WorkOrder.id).where(WorkOrder.code == data.order_code).first()
        )
        if order is None:
            raise Invalid("call.unknown_order", code=data.order_code)
        order_id = order["id"]
    if data.agent is not None:
        user = await StaffUser.select(StaffUser.id).where(StaffUser.username == data.agent).first()
        if user is None:
            raise Invalid("call.unknown_agent", agent=data.agent)
        staff_id = user["id"]
    existing = await CallRecord.select().where(CallRecord.call_id == data.call_id).first()
    filled: dict = {}
    if existing is not None:
        conflicts = rules.conflicting_fields(
            {
                **{k: existing[k] for k in _FIELDS},
                "work_order": existing["work_order"],
                "staff": existing["staff"],
            },
            {**reported, "work_order": order_id, "staff": staff_id},
        )
        if conflicts:
            raise Conflict(
                "call.report_conflict", call_id=data.call_id, fields=", ".join(conflicts)
            )
        filled = {
            k: v
            for k, v in {**reported, "work_order": order_id, "staff": staff_id}.items()
            if v not in (None, "") and existing[k] in (None, "")
        }
        if filled:
            await CallRecord.update(
                {
                    **{getattr(CallRecord, k): v for k, v in filled.items()},
                    CallRecord.updated_at: now,
                }
            ).where(CallRecord.id == existing["id"])
            await _audit(client, "call.report_updated", data.call_id, sorted(filled), now)
        await client_used(client.id)
        row_id, new = existing["id"], False
    else:
        attempt = (
            await _matching_attempt(order_id, staff_id, data) if order_id and staff_id else None
        )
        values = {
            **reported,
            "call_id": data.call_id,
            "origin": rules.Origin.telephony,
            "work_order": order_id,
            "staff": staff_id,
            "client": client.id,
            "updated_at": now,
        }
        if attempt is not None:
            # Only while still a tap: a concurrent report (of this call or another) may have
            # taken it since it was read, and this one runs again.
            taken = await (
                CallRecord.update({getattr(CallRecord, k): v for k, v in values.items()})
                .where((CallRecord.id == attempt["id"]) & CallRecord.call_id.is_null())
                .returning(CallRecord.id)
            )
            if not taken:
                raise Raced()
            row_id = attempt["id"]
        else:
            row_id = (await CallRecord.insert(CallRecord(**values)))[0]["id"]
        await _audit(
            client,
            "call.reported",
            data.call_id,
            {"attempt": attempt["id"] if attempt else None, "work_order": order_id},
            now,
        )
        await client_used(client.id)
        new = True
    if new or filled:
        about = order_id or (existing or {}).get("work_order")
        if about is not None:
            await changes.order_changed(about)  # the order's documents carry its calls
        await events.publish(events.CALL, {"id": row_id, "order_id": about})
    return row_id, new


async def _matching_attempt(order_id: int, staff_id: int, data: s.CallReport) -> dict | None:
    """The unreported tap by the same person on the same order to the same number that the call
    came of: the latest made up to ATTEMPT_MATCH_WINDOW before it started (or, failing that, one
    within ATTEMPT_CLOCK_SKEW after: the telephony system's clock may be ahead)."""
    candidates = await CallRecord.select().where(
        (CallRecord.origin == rules.Origin.attempt)
        & (CallRecord.work_order == order_id)
        & (CallRecord.staff == staff_id)
        & (CallRecord.tapped_at >= data.started_at - rules.ATTEMPT_MATCH_WINDOW)
        & (CallRecord.tapped_at <= data.started_at + rules.ATTEMPT_CLOCK_SKEW)
    )
    same_number = [
        c for c in candidates if records.digits(c["callee"]) == records.digits(data.callee)
    ]
    # The latest tap made before the call started; a tap just after it only for the clocks' skew.
    before = [c for c in same_number if c["tapped_at"] <= data.started_at]
    return max(before or same_number, key=lambda c: c["tapped_at"], default=None)


async def _audit(client: Caller, action: str, call_id: str, payload: object, now: datetime) -> None:
    """A telephony system's report: its key is no staff user, so no actor; its role says who."""
    detail = {"client": client.display_name, "detail": payload}
    await record_change(None, action, f"call:{call_id}", now, detail, nobody_role=client.role)


async def calls_started(
    start: datetime, end: datetime, area_id: int | None
) -> list[rules.CallFacts]:
    """For the reports: the calls that started in [start, end) (about an order of the area)."""
    query = CallRecord.select(
        *CallRecord.all_columns(),
        CallRecord.work_order.contact_phone.as_alias("contact"),
        CallRecord.work_order.area.as_alias("area"),
    ).where((CallRecord.started_at >= start) & (CallRecord.started_at < end))
    rows = await query
    return [
        records.facts(r, records.digits(r["contact"]) if r["contact"] else None)
        for r in rows
        if area_id is None or r["area"] == area_id
    ]
