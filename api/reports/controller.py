"""/api/reports: the operation's figures for a period and an area, as JSON or as CSV for Excel."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from litestar import Controller, Request, Response, get
from litestar.params import QueryParameter

from api.auth.guards import roles
from domain.messages import pick_language
from domain.vocabulary import REPORT_READERS
from services.auth.schemas import Caller
from services.reports import schemas as s
from services.reports import service

FirstDay = Annotated[date, QueryParameter(name="from", description="first local day of the period")]
LastDay = Annotated[
    date, QueryParameter(name="to", description="last local day of the period (included)")
]
AreaFilter = Annotated[int | None, QueryParameter(ge=1, le=2_147_483_647, required=False)]


def language(request: Request[Caller, str, object]) -> str:
    return pick_language(request.headers.get("accept-language"))


class ReportController(Controller):
    path = "/api"
    tags = ["reports"]

    @get("/reports", opt=roles(REPORT_READERS))
    async def report(
        self,
        request: Request[Caller, str, object],
        first_day: FirstDay,
        last_day: LastDay,
        area_id: AreaFilter = None,
    ) -> s.ReportOut:
        """Figures of the period (`from`–`to`, local days, both included; at most 366 days),
        for one area or all, titles in the caller's language."""
        return await service.report(first_day, last_day, area_id, language(request))

    @get("/reports.csv", opt=roles(REPORT_READERS), media_type="text/csv")
    async def report_csv(
        self,
        request: Request[Caller, str, object],
        first_day: FirstDay,
        last_day: LastDay,
        area_id: AreaFilter = None,
    ) -> Response[str]:
        """The same figures as CSV for Excel (UTF-8 with BOM; headers in the caller's language)."""
        lang = language(request)
        report = await service.report(first_day, last_day, area_id, lang)
        name = f"report-{first_day.isoformat()}-{last_day.isoformat()}.csv"
        return Response(
            service.as_csv(report, lang),
            media_type="text/csv",
            headers={
                "Content-Disposition": f'attachment; filename="{name}"',
                "Content-Language": lang,
            },
        )
