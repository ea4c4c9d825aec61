"""The duty desk: broadcast-safety events, the duty roster with the supervisor's attendance check,
and calling in staff during a mass outage. Every write is one transaction and passes `_changed`
(the audit trail, the `duty` live event); the handover and the technician board read from here."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import events
import servertime
from db.dispatch_tables import Outage
from db.duty_tables import BroadcastEvent, DutyEntry
from db.engine import is_unique_violation, write_transaction
from db.tables import Area, AuditEntry, StaffUser
from domain import duty as rules
from domain.errors import Conflict, Invalid, NotFound
from domain.outages import Status as OutageStatus
from domain.vocabulary import Role
from services.audit import record_change
from services.auth.schemas import Caller
from services.duty import schemas as s
from services.staff import display_names, staff_ref
from services.types import Ref
from settings import settings

TZ = ZoneInfo(settings.timezone)
ROSTERED_ROLES = frozenset(Role) - {Role.admin}  # everyone who works shifts
CALL_IN_ROLES = frozenset(
    {Role.dispatcher, Role.technician, Role.contractor}
)  # who takes orders in an outage
CALL_IN_WHEN = frozenset(
    {OutageStatus.confirmed, OutageStatus.published}
)  # a real, still open, mass outage


async def _changed(
    caller: Caller, action: str, target: str, now: datetime, what: str, id_: int, **payload: Any
) -> None:
    """Every change on the duty desk passes here, inside its transaction."""
    await record_change(caller, action, target, now, payload)
    await events.publish(events.DUTY, {"what": what, "id": id_})


# ---- broadcast safety ----------------------------------------------------------------------

_BROADCAST_COLUMNS = (*BroadcastEvent.all_columns(), BroadcastEvent.area.name.as_alias("area_name"))


async def _broadcast_out(rows: list[dict]) -> list[s.BroadcastOut]:
    names = await display_names(
        x for r in rows for x in (r["recorded_by"], r["reported_by"], r["closed_by"])
    )
    return [
        s.BroadcastOut(
            id=r["id"],
            kind=r["kind"],
            occurred_at=r["occurred_at"],
            channel=r["channel"],
            area=Ref(id=r["area"], name=r["area_name"]) if r["area"] else None,
            description=r["description"],
            informed=r["informed"],
            actions=r["actions"],
            status=r["status"],
            report=r["report"],
            recorded_by=staff_ref(r["recorded_by"], names),
            reported_by=staff_ref(r["reported_by"], names),
            reported_at=r["reported_at"],
            closed_by=staff_ref(r["closed_by"], names),
            closed_at=r["closed_at"],
            created_at=r["created_at"],
        )
        for r in rows
    ]


async def list_broadcast(open_only: bool, limit: int, offset: int) -> list[s.BroadcastOut]:
    query = BroadcastEvent.select(*_BROADCAST_COLUMNS)
    if open_only:
        query = query.where(BroadcastEvent.status.is_in(list(rules.BROADCAST_ON_SHEET)))
    rows = (
        await query.order_by(BroadcastEvent.occurred_at, ascending=False)
        .order_by(BroadcastEvent.id, ascending=False)
        .limit(limit)
        .offset(offset)
    )
    return await _broadcast_out(rows)


async def broadcast_detail(event_id: int) -> s.BroadcastOut:
    row = (
        await BroadcastEvent.select(*_BROADCAST_COLUMNS)
        .where(BroadcastEvent.id == event_id)
        .first()
    )
    if row is None:
        raise NotFound("broadcast.not_found", id=event_id)
    return (await _broadcast_out([row]))[0]


async def on_handover_sheet() -> list[s.BroadcastItem]:
    """Item B's broadcast-safety events: every one not closed, oldest first."""
    rows = (
        await BroadcastEvent.select(*_BROADCAST_COLUMNS)
        .where(BroadcastEvent.status.is_in(list(rules.BROADCAST_ON_SHEET)))
        .order_by(BroadcastEvent.occurred_at)
    )
    return [
        s.BroadcastItem(
            id=r["id"],
            kind=r["kind"],
            status=r["status"],
            occurred_at=r["occurred_at"],
            channel=r["channel"],
            area=r["area_name"],
            description=r["description"],
            reported_at=r["reported_at"],
        )
        for r in rows
    ]


