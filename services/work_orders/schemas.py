"""Payloads of /api/work-orders. Requests forbid unknown fields; every string is bounded."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec

from domain.closure import ClosureForm, MaterialUse
from domain.vocabulary import (
    Kind,
    Source,
)
from services.evidence.schemas import EvidenceSummary
from services.outages.schemas import OrderOutage
from services.types import (
    AwareDatetime,
    Hours,
    Id,
    Name,
    Phone,
    Request,
    RequiredText,
    Response,
    ShortText,
    Text,
)

Satisfaction = Annotated[int, msgspec.Meta(ge=1, le=5)]
Coordinate = Annotated[float, msgspec.Meta(ge=-10_000, le=10_000)]
Millis = Annotated[int, msgspec.Meta(ge=0, le=86_400_000)]
SendBackReason = Literal[
    "out_of_scope", "wrong_dispatch", "duplicate", "customer_info_wrong", "other"
]


class CreateOrder(Request, kw_only=True):
    kind: Kind
    source: Source = Source.call_centre
    customer_id: Id
    description: RequiredText
    community_id: Id | None = None  # defaults to the customer's
    road_id: Id | None = None
    address: ShortText | None = None
    contact_name: Name | None = None
    contact_phone: Phone | None = None
    agent_remark: Text = ""
    remark_flagged: bool = False
    appointment_at: AwareDatetime | None = None


class Step(Request, kw_only=True):
    """A step with nothing to say but when it happened on the device (and an optional note)."""

    device_time: AwareDatetime | None = None
    note: Text = ""


class Dispatch(Step, kw_only=True):
    assignee_id: Id
    # Dispatch outside the routing matrix only with a written reason (kept in the history).
    override_reason: ShortText | None = None


class Transfer(Dispatch, kw_only=True):
    reason: Text = ""


class Reason(Step, kw_only=True):
    reason: RequiredText


class SendBack(Step, kw_only=True):
    reason_code: SendBackReason
    reason: RequiredText


class ReturnResult(Step, kw_only=True):
    result: RequiredText
    special_fault: bool = False  # a special fault not fixed: asks for a second dispatch


class Note(Step, kw_only=True):
    text: RequiredText


class FlagRemark(Step, kw_only=True):
    remark: RequiredText


class RecordWork(Step, kw_only=True):
    work_done: Text = ""
    labour_hours: Hours | None = None
    materials: Annotated[list[MaterialUse], msgspec.Meta(max_length=100)] = []


class Close(ClosureForm, kw_only=True):
    """The closure form (domain/closure.py) with what every step carries (as Step: a struct has
    one base with fields)."""

    device_time: AwareDatetime | None = None
    note: Text = ""


class Append(Step, kw_only=True):
    text: RequiredText
    final_outcome: Literal["resolved", "unresolved"] | None = None


# [x, y, t]: position in CSS pixels on the signing pad, milliseconds since the stroke began. A
# tuple, not an array-like struct, so that OpenAPI documents the array the phone sends.
StrokePoint = tuple[Coordinate, Coordinate, Millis]


class Sign(Step, kw_only=True):
    signer_name: Name
    relation: Literal["account_holder", "family", "tenant", "colleague", "other"]
    strokes: Annotated[
        list[Annotated[list[StrokePoint], msgspec.Meta(min_length=1, max_length=2000)]],
        msgspec.Meta(min_length=1, max_length=200),
    ]
    satisfaction: Satisfaction
    comment: Text = ""


class Callback(Step, kw_only=True):
    reached: bool = True
    satisfaction: Satisfaction | None = None
    remark: Text = ""


class PersonRef(Response, kw_only=True):
    id: int
    name: str


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
    actor: PersonRef | None
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
    area: PersonRef
    assignee: PersonRef | None
    created_at: datetime
    appointment_at: datetime | None
    next_due: datetime | None
    at_risk: bool
    breached: bool


class OrderDetail(OrderSummary, kw_only=True):
    customer: CustomerView
    community: PersonRef | None
    road: PersonRef | None
    address: str
    contact_name: str
    contact_phone: str
    description: str
    agent_remark: str
    team: PersonRef | None
    first_contact_owner: PersonRef | None
    closure: dict[str, Any] | None
    closed_at: datetime | None
    awaiting_append: bool
    version: int
    clocks: list[ClockOut]
    history: list[EventOut]
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
