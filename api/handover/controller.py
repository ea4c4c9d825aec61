"""/api/handovers: shift handover sheets (交接班, §1.2) and their history."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, patch, post
from litestar.params import JSONBody, PathParameter, QueryParameter

import servertime
from api.auth.guards import roles
from domain.vocabulary import DISPATCH_ROLES, POLICY_EDITORS
from services.auth.schemas import Caller
from services.handover import schemas as s
from services.handover import service

SheetId = Annotated[int, PathParameter(ge=1, le=2_147_483_647, description="handover sheet id")]
Caught = Request[Caller, str, Any]
SUPERVISORS = POLICY_EDITORS  # duty supervisors (and admins) name substitutes


class HandoverController(Controller):
    path = "/api/handovers"
    tags = ["shift handover"]

    @get("/", opt=roles(DISPATCH_ROLES))
    async def list(
        self,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
        offset: Annotated[int, QueryParameter(ge=0, le=1_000_000)] = 0,
    ) -> list[s.SheetSummary]:
        """Every handover, latest scheduled first."""
        return await service.list_sheets(limit, offset)

    @get("/preview", opt=roles(DISPATCH_ROLES))
    async def preview(self) -> s.Items:
        """Items A–C as they would be compiled now."""
        return await service.compile_items(servertime.now())

    @get("/{sheet_id:int}", opt=roles(DISPATCH_ROLES))
    async def detail(self, sheet_id: SheetId) -> s.SheetOut:
        return await service.detail(sheet_id)

    @post("/", opt=roles(DISPATCH_ROLES))
    async def create(self, data: JSONBody[s.CreateSheet], request: Caught) -> s.SheetOut:
        """The outgoing dispatcher prepares the sheet: A–C compiled from live data, D–F written."""
        return await service.create(request.user, data)

    @patch("/{sheet_id:int}", opt=roles(DISPATCH_ROLES))
    async def edit(
        self, sheet_id: SheetId, data: JSONBody[s.EditSheet], request: Caught
    ) -> s.SheetOut:
        """D–F and the incoming dispatcher, until the outgoing signs."""
        return await service.edit(request.user, sheet_id, data)

    @post("/{sheet_id:int}/compile", opt=roles(DISPATCH_ROLES), status_code=200)
    async def compile(self, sheet_id: SheetId, request: Caught) -> s.SheetOut:
        """Compile A–C again from live data."""
        return await service.recompile(request.user, sheet_id)

    @post("/{sheet_id:int}/sign-out", opt=roles(DISPATCH_ROLES), status_code=200)
    async def sign_out(self, sheet_id: SheetId, request: Caught) -> s.SheetOut:
        """The outgoing dispatcher signs. Refused (409) while an outage has no published notice."""
        return await service.sign_out(request.user, sheet_id)

    @post("/{sheet_id:int}/sign-in", opt=roles(DISPATCH_ROLES), status_code=200)
    async def sign_in(
        self, sheet_id: SheetId, data: JSONBody[s.SignIn], request: Caught
    ) -> s.SheetOut:
        """The incoming dispatcher has read the sheet and signs: the shift has changed hands."""
        return await service.sign_in(request.user, sheet_id, data)

    @post("/{sheet_id:int}/substitute", opt=roles(SUPERVISORS), status_code=200)
    async def substitute(
        self, sheet_id: SheetId, data: JSONBody[s.Substitute], request: Caught
    ) -> s.SheetOut:
        """A duty supervisor names who hands over or takes over instead."""
        return await service.substitute(request.user, sheet_id, data)
