"""The wire format of /api/sync (docs/sync-protocol.md)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

import msgspec

from services.reference.schemas import Reference
from services.types import AwareDatetime, Request, Response
from services.work_orders.schemas import OrderDetail

CLIENT_ID_PATTERN = r"^[A-Za-z0-9_\-]{8,64}$"
ClientId = Annotated[str, msgspec.Meta(pattern=CLIENT_ID_PATTERN)]
MutationId = Annotated[int, msgspec.Meta(ge=1, le=2**53)]
MutationName = Annotated[str, msgspec.Meta(min_length=1, max_length=32, pattern=r"^[a-z_]+$")]


class MutationIn(Request, kw_only=True):
    id: MutationId  # increasing by one per client, from 1
    name: MutationName
    args: dict[str, Any]
    device_time: AwareDatetime  # when the technician did it, by the device's clock

    def __post_init__(self) -> None:
        # 0001-01-01T00:00:00+01:00 parses, but is no instant in UTC: refuse it here, by name,
        # before the clocks or the database meet it.
        try:
            self.device_time.astimezone(UTC)
        except OverflowError:
            raise ValueError("device_time lies outside the calendar") from None


class PushIn(Request, kw_only=True):
    client_id: ClientId
    mutations: Annotated[list[MutationIn], msgspec.Meta(max_length=1000)]
    # The lowest id the device has not settled: it never sends a smaller one again. A server whose
    # last id is behind it (restored from a backup) skips the ids it lost (docs/sync-protocol.md).
    first_unsettled: MutationId | None = None


class MutationResult(Response, kw_only=True):
    id: int
    name: str
    status: Literal["applied", "rejected", "gap"]
    order_id: int | None = None
    reason_code: str | None = None
    reason: str | None = None  # what the technician can act on, in their language
    server_time: datetime | None = None


class PushOut(Response, kw_only=True):
    client_id: str
    last_mutation_id: int  # everything up to here is settled; resend from the next one
    results: list[MutationResult]


class Removal(Response, kw_only=True):
    """Why an order left the caller's scope, for the notice the phone shows in its place."""

    id: int
    code: str
    reason: Literal["reassigned", "cancelled", "closed", "sent_back", "unassigned"]
    at: datetime  # when it left (the server's clock, from the scope change)
    assignee_name: str | None = None  # reassigned: to whom


class PullOut(Response, kw_only=True):
    cursor: str | None  # pass it to the next pull; null with reset
    more: bool  # another page follows at once
    reset: bool = False  # the cursor is too old: drop the local copy and pull without one
    orders: list[OrderDetail] = []  # new or changed orders in scope (whole documents)
    removed: list[int] = []  # orders that left scope (reassigned, cancelled, sent back)
    removals: list[Removal] = []  # the same orders, each with why it left and when
    results: list[MutationResult] = []  # outcomes of this client's mutations since the cursor
    reference: Reference | None = None  # when it changed since the cursor (always in a snapshot)


class ConflictOut(Response, kw_only=True):
    id: int
    technician: str
    client_id: str
    mutation_id: int
    name: str
    args: dict[str, Any]  # what the technician typed: kept, never dropped
    order_id: int | None
    order_code: str | None
    reason_code: str
    reason: str
    what_to_do: str
    device_time: datetime | None
    server_time: datetime
    resolved: bool


class ResolveIn(Request, kw_only=True):
    note: Annotated[str, msgspec.Meta(max_length=500, pattern=r"^[^\x00]*$")] = ""
