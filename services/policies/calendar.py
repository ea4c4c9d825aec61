"""The business calendar as the clocks read it: China's official days with the supervisors'
entries (calendar_day rows) on top. Kept apart from service.py, which imports the order service."""

from __future__ import annotations

from datetime import date

from db.tables import CalendarDay
from domain import calendar as rules


async def supervisor_entries() -> dict[date, tuple[bool, str]]:
    rows = await CalendarDay.select(CalendarDay.day, CalendarDay.working, CalendarDay.name)
    return {r["day"]: (r["working"], r["name"]) for r in rows}


async def calendar_days() -> dict[date, rules.CalendarDay]:
    return rules.business_calendar(await supervisor_entries())
