"""/api/work-orders: create, list, read, and one sub-resource per step of the lifecycle."""

from __future__ import annotations

from typing import Annotated, Literal

from litestar import Controller, Request, Router, get, post
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromQuery, JSONBody, PathParameter, QueryParameter

from api.auth.guards import ANY_ROLE, roles
from domain.lifecycle import CALL_CENTRE, STEPS, Action, Step, may_take
from domain.vocabulary import Kind, Priority, Role, State
from services.auth.schemas import Caller
from services.work_orders import schemas as s
from services.work_orders import service

OrderId = Annotated[int, PathParameter(ge=1, le=2_147_483_647, description="work-order id")]
Filter = Annotated[int | None, QueryParameter(ge=1, le=2_147_483_647, required=False)]


class WorkOrderController(Controller):
    path = "/api/work-orders"
    tags = ["work orders"]

    @post("/", opt=roles(CALL_CENTRE))
    async def create(
        self, data: JSONBody[s.CreateOrder], request: Request[Caller, str, object]
    ) -> s.OrderDetail:
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
        q: Annotated[
            str | None, QueryParameter(max_length=64, pattern=r"^[^\x00%_]*$", required=False)
        ] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
        offset: Annotated[int, QueryParameter(ge=0, le=1_000_000)] = 0,
    ) -> s.OrderPage:
        """Orders the caller may see (a technician: only their own), soonest-due first."""
        filters = service.Filters(
            state=[x.value for x in states] if states else None,
            kind=kind,
            area_id=area_id,
            assignee_id=assignee_id,
            clock=clock,
            priority=priority,
            q=q,
            limit=limit,
            offset=offset,
        )
        return await service.list_orders(request.user, filters)

    @get("/{order_id:int}", opt=roles(ANY_ROLE))
    async def detail(
        self, order_id: OrderId, request: Request[Caller, str, object]
    ) -> s.OrderDetail:
        """The order with its customer, location, clocks, full history and the caller's next steps."""
        return await service.detail(request.user, order_id)


def _step_handler(action: Action, body: type[s.Step]) -> HTTPRouteHandler:
    step = STEPS[action]
    summary = f"{step.label[0]} {step.label[1]}"

    async def take_step(
        order_id: int, data: JSONBody[s.Step], request: Request[Caller, str, object]
    ) -> s.OrderDetail:
        return await service.act(request.user, order_id, action, data)

    take_step.__annotations__ = {
        "order_id": OrderId,
        "data": JSONBody[body],
        "request": Request[Caller, str, object],
        "return": s.OrderDetail,
    }
    take_step.__name__ = f"step_{action.value}"
    take_step.__doc__ = summary
    allowed = [r for r in Role if may_take(action, r, holds_order=True)]
    return post(
        f"/{{order_id:int}}/{action.value.replace('_', '-')}",
        opt=roles(allowed),
        status_code=200,
        summary=summary,
        description=_described(step),
        operation_id=f"workOrder_{action.value}",
    )(take_step)


def _described(step: Step) -> str:
    """What the step spec says of a step, for the OpenAPI document."""
    moves = "; ".join(f"{a} → {b or a}" for a, b in step.moves.items())
    who = [r.value for r in sorted(step.office)] + (["the order's holder"] if step.handler else [])
    parts = [f"States: {moves}.", f"Taken by: {', '.join(who)}."]
    if step.starts:
        parts.append(f"Starts the {step.starts} clock.")
    if step.stops:
        parts.append(f"Stops: {', '.join(sorted(step.stops))}.")
    return " ".join(parts)


work_order_router = Router(
    path="/",
    route_handlers=[
        WorkOrderController,
        Router(
            path="/api/work-orders",
            tags=["work-order steps"],
            route_handlers=[
                _step_handler(a, handling.body) for a, handling in service.STEP_HANDLING.items()
            ],
        ),
    ],
)
