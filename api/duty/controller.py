"""The duty desk's routes: broadcast-safety events (/api/broadcast-events), the duty roster and the
supervisor's attendance check (/api/duty/roster), calling in staff for an outage (…/call-in)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.params import FromQuery, JSONBody, PathParameter, QueryParameter

from api.auth.guards import roles
from domain.duty import Shift
from domain.vocabulary import DISPATCH_ROLES, POLICY_EDITORS
from services.auth.schemas import Caller
from services.duty import schemas as s
from services.duty import service

Caught = Request[Caller, str, Any]
EventId = Annotated[
    int, PathParameter(ge=1, le=2_147_483_647, description="broadcast-safety event id")
]
EntryId = Annotated[int, PathParameter(ge=1, le=2_147_483_647, description="roster entry id")]
OutageId = Annotated[int, PathParameter(ge=1, le=2_147_483_647, description="outage id")]
SUPERVISORS = POLICY_EDITORS  # draw up the roster and check attendance (§1.2.2 B)


class BroadcastController(Controller):
    path = "/api/broadcast-events"
    tags = ["duty desk"]

    @get("/", opt=roles(DISPATCH_ROLES))
    async def list(
        self,
        open: FromQuery[bool] = False,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
        offset: Annotated[int, QueryParameter(ge=0, le=1_000_000)] = 0,
    ) -> list[s.BroadcastOut]:
        """Broadcast-safety events (安播), latest first; `open=true`: those not closed."""
        return await service.list_broadcast(open, limit, offset)

    @get("/{event_id:int}", opt=roles(DISPATCH_ROLES))
    async def detail(self, event_id: EventId) -> s.BroadcastOut:
        return await service.broadcast_detail(event_id)

    @post("/", opt=roles(DISPATCH_ROLES))
    async def record(self, data: JSONBody[s.BroadcastIn], request: Caught) -> s.BroadcastOut:
        """Record an event (非法插播, an interruption…): it holds the handover back until reported."""
        return await service.record_broadcast(request.user, data)

    @post("/{event_id:int}/report", opt=roles(DISPATCH_ROLES), status_code=200)
    async def report(
        self, event_id: EventId, data: JSONBody[s.BroadcastReport], request: Caught
    ) -> s.BroadcastOut:
        """File the report (报备): who was informed, what was done."""
        return await service.report_broadcast(request.user, event_id, data)

    @post("/{event_id:int}/close", opt=roles(DISPATCH_ROLES), status_code=200)
    async def close(
        self, event_id: EventId, data: JSONBody[s.BroadcastClose], request: Caught
    ) -> s.BroadcastOut:
        """A reported event is over: it leaves the handover sheet."""
        return await service.close_broadcast(request.user, event_id, data)


class RosterController(Controller):
    path = "/api/duty/roster"
    tags = ["duty desk"]

    @get("/", opt=roles(DISPATCH_ROLES))
    async def roster(
        self,
        day: Annotated[date | None, QueryParameter(required=False)] = None,
        shift: Annotated[Shift | None, QueryParameter(required=False)] = None,
    ) -> s.Roster:
        """Who is on a shift and their attendance; without `day`, the shift in progress."""
        return await service.roster(day, shift)

    @post("/", opt=roles(SUPERVISORS), status_code=200)
    async def add(self, data: JSONBody[s.RosterAdd], request: Caught) -> s.Roster:
        """Put people on a shift."""
        return await service.add_to_roster(request.user, data)

    @post("/{entry_id:int}/check", opt=roles(SUPERVISORS), status_code=200)
    async def check(
        self, entry_id: EntryId, data: JSONBody[s.AttendanceCheck], request: Caught
    ) -> s.DutyEntryOut:
        """The supervisor's duty check: present or absent."""
        return await service.check_attendance(request.user, entry_id, data)


class CallInController(Controller):
    path = "/api/outages/{outage_id:int}/call-in"
    tags = ["outages", "duty desk"]

    @get("/", opt=roles(DISPATCH_ROLES))
    async def proposal(self, outage_id: OutageId) -> s.CallInProposal:
        """Staff not on duty this shift (the outage's area first), and who was called in already."""
        return await service.call_in_proposal(outage_id)

    @post("/", opt=roles(DISPATCH_ROLES), status_code=200)
    async def call_in(
        self, outage_id: OutageId, data: JSONBody[s.CallInIn], request: Caught
    ) -> s.CallInProposal:
        """Record who was called in (增设在岗人员, §2.3.2 A): on this shift from now."""
        return await service.call_in(request.user, outage_id, data)
