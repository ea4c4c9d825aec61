"""/api/reach: tracked notices (an order's, the board's, the unseen alerts) for the console;
the phone's receipts (job opened, push received); each user's channels; and the escalation
policy beside the other policies (/api/policies/escalation)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post, put
from litestar.params import FromQuery, JSONBody, PathParameter
from litestar.status_codes import HTTP_204_NO_CONTENT

from api.auth.guards import ANY_ROLE, roles
from domain.vocabulary import DISPATCH_ROLES, FIELD_ROLES, OFFICE_ROLES, POLICY_EDITORS
from services.auth.schemas import Caller
from services.reach import schemas as s
from services.reach import service

PathId = Annotated[int, PathParameter(ge=1, le=2_147_483_647)]  # an order or a user
Caught = Request[Caller, str, Any]


class ReachController(Controller):
    path = "/api/reach"
    tags = ["reach"]

    @get("/orders/{order_id:int}", opt=roles(OFFICE_ROLES))
    async def order(self, order_id: PathId) -> list[s.NoticeOut]:
        """Every notice of the order: to whom, on which channels, sent, delivered, seen."""
        return await service.order_notices(order_id)

    @get("/board", opt=roles(DISPATCH_ROLES))
    async def board(self) -> list[s.NoticeOut]:
        """Each technician's newest notice (last 12 hours), for the technician board."""
        return await service.board()

    @get("/alerts", opt=roles(DISPATCH_ROLES))
    async def alerts(self) -> list[s.NoticeOut]:
        """Notices not seen within the escalation policy's limit, still unseen."""
        return await service.alerts()

    @post("/seen", opt=roles(FIELD_ROLES), status_code=HTTP_204_NO_CONTENT)
    async def seen(self, data: JSONBody[s.Seen], request: Caught) -> None:
        """The technician opened the job: its notices to them are seen."""
        await service.seen(request.user, data)

    @post("/receipts", opt=roles(FIELD_ROLES), status_code=HTTP_204_NO_CONTENT)
    async def receipt(self, data: JSONBody[s.Receipt], request: Caught) -> None:
        """The phone's service worker received the push of this notice: it is delivered."""
        await service.receipt(request.user, data)

    @get("/preferences", opt=roles(ANY_ROLE))
    async def preferences(self, request: Caught) -> s.PreferencesOut:
        """How the caller is reached: channels in order, WeCom id, mobile, push devices."""
        return await service.preferences(request.user.id)

    @put("/preferences", opt=roles(ANY_ROLE))
    async def set_preferences(
        self, data: JSONBody[s.Preferences], request: Caught
    ) -> s.PreferencesOut:
        """Choose the channels and their order (empty: the branch's), and the WeCom user id."""
        return await service.set_preferences(request.user, request.user.id, data)

    @get("/preferences/{user_id:int}", opt=roles(POLICY_EDITORS))
    async def preferences_of(self, user_id: PathId) -> s.PreferencesOut:
        """How a staff member is reached (supervisors, admins)."""
        return await service.preferences(user_id)

    @put("/preferences/{user_id:int}", opt=roles(POLICY_EDITORS))
    async def set_preferences_of(
        self, user_id: PathId, data: JSONBody[s.Preferences], request: Caught
    ) -> s.PreferencesOut:
        """Set a staff member's channels and WeCom user id for them (supervisors, admins)."""
        return await service.set_preferences(request.user, user_id, data)


class EscalationPolicyController(Controller):
    path = "/api/policies/escalation"
    tags = ["policies"]

    @get("/", opt=roles(OFFICE_ROLES))
    async def current(self, history: FromQuery[bool] = False) -> list[s.EscalationPolicyOut]:
        """When an undelivered notice goes to the next channel and an unseen one alerts the
        dispatchers; `history=true`: every version."""
        return await service.escalation_policies(history)

    @post("/", opt=roles(POLICY_EDITORS))
    async def set(
        self, data: JSONBody[s.EscalationPolicySet], request: Caught
    ) -> s.EscalationPolicyOut:
        """Set it from now on (supervisors); notices already queued keep their deadlines."""
        return await service.set_escalation_policy(request.user, data)