async def broadcast_holding_back() -> list[int]:
    rows = (
        await BroadcastEvent.select(BroadcastEvent.id, BroadcastEvent.status)
        .where(BroadcastEvent.status == rules.BroadcastStatus.open)
        .order_by(BroadcastEvent.id)
    )
    return rules.broadcast_holding_back([rules.BroadcastFacts(r["id"], r["status"]) for r in rows])


async def record_broadcast(caller: Caller, data: s.BroadcastIn) -> s.BroadcastOut:
    now = servertime.now()
    if data.occurred_at > now:
        raise Invalid("broadcast.in_future")
    if data.area_id is not None and not await Area.exists().where(Area.id == data.area_id):
        raise Invalid("area.not_found", id=data.area_id)
    async with write_transaction():
        rows = await BroadcastEvent.insert(
            BroadcastEvent(
                kind=data.kind.value,
                occurred_at=data.occurred_at,
                channel=data.channel.strip(),
                area=data.area_id,
                description=data.description,
                informed=data.informed,
                actions=data.actions,
                status=rules.BroadcastStatus.open.value,
                recorded_by=caller.id,
                created_at=now,
                updated_at=now,
            )
        )
        event_id = rows[0]["id"]
        await _changed(
            caller,
            "broadcast.recorded",
            f"broadcast/{event_id}",
            now,
            "broadcast",
            event_id,
            kind=data.kind.value,
            channel=data.channel,
            occurred_at=data.occurred_at.isoformat(),
        )
    return await broadcast_detail(event_id)


async def _broadcast_step(
    caller: Caller, event_id: int, step: str, fields: dict[str, Any], **audit: Any
) -> s.BroadcastOut:
    now = servertime.now()
    async with write_transaction():
        row = (
            await BroadcastEvent.select(BroadcastEvent.status)
            .where(BroadcastEvent.id == event_id)
            .first()
        )
        if row is None:
            raise NotFound("broadcast.not_found", id=event_id)
        after = rules.check_broadcast_step(row["status"], step)
        values = {**fields, "status": after.value, "updated_at": now}
        written = (
            await BroadcastEvent.update({getattr(BroadcastEvent, k): v for k, v in values.items()})
            .where((BroadcastEvent.id == event_id) & (BroadcastEvent.status == row["status"]))
            .returning(BroadcastEvent.id)
        )
        if not written:
            raise Conflict("broadcast.busy")
        await _changed(
            caller,
            f"broadcast.{after.value}",
            f"broadcast/{event_id}",
            now,
            "broadcast",
            event_id,
            **audit,
        )
    return await broadcast_detail(event_id)


async def report_broadcast(
    caller: Caller, event_id: int, data: s.BroadcastReport
) -> s.BroadcastOut:
    now = servertime.now()
    return await _broadcast_step(
        caller,
        event_id,
        "report",
        {
            "informed": data.informed,
            "actions": data.actions,
            "report": data.report,
            "reported_by": caller.id,
            "reported_at": now,
        },
        informed=data.informed,
        actions=data.actions,
        report=data.report,
    )


async def close_broadcast(caller: Caller, event_id: int, data: s.BroadcastClose) -> s.BroadcastOut:
    return await _broadcast_step(
        caller,
        event_id,
        "close",
        {
            "closed_by": caller.id,
            "closed_at": servertime.now(),
        },
        note=data.note,
    )


# ---- the roster ----------------------------------------------------------------------------

_ENTRY_COLUMNS = (
    *DutyEntry.all_columns(),
    DutyEntry.user.display_name.as_alias("user_name"),
    DutyEntry.user.role.as_alias("role"),
    DutyEntry.user.team.name.as_alias("team_name"),
)


async def _entries_out(rows: list[dict]) -> list[s.DutyEntryOut]:
    names = await display_names(x for r in rows for x in (r["added_by"], r["checked_by"]))
    return [
        s.DutyEntryOut(
            id=r["id"],
            day=r["day"],
            shift=r["shift"],
            user=Ref(id=r["user"], name=r["user_name"]),
            role=r["role"],
            team=r["team_name"],
            attendance=r["attendance"],
            outage_id=r["outage"],
            note=r["note"],
            added_by=staff_ref(r["added_by"], names),
            checked_by=staff_ref(r["checked_by"], names),
            checked_at=r["checked_at"],
        )
        for r in rows
    ]


