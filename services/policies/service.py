"""Clock policies (versioned) and the business calendar; every change goes to the audit trail."""

from __future__ import annotations

from datetime import date

import servertime
from db import changes as sync_changes
from db.engine import write_transaction
from db.tables import CalendarDay, CalendarYear, ClockPolicy
from domain import calendar as calendar_rules
from domain.clocks import DEFAULT_POLICY
from services.audit import record_change
from services.auth.schemas import Caller
from services.policies import schemas as s
from services.policies.calendar import calendar_days
from services.work_orders.service import TZ, recompute_running_clocks


def _out(row: dict) -> s.ClockPolicyOut:
    return s.ClockPolicyOut(
        id=row["id"],
        clock=row["clock"],
        kind=row["kind"],
        priority=row["priority"],
        minutes=row["minutes"],
        working_days=row["working_days"],
        at_risk_percent=row["at_risk_percent"],
        effective_from=row["effective_from"],
        updated_by=row["updated_by"],
    )


async def list_policies(history: bool) -> list[s.ClockPolicyOut]:
    rows = await ClockPolicy.select().order_by(ClockPolicy.effective_from).order_by(ClockPolicy.id)
    if history:
        return [_out(r) for r in rows]
    current: dict[tuple[str, str, str], dict] = {}
    for row in rows:
        current[(row["clock"], row["kind"], row["priority"])] = row
    return [_out(r) for r in current.values()]


async def set_policy(caller: Caller, data: s.ClockPolicySet) -> s.ClockPolicyOut:
    now = servertime.now()
    async with write_transaction():
        rows = await ClockPolicy.insert(
            ClockPolicy(
                clock=data.clock,
                kind=data.kind,
                priority=data.priority,
                minutes=data.minutes,
                working_days=data.working_days,
                at_risk_percent=data.at_risk_percent,
                effective_from=now,
                updated_by=caller.id,
            )
        )
        await record_change(
            caller,
            "policy.set",
            f"{data.clock}/{data.kind}/{data.priority}",
            now,
            {
                "minutes": data.minutes,
                "working_days": data.working_days,
                "at_risk_percent": data.at_risk_percent,
            },
        )
        await sync_changes.reference_changed()
    row = await ClockPolicy.select().where(ClockPolicy.id == rows[0]["id"]).first()
    return _out(row)


async def ensure_default_policies() -> None:
    """Seed the manual's defaults for every key that has no version yet (idempotent)."""
    existing = {
        (r["clock"], r["kind"], r["priority"])
        for r in await ClockPolicy.select(ClockPolicy.clock, ClockPolicy.kind, ClockPolicy.priority)
    }
    missing = [p for p in DEFAULT_POLICY if (p.clock, p.kind, p.priority) not in existing]
    if not missing:
        return
    async with write_transaction():
        await ClockPolicy.insert(
            *[
                ClockPolicy(
                    clock=p.clock,
                    kind=p.kind,
                    priority=p.priority,
                    minutes=p.limit.minutes,
                    working_days=p.limit.working_days,
                    at_risk_percent=p.limit.at_risk_percent,
                    # In force since the beginning, so orders older than the table are timed too.
                    effective_from=servertime.now().replace(year=2000),
                )
                for p in missing
            ]
        )


async def list_calendar(year: int | None) -> list[s.CalendarDayOut]:
    days = await calendar_days()
    return [
        s.CalendarDayOut(day=c.day, working=c.working, name=c.name, source=c.source)
        for d, c in sorted(days.items())
        if year is None or d.year == year
    ]


async def calendar_coverage() -> s.CalendarCoverageOut:
    next_year = servertime.now().astimezone(TZ).year + 1
    entered = [
        r["year"] for r in await CalendarYear.select(CalendarYear.year).order_by(CalendarYear.year)
    ]
    return s.CalendarCoverageOut(
        official_years=sorted(calendar_rules.official_years()),
        entered_years=entered,
        next_year=next_year,
        next_year_covered=calendar_rules.year_covered(next_year, entered),
    )


async def set_calendar_day(caller: Caller, day: date, data: s.CalendarDaySet) -> s.CalendarDayOut:
    async with write_transaction():
        if await CalendarDay.exists().where(CalendarDay.day == day):
            await CalendarDay.update(
                {CalendarDay.working: data.working, CalendarDay.name: data.name}
            ).where(CalendarDay.day == day)
        else:
            await CalendarDay.insert(CalendarDay(day=day, working=data.working, name=data.name))
        await record_change(
            caller,
            "calendar.set",
            day.isoformat(),
            servertime.now(),
            {"working": data.working, "name": data.name},
        )
        await sync_changes.reference_changed()
    await recompute_running_clocks()
    return s.CalendarDayOut(day=day, working=data.working, name=data.name, source="supervisor")


async def clear_calendar_day(caller: Caller, day: date) -> bool:
    async with write_transaction():
        if not await CalendarDay.exists().where(CalendarDay.day == day):
            return False
        await CalendarDay.delete().where(CalendarDay.day == day)
        await record_change(caller, "calendar.clear", day.isoformat(), servertime.now())
        await sync_changes.reference_changed()
    await recompute_running_clocks()
    return True


async def enter_year(caller: Caller, year: int) -> s.CalendarCoverageOut:
    """A supervisor says the year's holidays and 调休 days are all entered: it counts as covered.
    Saying it again changes nothing but the audit trail."""
    async with write_transaction():
        if not await CalendarYear.exists().where(CalendarYear.year == year):
            await CalendarYear.insert(CalendarYear(year=year))
        await record_change(caller, "calendar.year_entered", str(year), servertime.now())
    return await calendar_coverage()


async def withdraw_year(caller: Caller, year: int) -> bool:
    """The year is no longer said to be entered in full (the warning comes back if it is next year)."""
    async with write_transaction():
        if (
            not await CalendarYear.delete()
            .where(CalendarYear.year == year)
            .returning(CalendarYear.id)
        ):
            return False
        await record_change(caller, "calendar.year_withdrawn", str(year), servertime.now())
    return True
