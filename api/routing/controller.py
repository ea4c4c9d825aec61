"""/api/policies/contractor-routing: which kinds of order contractors' teams may take, per area
(§2.1.2 D); read by office staff, set by supervisors."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromQuery, JSONBody

from api.auth.guards import roles
from domain.vocabulary import OFFICE_ROLES, POLICY_EDITORS
from services.auth.schemas import Caller
from services.routing import schemas as s
from services.routing import service


class ContractorRoutingController(Controller):
    path = "/api/policies/contractor-routing"
    tags = ["policies"]

    @get("/", opt=roles(OFFICE_ROLES))
    async def current(self, history: FromQuery[bool] = False) -> list[s.ContractorRoutingOut]:
        """The branch-wide kinds (first; the default while never set) and each area's own;
        `history=true`: every version."""
        return await service.policies(history)

    @post("/", opt=roles(POLICY_EDITORS))
    async def set(
        self, data: JSONBody[s.ContractorRoutingSet], request: Request[Caller, str, Any]
    ) -> s.ContractorRoutingOut:
        """Set the kinds contractors may take in an area (or branch-wide) from now on."""
        return await service.set_policy(request.user, data)
