"""Payloads of /api/handovers (交接班)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from services.duty.schemas import BroadcastItem
from services.types import AwareDatetime, Id, Ref, Request, RequiredText, Response, Text


class CreateSheet(Request, kw_only=True):
    scheduled_at: AwareDatetime  # when the shift changes hands
    incoming_id: Id | None = None
    planned_work: Text = ""  # D
    systems: Text = ""  # E
    other: Text = ""  # F


class EditSheet(Request, kw_only=True):
    """What the outgoing dispatcher writes; a field left out is unchanged."""

    incoming_id: Id | None = None
    planned_work: Text | None = None
    systems: Text | None = None
    other: Text | None = None


class SignIn(Request, kw_only=True):
    note: Text = ""  # 接班信息


class Substitute(Request, kw_only=True):
    """A supervisor names who hands over or takes over instead (§1.2.4 B)."""

    side: Literal["outgoing", "incoming"]
    user_id: Id
    reason: RequiredText


class OrderItem(Response, kw_only=True):
    id: int
    code: str
    kind: str
    source: str
    state: str
    customer_name: str
    assignee: str | None
    next_due: datetime | None
    reasons: list[str]  # domain.handover.Reason


class OutageItem(Response, kw_only=True):
    id: int
    status: str
    area: str
    place: str
    orders: int
    estimated_restoration: datetime | None


class Items(Response, kw_only=True):
    a: list[OrderItem]  # unfinished orders to urge or track
    b: list[OutageItem]  # emergencies: open area outages
    c: list[OrderItem]  # VIP, dedicated line, 110/119, mayor hotline
    broadcast: list[BroadcastItem] = []  # item B too: broadcast-safety events not closed (issue 19)


class SheetSummary(Response, kw_only=True):
    id: int
    status: str
    outgoing: Ref
    incoming: Ref | None
    scheduled_at: datetime
    outgoing_signed_at: datetime | None
    incoming_signed_at: datetime | None
    held_back_at: datetime | None


class SheetOut(SheetSummary, kw_only=True):
    compiled_at: datetime
    items: Items
    planned_work: str
    systems: str
    other: str
    incoming_note: str
    substitute_named_by: Ref | None
    substitute_reason: str
    created_at: datetime
    held_back_by: list[int]  # outages without a published notice, now: signing waits for them
    held_back_by_broadcast: list[
        int
    ] = []  # broadcast-safety events not yet reported: signing waits too
    incoming_on_roster: bool | None = None  # None: nobody named, or no roster for the shift
