"""The request bodies of an order's steps (and of its creation): what each says, bounded
(domain/types.py). The domain reads them back from the history (domain/payloads.py: each event's
payload is its step's body); the API decodes requests into them (services/work_orders/schemas.py)."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from domain.closure import ClosureForm, MaterialUse
from domain.types import (
    AwareDatetime,
    Hours,
    Id,
    Name,
    Phone,
    Request,
    RequiredText,
    ShortText,
    Text,
)
from domain.vocabulary import Kind, Source

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