async def _entries(shift: rules.ShiftRef) -> list[dict]:
    return (
        await DutyEntry.select(*_ENTRY_COLUMNS)
        .where((DutyEntry.day == shift.day) & (DutyEntry.shift == shift.shift))
        .order_by(DutyEntry.user.role)
        .order_by(DutyEntry.user.display_name)
        .order_by(DutyEntry.id)
    )


def current_shift() -> rules.ShiftRef:
    return rules.shift_at(servertime.now(), TZ)


async def roster(day: date | None, shift: rules.Shift | None) -> s.Roster:
    now_shift = current_shift()
    wanted = rules.ShiftRef(
        day or now_shift.day, shift or (now_shift.shift if day is None else rules.Shift.day)
    )
    return s.Roster(
        day=wanted.day,
        shift=wanted.shift.value,
        current=wanted == now_shift,
        entries=await _entries_out(await _entries(wanted)),
    )


async def on_duty_now() -> dict[int, str]:
    """Who is on the current shift's roster, and their attendance (the technician board)."""
    shift = current_shift()
    rows = await DutyEntry.select(DutyEntry.user, DutyEntry.attendance).where(
        (DutyEntry.day == shift.day) & (DutyEntry.shift == shift.shift)
    )
    return {r["user"]: r["attendance"] for r in rows}


async def on_roster(user_id: int, at: datetime) -> bool | None:
    """Whether `user_id` is on duty for the shift `at` falls in; None when that shift has no roster."""
    shift = rules.shift_at(at, TZ)
    rows = await DutyEntry.select(DutyEntry.user, DutyEntry.attendance).where(
        (DutyEntry.day == shift.day) & (DutyEntry.shift == shift.shift)
    )
    if not rows:
        return None
    return any(r["user"] == user_id and r["attendance"] in rules.ON_DUTY for r in rows)


async def named_substitute(sheet_id: int, user_id: int) -> bool:
    """Whether a supervisor named `user_id` to take over on the handover sheet (§1.2.4 B)."""
    rows = (
        await AuditEntry.select(AuditEntry.payload)
        .where(
            (AuditEntry.target == f"handover/{sheet_id}")
            & (AuditEntry.action == "handover.substitute")
        )
        .output(load_json=True)
    )
    return any(
        r["payload"].get("side") == "incoming" and r["payload"].get("user") == user_id for r in rows
    )


async def _insert_entries(
    caller: Caller,
    shift: rules.ShiftRef,
    user_ids: list[int],
    attendance: rules.Attendance,
    now: datetime,
    note: str,
    outage_id: int | None = None,
) -> None:
    """New roster rows, refusing people unknown, inactive, admins, or on that shift already."""
    users = await StaffUser.select(StaffUser.id).where(
        StaffUser.id.is_in(user_ids)
        & StaffUser.active.eq(True)
        & StaffUser.role.is_in(list(ROSTERED_ROLES))
    )
    unknown = sorted(set(user_ids) - {u["id"] for u in users})
    if unknown:
        raise Invalid("duty.unknown_person", ids=", ".join(map(str, unknown)))
    taken = await DutyEntry.select(DutyEntry.user).where(
        (DutyEntry.day == shift.day)
        & (DutyEntry.shift == shift.shift)
        & DutyEntry.user.is_in(user_ids)
    )
    if taken:
        raise Conflict("duty.already_on_shift", ids=", ".join(str(t["user"]) for t in taken))
    try:
        await DutyEntry.insert(
            *[
                DutyEntry(
                    day=shift.day,
                    shift=shift.shift.value,
                    user=user_id,
                    attendance=attendance.value,
                    outage=outage_id,
                    note=note,
                    added_by=caller.id,
                    added_at=now,
                )
                for user_id in dict.fromkeys(user_ids)
            ]
        )
    except Exception as exc:  # a concurrent roster edit took the row first (the unique key)
        if is_unique_violation(exc):
            raise Conflict("duty.already_on_shift", ids=", ".join(map(str, user_ids))) from exc
        raise


async def add_to_roster(caller: Caller, data: s.RosterAdd) -> s.Roster:
    now = servertime.now()
    shift = rules.ShiftRef(data.day, data.shift)
    async with write_transaction():
        await _insert_entries(
            caller, shift, data.user_ids, rules.Attendance.rostered, now, data.note
        )
        await _changed(
            caller,
            "duty.rostered",
            f"duty/{data.day.isoformat()}/{data.shift.value}",
            now,
            "roster",
            0,
            users=list(dict.fromkeys(data.user_ids)),
        )
    return await roster(data.day, data.shift)


