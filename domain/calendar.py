"""Working days: Monday–Friday, except holidays; weekend days worked instead (调休) count."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta, timezone
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
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz).astimezone(timezone.utc)
