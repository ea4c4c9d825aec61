"""Payloads of /api/reach and /api/policies/escalation."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from services.types import Request, Response

ChannelName = Literal["webpush", "wecom", "sms"]
Percent = Annotated[int, msgspec.Meta(ge=1, le=100)]
Minutes = Annotated[int, msgspec.Meta(ge=0, le=24 * 60)]
Id = Annotated[int, msgspec.Meta(ge=1, le=2_147_483_647)]
WeComUser = Annotated[str, msgspec.Meta(max_length=64, pattern=r"^[A-Za-z0-9_.@\-]*$")]


class ChannelSend(Response, kw_only=True):
    channel: str
    # pending / sending / sent / failed / unknown (an SMS that may have gone: not sent again) /
    # dropped / expired (web push: one per device, the best of them)
    state: str
    at: datetime | None  # when it was sent
    attempts: int
    error: str


class NoticeOut(Response, kw_only=True):
    id: int
    work_order: int
    code: str  # the order's
    recipient: int
    recipient_name: str
    notice: str  # assigned / urged / withdrawn
    state: str  # queued / sent / delivered / seen
    created_at: datetime
    sent_at: datetime | None
    sent_via: str
    delivered_at: datetime | None
    delivered_by: str
    seen_at: datetime | None
    seen_by: str
    alert_at: datetime | None  # the dispatchers are alerted then, if still unseen
    alerted_at: datetime | None
    superseded: bool
    channels: list[ChannelSend]


class Seen(Request, kw_only=True):
    work_order: Id


class Receipt(Request, kw_only=True):
    notice: Id


class Preferences(Request, kw_only=True):
    """The channels to try, in order (empty: the branch's order), and the WeCom user id."""

    channels: Annotated[list[ChannelName], msgspec.Meta(max_length=3)] = []
    wecom_user: WeComUser = ""


class PreferencesOut(Response, kw_only=True):
    channels: list[str]  # in force: the user's or the branch's order
    own: bool  # the user chose them
    wecom_user: str
    mobile: bool  # the staff file has a mobile number SMS can reach
    push_devices: int
    configured: list[str]  # channels the server has credentials for


class EscalationPolicyOut(Response, kw_only=True):
    deliver_percent: int
    seen_percent: int
    deliver_minutes: int
    seen_minutes: int
    effective_from: datetime | None  # None: the built-in default
    updated_by: int | None


class EscalationPolicySet(Request, kw_only=True):
    """Not delivered after this share of the contact limit (or these minutes, when not 0): the
    next channel. Not seen after that share (or minutes): the dispatchers are alerted."""

    deliver_percent: Percent = 33
    seen_percent: Percent = 67
    deliver_minutes: Minutes = 0
    seen_minutes: Minutes = 0
