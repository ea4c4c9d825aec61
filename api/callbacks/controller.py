"""/api/callbacks: the callbacks (回访) awaiting the call centre, and their coverage. A callback is
recorded with the order's step, POST /api/work-orders/{id}/callback (a dissatisfied customer
reopens the order in the same transaction)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from litestar import Controller, Request, get
from litestar.params import FromQuery, QueryParameter

from api.auth.guards import roles
from api.reports.controller import AreaFilter, FirstDay, LastDay, language
from domain.lifecycle import CALL_CENTRE
from services.auth.schemas import Caller
from services.callbacks import schemas as s
from services.callbacks import service
from services.reports import schemas as report_schemas
from services.reports import service as report_service


class CallbackController(Controller):
    path = "/api/callbacks"
    tags = ["callbacks"]

    @get("/", opt=roles(CALL_CENTRE))
    async def queue(
        self,
        area_id: AreaFilter = None,
        status: FromQuery[Literal["at_risk", "overdue"] | None] = None,
        due_from: Annotated[date | None, QueryParameter(name="from", required=False)] = None,
        due_to: Annotated[date | None, QueryParameter(name="to", required=False)] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
        offset: Annotated[int, QueryParameter(ge=0, le=1_000_000)] = 0,
    ) -> s.CallbackQueue:
        """Closed orders awaiting their callback, soonest due first; `from` / `to`: local days
        the callback falls due on (both included)."""
        return await service.queue(
            service.Filters(
                area_id=area_id,
                status=status,
                due_from=due_from,
                due_to=due_to,
                limit=limit,
                offset=offset,
            )
        )

    @get("/coverage", opt=roles(CALL_CENTRE))
    async def coverage(
        self,
        request: Request[Caller, str, object],
        first_day: FirstDay,
        last_day: LastDay,
        area_id: AreaFilter = None,
    ) -> report_schemas.ReportOut:
        """Callback coverage of the services completed in the period (the reports' callback group)."""
        return await report_service.report(
            first_day, last_day, area_id, language(request), ["callback"]
        )
