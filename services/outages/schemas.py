"""Payloads of /api/outages. A notice's elements are optional in the schema so that a notice
missing several of them is answered with one problem naming each (domain.outages)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from domain.outages import Scope
from domain.vocabulary import Network
from services.types import (
    AwareDatetime,
    Id,
    Ref,
    Request,
    RequiredText,
    Response,
    ShortText,
    Text,
)

OrderIds = Annotated[list[Id], msgspec.Meta(min_length=1, max_length=200)]


class OrderOutage(Response, kw_only=True):
    """On an order's detail: the outage it is grouped under and what to tell the customer."""

    id: int
    status: str
    explanation: str | None  # 统一解释口径, once a fault notice is out
    estimated_restoration: datetime | None
    restored_at: datetime | None


class Declare(Request, kw_only=True):
    """An outage reported before the calls come (another department's notice, a field report)."""

    area_id: Id
    scope: Scope = Scope.area
    place_id: Id | None = None  # the community or road, for those scopes
    network: Network
    note: Text = ""


class Confirm(Request, kw_only=True):
    note: Text = ""


class Dismiss(Request, kw_only=True):
    reason: RequiredText


class FaultNoticeIn(Request, kw_only=True):
    reporter: ShortText = ""  # 接xx部门/人员通知; empty: the publisher is responsible
    location: Text = ""
    cause: Text = ""
    affected_scope: Text = ""
    estimated_restoration: AwareDatetime | None = None
    explanation: Text = ""  # 统一解释口径


class CloseLinked(Request, kw_only=True):
    """Close the open linked orders as resolved: the cause is the restoration notice's."""

    solution: RequiredText
    result: Text = ""


class RestorationIn(Request, kw_only=True):
    reporter: ShortText = ""  # empty: the last editor (the one restoring) is responsible
    confirmed_cause: Text = ""
    restored_at: AwareDatetime | None = None
    # What happens to the open linked orders: a note in each history, or closure together.
    linked_orders: Literal["inform", "close"] = "inform"
    solution: Text = ""  # for closing them


class LinkOrders(Request, kw_only=True):
    order_ids: OrderIds


class InformLinked(Request, kw_only=True):
    text: RequiredText


class NoticeOut(Response, kw_only=True):
    id: int
    kind: str  # fault / restoration
    revision: int
    reporter: str
    responsible: Ref | None  # who answers for it when no reporter is named
    published_by: Ref
    published_at: datetime
    location: str
    cause: str
    affected_scope: str
    estimated_restoration: datetime | None
    explanation: str
    confirmed_cause: str
    restored_at: datetime | None


class LinkedOrder(Response, kw_only=True):
    id: int
    code: str
    state: str
    customer_name: str
    address: str
    created_at: datetime
    linked_at: datetime
    linked_by: Ref | None  # None: detection
    unlinked_at: datetime | None


class OutageSummary(Response, kw_only=True):
    id: int
    status: str
    area: Ref
    scope: str
    place: Ref
    network: str
    detected_at: datetime
    declared_by: Ref | None  # None: detected from orders
    orders: int  # linked now
    open_orders: int
    notice: NoticeOut | None  # the current fault notice
    first_published_at: datetime | None
    restored_at: datetime | None
    version: int


class OutageDetail(OutageSummary, kw_only=True):
    note: str
    linked: list[LinkedOrder]  # current and former links
    notices: list[NoticeOut]  # every revision, oldest first
    allowed_steps: list[str]


class Skipped(Response, kw_only=True):
    order_id: int
    code: str
    problem: str
    message: str


class BulkResult(Response, kw_only=True):
    outage: OutageDetail
    done: list[int]  # orders informed, closed, linked or unlinked
    skipped: list[Skipped]


class DetectionPolicyOut(Response, kw_only=True):
    orders: int
    minutes: int
    effective_from: datetime | None  # None: the built-in default
    updated_by: int | None


class DetectionPolicySet(Request, kw_only=True):
    orders: Annotated[int, msgspec.Meta(ge=2, le=100)]
    minutes: Annotated[int, msgspec.Meta(ge=1, le=24 * 60)]
