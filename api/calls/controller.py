"""Calls to customers (§2.1.3 B): the telephony system reports calls (POST /api/telephony/calls, a
system client's key); staff tap "call" on an order (an attempt); an order's calls; the call policy."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, Response, get, post
from litestar.params import FromQuery, JSONBody, PathParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from api.auth.guards import roles
from domain.vocabulary import CALLERS, OFFICE_ROLES, POLICY_EDITORS, ClientRole
from services.auth.schemas import Caller
from services.calls import schemas as s
from services.calls import service

OrderId = Annotated[int, PathParameter(ge=1, le=2_147_483_647, description="work-order id")]
Caught = Request[Caller, str, object]


class TelephonyController(Controller):
    path = "/api/telephony"
    tags = ["calls"]

    @post("/calls", opt=roles({ClientRole.telephony}))
    async def report(self, data: JSONBody[s.CallReport], request: Caught) -> Response[s.CallOut]:
        """A call as the telephony system saw it (system clients only: `Authorization: Bearer fsc_…`).
        201 the first time a call id is reported, 200 after (what was missing is filled in);
        409 if a repeat contradicts what was reported."""
        call, new = await service.report(request.user, data)
        return Response(call, status_code=HTTP_201_CREATED if new else HTTP_200_OK)


class OrderCallController(Controller):
    path = "/api/work-orders/{order_id:int}/calls"
    tags = ["calls"]

    @get("/", opt=roles(CALLERS))
    async def list(self, order_id: OrderId, request: Caught) -> list[s.CallOut]:
        """The order's calls, oldest first, each judged: recorded, in rest hours, within the limit."""
        return await service.order_calls(request.user, order_id)

    @post("/", opt=roles(CALLERS))
    async def tap(self, order_id: OrderId, data: JSONBody[s.CallTap], request: Caught) -> s.CallOut:
        """A tap on "call" (phone or console), recorded as an attempt; `urgent`: dialled in the
        customer's rest hours after the screen asked (phones queue theirs as `call_customer`)."""
        return await service.tap(request.user, order_id, data, data.tapped_on)


class CallPolicyController(Controller):
    path = "/api/policies/calls"
    tags = ["policies"]

    @get("/", opt=roles(OFFICE_ROLES))
    async def current(self, history: FromQuery[bool] = False) -> list[s.CallPolicyOut]:
        """Rest hours (no calls to customers) and the length limit; `history=true`: every version."""
        return await service.policies(history)

    @post("/", opt=roles(POLICY_EDITORS))
    async def set(self, data: JSONBody[s.CallPolicySet], request: Caught) -> s.CallPolicyOut:
        """From now on (supervisors); calls already made keep the version they were made under."""
        return await service.set_policy(request.user, data)