async def check_attendance(
    caller: Caller, entry_id: int, data: s.AttendanceCheck
) -> s.DutyEntryOut:
    now = servertime.now()
    async with write_transaction():
        entry = (
            await DutyEntry.select(DutyEntry.attendance, DutyEntry.user)
            .where(DutyEntry.id == entry_id)
            .first()
        )
        if entry is None:
            raise NotFound("duty.not_found", id=entry_id)
        rules.check_attendance(entry["attendance"], data.attendance)
        await DutyEntry.update(
            {
                DutyEntry.attendance: data.attendance,
                DutyEntry.checked_by: caller.id,
                DutyEntry.checked_at: now,
                DutyEntry.note: data.note,
            }
        ).where(DutyEntry.id == entry_id)
        await _changed(
            caller,
            "duty.checked",
            f"duty/{entry_id}",
            now,
            "roster",
            entry_id,
            user=entry["user"],
            attendance=data.attendance,
            before=entry["attendance"],
            note=data.note,
        )
    rows = await DutyEntry.select(*_ENTRY_COLUMNS).where(DutyEntry.id == entry_id)
    return (await _entries_out(rows))[0]


# ---- calling in staff during a mass outage (§2.3.2 A) ---------------------------------------


async def _outage(outage_id: int) -> dict:
    row = (
        await Outage.select(Outage.id, Outage.status, Outage.area)
        .where(Outage.id == outage_id)
        .first()
    )
    if row is None:
        raise NotFound("outage.not_found", id=outage_id)
    return row


async def call_in_proposal(outage_id: int) -> s.CallInProposal:
    outage = await _outage(outage_id)
    shift = current_shift()
    entries = await _entries(shift)
    attendance = {e["user"]: e["attendance"] for e in entries}
    staff = await StaffUser.select(
        StaffUser.id,
        StaffUser.display_name,
        StaffUser.role,
        StaffUser.phone,
        StaffUser.area,
        StaffUser.team.name.as_alias("team_name"),
        StaffUser.team.area.as_alias("team_area"),
    ).where(StaffUser.active.eq(True) & StaffUser.role.is_in(list(CALL_IN_ROLES)))
    by_id = {u["id"]: u for u in staff}
    ranked = rules.call_in_candidates(
        [
            rules.StaffFacts(
                u["id"],
                frozenset(a for a in (u["area"], u["team_area"]) if a),
                attendance.get(u["id"]),
            )
            for u in staff
        ],
        outage["area"],
    )
    return s.CallInProposal(
        outage_id=outage_id,
        status=outage["status"],
        day=shift.day,
        shift=shift.shift.value,
        proposable=outage["status"] in CALL_IN_WHEN,
        called_in=await _entries_out([e for e in entries if e["outage"] == outage_id]),
        candidates=[
            s.CallInCandidate(
                id=p.id,
                name=by_id[p.id]["display_name"],
                role=by_id[p.id]["role"],
                team=by_id[p.id]["team_name"],
                phone=by_id[p.id]["phone"],
                in_area=outage["area"] in p.area_ids,
            )
            for p in ranked
        ],
    )


async def call_in(caller: Caller, outage_id: int, data: s.CallInIn) -> s.CallInProposal:
    """Record who was called in for the outage: on the current shift's roster from now, as called in."""
    now = servertime.now()
    shift = current_shift()
    async with write_transaction():
        outage = await _outage(outage_id)
        if outage["status"] not in CALL_IN_WHEN:
            raise Conflict("duty.outage_not_confirmed", status=outage["status"])
        users = await StaffUser.select(StaffUser.id).where(
            StaffUser.id.is_in(data.user_ids) & StaffUser.role.is_in(list(CALL_IN_ROLES))
        )
        if unknown := sorted(set(data.user_ids) - {u["id"] for u in users}):
            raise Invalid("duty.unknown_person", ids=", ".join(map(str, unknown)))
        await _insert_entries(
            caller, shift, data.user_ids, rules.Attendance.called_in, now, data.note, outage_id
        )
        await _changed(
            caller,
            "duty.called_in",
            f"outage/{outage_id}",
            now,
            "roster",
            outage_id,
            users=list(dict.fromkeys(data.user_ids)),
            day=shift.day.isoformat(),
            shift=shift.shift.value,
            note=data.note,
        )
    return await call_in_proposal(outage_id)
