"""Payloads of /api/work-orders. Requests forbid unknown fields; every string is bounded. The
steps' bodies are the domain's (domain/step_bodies.py): an event's payload is its body."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.step_bodies import (
    Append,
    Callback,
    Close,
    CreateOrder,
    Dispatch,
    FlagRemark,
    Note,
    Reason,
    RecordWork,
    ReturnResult,
    SendBack,
    Sign,
    Step,
    Transfer,
)
from services.calls.schemas import CallOut
from services.evidence.schemas import EvidenceSummary
from services.outages.schemas import OrderOutage
from services.types import Ref, Response

__all__ = [
    "CreateOrder",
    "Step",
    "Dispatch",
    "Transfer",
    "Reason",
    "SendBack",
    "ReturnResult",
    "Note",
    "FlagRemark",
    "RecordWork",
    "Close",
    "Append",
    "Sign",
    "Callback",
]


class CustomerView(Response, kw_only=True):
    id: int
    account_no: str
    name: str
    phone: str
    tier: str
    network: str


class ClockOut(Response, kw_only=True):
    name: str
    state: str  # running / met / breached
    at_risk: bool
    started_at: datetime
    due: datetime
    stopped_at: datetime | None
    stopped_by_seq: int | None
    stopped_by_action: str | None
    started_by_seq: int


class EventOut(Response, kw_only=True):
    seq: int
    action: str
    actor: Ref | None
    actor_role: str
    payload: dict[str, Any]
    server_time: datetime
    device_time: datetime | None
    effective_time: datetime
    time_flag: str
    state_before: str
    state_after: str


class OrderSummary(Response, kw_only=True):
    id: int
    code: str
    kind: str
    source: str
    state: str
    priority: str
    urge_count: int
    remark_flagged: bool
    customer_name: str
    customer_tier: str
    # VIP or dedicated line (domain/priority.py key_customer): the short limits, a detailed closure remark
    key_customer: bool
    dedicated_line: bool  # by the customer's tier or the order's kind
    area: Ref
    assignee: Ref | None
    created_at: datetime
    appointment_at: datetime | None
    next_due: datetime | None
    at_risk: bool
    breached: bool


class OrderDetail(OrderSummary, kw_only=True):
    customer: CustomerView
    community: Ref | None
    road: Ref | None
    address: str
    contact_name: str
    contact_phone: str
    description: str
    agent_remark: str
    team: Ref | None
    first_contact_owner: Ref | None
    closure: dict[str, Any] | None
    closed_at: datetime | None
    awaiting_append: bool
    version: int
    clocks: list[ClockOut]
    history: list[EventOut]
    # Calls about the order, oldest first, each judged (§2.1.3 B): not steps, so beside the
    # history; screens show them in it by time.
    calls: list[CallOut]
    allowed_actions: list[str]
    evidence: EvidenceSummary  # photos (pending ones: "closed — 2 photos pending"), signature
    outage: OrderOutage | None = (
        None  # the area outage it is grouped under; what agents tell callers
    )


class OrderPage(Response, kw_only=True):
    items: list[OrderSummary]
    total: int
    limit: int
    offset: int
