"""/api/policies: the time limits in force (readable by office staff, set by supervisors) and
the business calendar used by the callback clock."""

from datetime import date
from typing import Annotated

from litestar import Controller, Request, delete, get, post, put
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery, JSONBody, PathParameter
from litestar.status_codes import HTTP_204_NO_CONTENT

from api.auth.guards import roles
from domain.vocabulary import OFFICE_ROLES, POLICY_EDITORS
from services.auth.schemas import Caller
from services.policies import schemas as s
from services.policies import service

# A year supervisors may say they entered in full (the official data begins in 2004).
Year = Annotated[int, PathParameter(ge=2000, le=2100, description="calendar year")]


class PolicyController(Controller):
    path = "/api/policies"
    tags = ["policies"]

    @get("/clocks", opt=roles(OFFICE_ROLES))
    async def clocks(self, history: FromQuery[bool] = False) -> list[s.ClockPolicyOut]:
        """The limits in force per (clock, kind, priority); `history=true` lists every version."""
        return await service.list_policies(history)

    @post("/clocks", opt=roles(POLICY_EDITORS))
    async def set_clock(
        self, data: JSONBody[s.ClockPolicySet], request: Request[Caller, str, object]
    ) -> s.ClockPolicyOut:
        """Set a limit from now on. Clocks already running keep the limit they started with."""
        return await service.set_policy(request.user, data)

    @get("/calendar", opt=roles(OFFICE_ROLES))
    async def calendar(self, year: FromQuery[int | None] = None) -> list[s.CalendarDayOut]:
        """Exceptions to Monday–Friday: holidays and weekend days worked instead (调休), China's
        official ones with the supervisors' entries on top (an entry wins on its day)."""
        return await service.list_calendar(year)

    @get("/calendar/coverage", opt=roles(OFFICE_ROLES))
    async def calendar_coverage(self) -> s.CalendarCoverageOut:
        """The years with official holiday data, those the supervisors say they entered in full,
        and whether next year is one of either."""
        return await service.calendar_coverage()

    @put("/calendar/years/{year:int}", opt=roles(POLICY_EDITORS))
    async def enter_year(
        self, year: Year, request: Request[Caller, str, object]
    ) -> s.CalendarCoverageOut:
        """Say the year's holidays and 调休 days are all entered by hand: the calendar counts it as
        covered (for a year the official data has not reached)."""
        return await service.enter_year(request.user, year)

    @delete(
        "/calendar/years/{year:int}", opt=roles(POLICY_EDITORS), status_code=HTTP_204_NO_CONTENT
    )
    async def withdraw_year(self, year: Year, request: Request[Caller, str, object]) -> None:
        """The year is no longer said to be entered in full."""
        if not await service.withdraw_year(request.user, year):
            raise NotFoundException()

    @put("/calendar/{day:date}", opt=roles(POLICY_EDITORS))
    async def set_day(
        self,
        day: FromPath[date],
        data: JSONBody[s.CalendarDaySet],
        request: Request[Caller, str, object],
    ) -> s.CalendarDayOut:
        return await service.set_calendar_day(request.user, day, data)

    @delete("/calendar/{day:date}", opt=roles(POLICY_EDITORS), status_code=HTTP_204_NO_CONTENT)
    async def clear_day(self, day: FromPath[date], request: Request[Caller, str, object]) -> None:
        """Remove a supervisor's entry: the day is again as the official calendar has it."""
        if not await service.clear_calendar_day(request.user, day):
            raise NotFoundException()
