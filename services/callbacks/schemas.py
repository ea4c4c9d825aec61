"""Payloads of /api/callbacks. A callback itself is recorded with the order's `callback` step
(POST /api/work-orders/{id}/callback, body `work_orders.schemas.Callback`)."""

from __future__ import annotations

from datetime import datetime

from services.types import Ref, Response


class CallbackAttempt(Response, kw_only=True):
    """A call that did not reach the customer: kept, but the callback is still due."""

    at: datetime
    by: Ref | None
    remark: str


class CallbackDue(Response, kw_only=True):
    order_id: int
    code: str
    kind: str
    customer_name: str
    customer_tier: str
    contact_name: str
    contact_phone: str
    area: Ref
    handled_by: Ref | None  # who did the work
    outcome: (
        str | None
    )  # of the closure: resolved / unresolved / appointment (completed by an append)
    signing_satisfaction: int | None  # the score given at signing, 1–5
    completed_at: datetime  # the closure, or the append completing an appointment
    due: datetime  # 2 working days after completion, under the policy in force then
    at_risk: bool
    overdue: bool
    attempts: list[CallbackAttempt]


class CallbackQueue(Response, kw_only=True):
    items: list[CallbackDue]  # soonest due first
    total: int
    at_risk: int  # of all awaiting (with the filters), not only this page
    overdue: int
    limit: int
    offset: int
