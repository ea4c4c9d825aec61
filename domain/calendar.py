"""Working days: Monday–Friday, except holidays; weekend days worked instead (调休) count.

The holidays and 调休 days are China's official ones (the `chinesecalendar` package) with the
branch supervisors' own entries on top."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo


def is_working_day(day: date, exceptions: Mapping[date, bool]) -> bool:
    if day in exceptions:
        return exceptions[day]
    return day.weekday() < 5


def end_of_working_days(
    start: datetime, working_days: int, exceptions: Mapping[date, bool], tz: ZoneInfo
) -> datetime:
    """The end (local midnight) of the N-th working day after the local day of `start`.

    "Within 2 working days" of a Friday-afternoon closure means by the end of Tuesday.
    """
    day = start.astimezone(tz).date()
    counted = 0
    while counted < working_days:
        day += timedelta(days=1)
        if is_working_day(day, exceptions):
            counted += 1
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)


# ---- China's official calendar ----------------------------------------------------------------
# The State Council publishes each year's holidays and 调休 working days late in the year before;
# the `chinesecalendar` package carries them. Supervisors' own entries (calendar_day rows) go on top.


@dataclass(frozen=True)
class CalendarDay:
    day: date
    working: bool
    name: str
    source: str  # "official" (the package) or "supervisor" (an entry of the branch's)


@cache
def official_days() -> dict[date, CalendarDay]:
    """Holidays on weekdays and weekends alike (named), and weekend days worked instead (调休)."""
    from chinese_calendar import constants

    names = {h.value: h.chinese for h in constants.Holiday}
    out = {
        d: CalendarDay(d, False, names.get(str(n), str(n)), "official")
        for d, n in constants.holidays.items()
    }
    for d, n in constants.workdays.items():
        out[d] = CalendarDay(d, True, f"{names.get(str(n), str(n))}调休上班", "official")
    return out


def official_years() -> frozenset[int]:
    return frozenset(d.year for d in official_days())


def business_calendar(edits: Mapping[date, tuple[bool, str]]) -> dict[date, CalendarDay]:
    """The official days with the supervisors' entries on top (an entry wins on its day)."""
    out = dict(official_days())
    out.update(
        {d: CalendarDay(d, working, name, "supervisor") for d, (working, name) in edits.items()}
    )
    return out


def exceptions_of(days: Mapping[date, CalendarDay]) -> dict[date, bool]:
    """What is_working_day() and the clocks read."""
    return {d: c.working for d, c in days.items()}


def year_covered(year: int, entered_years: Collection[int]) -> bool:
    """Whether the calendar knows all of `year`'s holidays: the package has the year, or the
    supervisors say they have entered it in full. An entry or two do not cover it (a branch's own
    rota day says nothing of the national holidays)."""
    return year in official_years() or year in entered_years
