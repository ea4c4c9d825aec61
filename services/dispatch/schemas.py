"""Payloads of the dispatchers' board and assignment suggestions (answers only)."""

from __future__ import annotations

from datetime import datetime

from services.types import Response


class Whereabouts(Response, kw_only=True):
    status: str  # on_site / en_route / idle (domain.dispatch.Status)
    order_id: int | None
    order_code: str | None
    since: datetime | None  # when they set off / arrived


class Contact(Response, kw_only=True):
    """The person's devices as the server last heard from them."""

    last_contact_at: datetime | None  # latest pull or push of any of their devices
    last_pull_at: datetime | None
    last_push_at: datetime | None
    outbox_pending: int  # actions their devices reported as not yet synced
    devices: int


class BoardRow(Response, kw_only=True):
    id: int
    name: str
    role: str
    team: str | None
    where: Whereabouts
    load: int  # orders they hold (dispatched … on site)
    orders: list[str]  # the codes of the orders they hold, latest change first
    last_event_at: datetime | None  # their latest step on an order they hold
    contact: Contact
    duty: str | None = (
        None  # this shift's attendance (domain.duty.Attendance); None: not on the roster
    )


class Board(Response, kw_only=True):
    as_of: datetime
    people: list[BoardRow]


class SuggestionOut(Response, kw_only=True):
    id: int
    name: str
    team: str | None
    in_area: bool
    current: bool
    where: Whereabouts
    load: int
    last_event_at: datetime | None
    contact: Contact


class Suggestions(Response, kw_only=True):
    order_id: int
    as_of: datetime
    candidates: list[SuggestionOut]
