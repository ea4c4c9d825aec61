"""Payloads of the duty desk: /api/broadcast-events, /api/duty (roster, attendance) and the call-in
of more staff during an outage (/api/outages/{id}/call-in)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import msgspec

from domain.duty import BroadcastKind, Shift
from services.types import (
    NOT_BLANK,
    AwareDatetime,
    Id,
    Ref,
    Request,
    RequiredText,
    Response,
    ShortText,
    Text,
)

UserIds = Annotated[list[Id], msgspec.Meta(min_length=1, max_length=100)]


# ---- broadcast safety ----------------------------------------------------------------------


class BroadcastIn(Request, kw_only=True):
    """Record a broadcast-safety event as soon as it is known (§1.2.3 E)."""

    kind: BroadcastKind
    occurred_at: AwareDatetime
    channel: Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=NOT_BLANK)]
    area_id: Id | None = None  # None: the whole branch
    description: RequiredText
    informed: Text = ""
    actions: Text = ""


class BroadcastReport(Request, kw_only=True):
    """报备: who was informed and what was done; filing it releases the handover."""

    informed: RequiredText
    actions: RequiredText
    report: RequiredText


class BroadcastClose(Request, kw_only=True):
    note: Text = ""


class BroadcastOut(Response, kw_only=True):
    id: int
    kind: str
    occurred_at: datetime
    channel: str
    area: Ref | None
    description: str
    informed: str
    actions: str
    status: str
    report: str
    recorded_by: Ref
    reported_by: Ref | None
    reported_at: datetime | None
    closed_by: Ref | None
    closed_at: datetime | None
    created_at: datetime


class BroadcastItem(Response, kw_only=True):
    """On the handover sheet, item B beside the outages."""

    id: int
    kind: str
    status: str
    occurred_at: datetime
    channel: str
    area: str | None
    description: str
    reported_at: datetime | None


# ---- the roster ----------------------------------------------------------------------------


class RosterAdd(Request, kw_only=True):
    """Put people on a shift (the supervisor draws up the roster)."""

    day: date
    shift: Shift
    user_ids: UserIds
    note: ShortText = ""


class AttendanceCheck(Request, kw_only=True):
    """The supervisor's duty check (出勤检查, §1.2.2 B): present or absent."""

    attendance: Annotated[str, msgspec.Meta(pattern=r"^(present|absent)$")]
    note: ShortText = ""


class DutyEntryOut(Response, kw_only=True):
    id: int
    day: date
    shift: str
    user: Ref
    role: str
    team: str | None
    attendance: str
    outage_id: int | None
    note: str
    added_by: Ref
    checked_by: Ref | None
    checked_at: datetime | None


class Roster(Response, kw_only=True):
    day: date
    shift: str
    current: bool  # the shift in progress now
    entries: list[DutyEntryOut]


# ---- call-in during an outage --------------------------------------------------------------


class CallInIn(Request, kw_only=True):
    user_ids: UserIds
    note: ShortText = ""


class CallInCandidate(Response, kw_only=True):
    id: int
    name: str
    role: str
    team: str | None
    phone: str
    in_area: bool


class CallInProposal(Response, kw_only=True):
    outage_id: int
    status: str
    day: date
    shift: str
    proposable: bool  # confirmed or published: the mass outage is real and still on
    called_in: list[DutyEntryOut]
    candidates: list[CallInCandidate]
