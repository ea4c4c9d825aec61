"""/api/outages: area outages (片区故障) as dispatchers work them and agents read them; and the
detection policy beside the other policies (/api/policies/outage-detection)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.params import FromQuery, JSONBody, PathParameter, QueryParameter

from api.auth.guards import roles
from domain.messages import pick_language
from domain.outages import Status
from domain.vocabulary import DISPATCH_ROLES, OFFICE_ROLES, POLICY_EDITORS, Role
from services.auth.schemas import Caller
from services.outages import schemas as s
from services.outages import service

OutageId = Annotated[int, PathParameter(ge=1, le=2_147_483_647, description="outage id")]
READERS = DISPATCH_ROLES | {Role.agent}  # agents give the unified explanation to callers
Caught = Request[Caller, str, Any]


def _lang(request: Caught) -> str:
    return pick_language(request.headers.get("accept-language"))


class OutageController(Controller):
    path = "/api/outages"
    tags = ["outages"]

    @get("/", opt=roles(READERS))
    async def list(
        self,
        statuses: Annotated[
            list[Status] | None, QueryParameter(name="status", required=False)
        ] = None,
        area_id: Annotated[
            int | None, QueryParameter(ge=1, le=2_147_483_647, required=False)
        ] = None,
        open: FromQuery[bool] = False,
    ) -> list[s.OutageSummary]:
        """Outages, newest first; `open=true`: suspected, confirmed and published ones."""
        return await service.list_outages(
            [x.value for x in statuses] if statuses else None, area_id, open
        )

    @get("/{outage_id:int}", opt=roles(READERS))
    async def detail(self, outage_id: OutageId) -> s.OutageDetail:
        """The outage with its linked orders and every notice."""
        return await service.detail(outage_id)

    @post("/", opt=roles(DISPATCH_ROLES))
    async def declare(self, data: JSONBody[s.Declare], request: Caught) -> s.OutageDetail:
        """Record an outage reported before the calls come (confirmed at once)."""
        return await service.declare(request.user, data)

    @post("/{outage_id:int}/confirm", opt=roles(DISPATCH_ROLES), status_code=200)
    async def confirm(
        self, outage_id: OutageId, data: JSONBody[s.Confirm], request: Caught
    ) -> s.OutageDetail:
        """Someone sent to the place confirms the outage."""
        return await service.confirm(request.user, outage_id, data)

    @post("/{outage_id:int}/dismiss", opt=roles(DISPATCH_ROLES), status_code=200)
    async def dismiss(
        self, outage_id: OutageId, data: JSONBody[s.Dismiss], request: Caught
    ) -> s.OutageDetail:
        """Not an outage after all (the orders stay linked, for the record)."""
        return await service.dismiss(request.user, outage_id, data)

    @post("/{outage_id:int}/notices", opt=roles(DISPATCH_ROLES), status_code=201)
    async def publish(
        self, outage_id: OutageId, data: JSONBody[s.FaultNoticeIn], request: Caught
    ) -> s.OutageDetail:
        """Publish the fault notice, or a newer revision of it. Every element of §2.3.1 B is
        required (reporter aside: without one the publisher is responsible); technicians of the
        area are told by push."""
        return await service.publish(request.user, outage_id, data)

    @post("/{outage_id:int}/restoration", opt=roles(DISPATCH_ROLES), status_code=201)
    async def restore(
        self, outage_id: OutageId, data: JSONBody[s.RestorationIn], request: Caught
    ) -> s.BulkResult:
        """The restoration notice (§2.3.1 C) ends the outage; open linked orders are informed or closed."""
        return await service.restore(request.user, outage_id, data, _lang(request))

    @post("/{outage_id:int}/orders/link", opt=roles(DISPATCH_ROLES), status_code=200)
    async def link(
        self, outage_id: OutageId, data: JSONBody[s.LinkOrders], request: Caught
    ) -> s.BulkResult:
        """Group orders under the outage (bulk)."""
        return await service.link_orders(request.user, outage_id, data, _lang(request))

    @post("/{outage_id:int}/orders/unlink", opt=roles(DISPATCH_ROLES), status_code=200)
    async def unlink(
        self, outage_id: OutageId, data: JSONBody[s.LinkOrders], request: Caught
    ) -> s.BulkResult:
        """Take orders out of the outage (bulk); the former link stays on record."""
        return await service.unlink_orders(request.user, outage_id, data, _lang(request))

    @post("/{outage_id:int}/orders/inform", opt=roles(DISPATCH_ROLES), status_code=200)
    async def inform(
        self, outage_id: OutageId, data: JSONBody[s.InformLinked], request: Caught
    ) -> s.BulkResult:
        """A note in the history of every open linked order."""
        return await service.inform_linked(request.user, outage_id, data, _lang(request))

    @post("/{outage_id:int}/orders/close", opt=roles(DISPATCH_ROLES), status_code=200)
    async def close(
        self, outage_id: OutageId, data: JSONBody[s.CloseLinked], request: Caught
    ) -> s.BulkResult:
        """After restoration: close every open linked order as resolved, with the confirmed cause."""
        return await service.close_linked(request.user, outage_id, data, _lang(request))


class DetectionPolicyController(Controller):
    path = "/api/policies/outage-detection"
    tags = ["policies"]

    @get("/", opt=roles(OFFICE_ROLES))
    async def current(self, history: FromQuery[bool] = False) -> list[s.DetectionPolicyOut]:
        """N similar repair orders within T minutes make a suspected outage; `history=true`: every version."""
        return await service.detection_policies(history)

    @post("/", opt=roles(POLICY_EDITORS))
    async def set(
        self, data: JSONBody[s.DetectionPolicySet], request: Caught
    ) -> s.DetectionPolicyOut:
        """Set N and T from now on (supervisors)."""
        return await service.set_detection_policy(request.user, data)
