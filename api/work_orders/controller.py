"""/api/work-orders: create, list, read, and one sub-resource per step of the lifecycle."""

from __future__ import annotations

from typing import Annotated, Literal

from litestar import Controller, Request, Router, get, post
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromQuery, JSONBody, PathParameter, QueryParameter

from api.auth.guards import ANY_ROLE, roles
from api.auth.schemas import Caller
from api.work_orders import schemas as s
from api.work_orders import service
from domain.lifecycle import CALL_CENTRE, STEPS, Action, may_take
from domain.vocabulary import Kind, Priority, Role, State

OrderId = Annotated[int, PathParameter(ge=1, le=2_147_483_647, description="work-order id")]
Filter = Annotated[int | None, QueryParameter(ge=1, le=2_147_483_647, required=False)]


class WorkOrderController(Controller):
    path = "/api/work-orders"
    tags = ["work orders"]

    @post("/", opt=roles(CALL_CENTRE))
    async def create(self, data: JSONBody[s.CreateOrder], request: Request[Caller, str, object]) -> s.OrderDetail:
        """Raise a work order (call-centre agent or dispatcher). Starts its clocks."""
        return await service.create_order(request.user, data)

    @get("/", opt=roles(ANY_ROLE))
    async def list(
        self,
        request: Request[Caller, str, object],
        states: Annotated[list[State] | None, QueryParameter(name="state", required=False)] = None,
        kind: FromQuery[Kind | None] = None,
        area_id: Filter = None,
        assignee_id: Filter = None,
        clock: FromQuery[Literal["at_risk", "breached"] | None] = None,
        priority: FromQuery[Priority | None] = None,
        q: Annotated[str | None, QueryParameter(max_length=64, pattern=r"^[^\x00%_]*$", required=False)] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
        offset: Annotated[int, QueryParameter(ge=0, le=1_000_000)] = 0,
    ) -> s.OrderPage:
        """Orders the caller may see (a technician: only their own), soonest-due first."""
        filters = service.Filters(
            state=[x.value for x in states] if states else None, kind=kind, area_id=area_id,
            assignee_id=assignee_id, clock=clock, priority=priority, q=q, limit=limit, offset=offset,
        )
        return await service.list_orders(request.user, filters)

    @get("/{order_id:int}", opt=roles(ANY_ROLE))
    async def detail(self, order_id: OrderId, request: Request[Caller, str, object]) -> s.OrderDetail:
        """The order with its customer, location, clocks, full history and the caller's next steps."""
        return await service.detail(request.user, order_id)


def _step_handler(action: Action, body: type[s.Step], summary: str) -> HTTPRouteHandler:
    async def take_step(order_id: int, data: JSONBody[s.Step], request: Request[Caller, str, object]) -> s.OrderDetail:
        return await service.act(request.user, order_id, action, data)

    take_step.__annotations__ = {
        "order_id": OrderId, "data": JSONBody[body], "request": Request[Caller, str, object], "return": s.OrderDetail,
    }
    take_step.__name__ = f"step_{action.value}"
    take_step.__doc__ = summary
    allowed = [r for r in Role if may_take(action, r, holds_order=True)]
    return post(
        f"/{{order_id:int}}/{action.value.replace('_', '-')}",
        opt=roles(allowed),
        status_code=200,
        summary=summary,
        operation_id=f"workOrder_{action.value}",
    )(take_step)


STEP_BODIES: dict[Action, tuple[type[s.Step], str]] = {
    Action.dispatch: (s.Dispatch, "派单 Dispatch to a technician or back-office handler (second dispatch from returned / cannot-proceed)"),
    Action.transfer: (s.Transfer, "转派 Transfer to another team or person"),
    Action.accept: (s.Step, "接单 The assignee accepts"),
    Action.reject: (s.Reason, "拒单 The assignee declines, with a reason"),
    Action.contact: (s.Step, "联系客户 Customer contacted"),
    Action.start_travel: (s.Step, "出发 En route"),
    Action.arrive: (s.Step, "到场 On site"),
    Action.return_result: (s.ReturnResult, "回馈 Return a result to dispatch (starts the 30-minute transfer clock)"),
    Action.request_send_back: (s.Reason, "申请回退 The assignee asks dispatch to send the order back"),
    Action.cannot_proceed: (s.Reason, "无法施工 Cannot proceed: unsafe, with a reason"),
    Action.send_back: (s.SendBack, "回退 Send back to the call centre, with a reason"),
    Action.resubmit: (s.Step, "重新提交 The call centre resubmits a sent-back order"),
    Action.cancel: (s.Reason, "撤销 Cancel, with a reason"),
    Action.close: (s.Close, "结单 Close: resolved, unresolved or appointment (validated per the manual)"),
    Action.reopen: (s.Reason, "重启 Reopen: the customer is not satisfied"),
    Action.append: (s.Append, "信息追加 Append information after closure"),
    Action.urge: (s.Step, "催单 Urge: starts a 10-minute contact clock"),
    Action.flag_remark: (s.FlagRemark, "重要备注 Flag an important agent remark: starts a 10-minute contact clock"),
    Action.note: (s.Note, "备注 Add a note"),
    Action.record_work: (s.RecordWork, "登记材料工时 Record materials used and labour as the work goes"),
    Action.sign: (s.Sign, "客户签名 The customer signs the service record on the technician's device"),
    Action.request_waiver: (s.Reason, "申请免签 Ask for a signature waiver, with a reason"),
    Action.approve_waiver: (s.Step, "批准免签 A supervisor approves the waiver"),
    Action.callback: (s.Callback, "回访 Record the callback and the customer's satisfaction"),
}
assert set(STEP_BODIES) == set(STEPS), "every lifecycle step has an endpoint"

work_order_router = Router(
    path="/",
    route_handlers=[
        WorkOrderController,
        Router(
            path="/api/work-orders",
            tags=["work-order steps"],
            route_handlers=[_step_handler(a, body, summary) for a, (body, summary) in STEP_BODIES.items()],
        ),
    ],
)
