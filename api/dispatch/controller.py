"""Dispatchers' reads: the technician board and the candidates for an order."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.params import PathParameter

from api.auth.guards import roles
from domain.vocabulary import DISPATCH_ROLES
from services.dispatch import schemas as s
from services.dispatch import service


class DispatchController(Controller):
    path = "/api"
    tags = ["dispatch"]

    @get("/dispatch/board", opt=roles(DISPATCH_ROLES))
    async def board(self) -> s.Board:
        """Every technician and contractor: on site / en route / idle (from the orders they hold),
        their load, their last step, and when their devices last synced with how much still queued."""
        return await service.board()

    @get("/work-orders/{order_id:int}/suggestions", opt=roles(DISPATCH_ROLES))
    async def suggestions(
        self, order_id: Annotated[int, PathParameter(ge=1, le=2_147_483_647)]
    ) -> s.Suggestions:
        """Whom to give the order to, best first: the teams the routing matrix allows, people
        working in the order's area first, then the lightest load, then idle before busy."""
        return await service.suggestions(order_id)
