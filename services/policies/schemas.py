from datetime import date, datetime
from typing import Annotated, Literal

import msgspec

from services.types import Name, Request, Response

ClockKey = Literal[
    "dispatch", "redispatch", "contact", "urge_contact", "transfer", "complaint_reply", "callback"
]
KindOrAny = Literal[
    "*",
    "install",
    "repair",
    "after_sales",
    "transfer",
    "complaint",
    "consultation",
    "dedicated_line",
]
ClassOrAny = Literal["*", "normal", "high"]
Minutes = Annotated[int, msgspec.Meta(ge=0, le=60 * 24 * 30)]
WorkingDays = Annotated[int, msgspec.Meta(ge=0, le=60)]
Percent = Annotated[int, msgspec.Meta(ge=0, le=100)]


class ClockPolicyOut(Response, kw_only=True):
    id: int
    clock: str
    kind: str
    priority: str
    minutes: int
    working_days: int
    at_risk_percent: int
    effective_from: datetime
    updated_by: int | None


class ClockPolicySet(Request, kw_only=True):
    """A new version of the limit for one (clock, kind, priority) key, in force from now on.
    Neither minutes nor working days: the clock is switched off for that key."""

    clock: ClockKey
    kind: KindOrAny = "*"
    priority: ClassOrAny = "*"
    minutes: Minutes = 0
    working_days: WorkingDays = 0
    at_risk_percent: Percent = 20


class CalendarDayOut(Response, kw_only=True):
    day: date
    working: bool
    name: str
    source: str = (
        "supervisor"  # "official": China's published calendar; "supervisor": the branch's entry
    )


class CalendarCoverageOut(Response, kw_only=True):
    """Which years the calendar knows the holidays of; the console warns when next year is not one.
    A year is covered when the official data has it, or the supervisors say they entered it in full
    (`entered_years`); a few entries of theirs do not cover it."""

    official_years: list[int]
    entered_years: list[int]
    next_year: int
    next_year_covered: bool


class CalendarDaySet(Request, kw_only=True):
    working: bool
    name: Name
