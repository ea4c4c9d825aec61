"""The wire format of /api/sync (docs/sync-protocol.md)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal, Union

import msgspec

from services.reference.schemas import Reference
from services.types import AwareDatetime, Id, Request, Response
from services.work_orders.schemas import OrderDetail
from sync.mutations import MUTATIONS

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


def _documented(name: str, body: type[msgspec.Struct]) -> type[msgspec.Struct]:
    """Mutation `name` as OpenAPI describes it: its args are the step's body (what the API's
    endpoint takes) with the order's id; the device's time is the mutation's own."""
    title = "".join(word.capitalize() for word in name.split("_"))
    args = [("order_id", Id)]
    for f in msgspec.structs.fields(body):
        if f.name == "device_time":
            continue
        if f.required:
            args.append((f.name, f.type))
        elif f.default_factory is not msgspec.NODEFAULT:
            args.append((f.name, f.type, msgspec.field(default_factory=f.default_factory)))
        else:
            args.append((f.name, f.type, f.default))
    return msgspec.defstruct(
        f"{title}Mutation",
        [
            ("id", MutationId),
            (
                "args",
                msgspec.defstruct(f"{title}Args", args, kw_only=True, forbid_unknown_fields=True),
            ),
            ("device_time", AwareDatetime),
        ],
        tag_field="name",
        tag=name,
        kw_only=True,
        forbid_unknown_fields=True,
    )


def _inlined(schema: Any, definitions: dict[str, Any]) -> Any:
    """`schema` with every $ref replaced by its definition (Litestar writes the components)."""
    if isinstance(schema, dict):
        if "$ref" in schema:
            return _inlined(definitions[schema["$ref"].rsplit("/", 1)[1]], definitions)
        return {k: _inlined(v, definitions) for k, v in schema.items() if k != "discriminator"}
    if isinstance(schema, list):
        return [_inlined(v, definitions) for v in schema]
    return schema


# OpenAPI describes each mutation by name (a union tagged by `name`), so a client author and
# schemathesis see every one. The server reads the batch more loosely on purpose (MutationIn): a
# mutation that does not match is answered `rejected` in its result, never a 400 that holds the
# batch back.
_union = msgspec.json.schema(
    Union[tuple(_documented(name, m.body) for name, m in MUTATIONS.items())]  # noqa: UP007
)
MUTATION_SCHEMA = _inlined({k: v for k, v in _union.items() if k != "$defs"}, _union["$defs"])


class PushIn(Request, kw_only=True):
    client_id: ClientId
    mutations: Annotated[
        list[MutationIn],
        msgspec.Meta(
            max_length=1000,
            extra_json_schema={
                "description": "Oldest first. One that matches no mutation below is rejected in "
                "its result (sync.unknown_mutation, sync.invalid_args); the rest are applied.",
                "extra": {"items": MUTATION_SCHEMA},
            },
        ),
    ]
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
