"""The named mutations a device may push, and how each is applied: through the same lifecycle
steps as the API, so the state machine decides against the current server state; a photo through
the same attachment as the API, pending until its upload arrives; a tap on "call" as the API's."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import msgspec

from domain.errors import Invalid
from domain.evidence import PhotoKind
from domain.lifecycle import PHONE_STEPS, Action
from services.auth.schemas import Caller
from services.calls import service as calls
from services.calls.schemas import PhoneCall
from services.evidence import service as evidence
from services.types import Id, ShortText
from services.work_orders import schemas as s
from services.work_orders import service


class AttachPhoto(s.Step, kw_only=True):
    upload_id: uuid.UUID  # chosen by the device before the upload starts (tus Upload-Metadata)
    kind: PhotoKind
    caption: ShortText = ""


# Applies a decoded mutation to an order.
Run = Callable[[Caller, int, Any, service.TimeRules, service.Workset], Awaitable[None]]


@dataclass(frozen=True)
class Mutation:
    body: type[msgspec.Struct]  # takes `device_time`: the mutation's
    run: Run
    # A lifecycle step works in the batch's Workset: decided in memory, written at the batch's
    # end, nothing written when refused. Anything else reads and writes the database itself.
    in_workset: bool = True


def step(action: Action, body: type[s.Step]) -> Mutation:
    async def run(
        caller: Caller, order_id: int, data: s.Step, rules: service.TimeRules, work: service.Workset
    ) -> None:
        await service.apply_step(caller, order_id, action, data, rules, work=work)

    return Mutation(body, run)


async def _attach_photo(
    caller: Caller,
    order_id: int,
    data: AttachPhoto,
    rules: service.TimeRules,
    work: service.Workset,
) -> None:
    await evidence.attach_photo(
        caller, order_id, str(data.upload_id), data.caption, data.kind, data.device_time
    )


async def _call_customer(
    caller: Caller,
    order_id: int,
    data: PhoneCall,
    rules: service.TimeRules,
    work: service.Workset,
) -> None:
    await calls.tap(caller, order_id, data, "phone")


# A phone's steps, named as the step spec names them, a photo and a tap on "call" (not steps:
# in any state).
MUTATIONS: dict[str, Mutation] = {
    **{
        name: step(action, service.STEP_HANDLING[action].body)
        for name, action in PHONE_STEPS.items()
    },
    "attach_photo": Mutation(AttachPhoto, _attach_photo, in_workset=False),
    "call_customer": Mutation(PhoneCall, _call_customer, in_workset=False),
}


# The refusals of a mutation whose arguments were not read as the API reads them.
REFUSED_UNREAD = frozenset({"sync.unknown_mutation", "sync.invalid_args"})


class Target(msgspec.Struct):
    order_id: Id


def order_of(args: dict[str, Any]) -> int | None:
    try:
        return msgspec.convert(args, Target).order_id
    except msgspec.ValidationError:
        return None


def in_workset(name: str) -> bool:
    """Whether the mutation is decided in memory (unknown names are refused before anything)."""
    mutation = MUTATIONS.get(name)
    return mutation is None or mutation.in_workset


async def apply(
    caller: Caller,
    name: str,
    args: dict[str, Any],
    device_time: datetime,
    rules: service.TimeRules,
    work: service.Workset,
) -> int:
    """Apply one mutation inside the caller's write transaction; returns the order it touched.
    Raises a DomainError when it must be rejected."""
    mutation = MUTATIONS.get(name)
    if mutation is None:
        raise Invalid("sync.unknown_mutation", name=name)
    order_id = order_of(args)
    if order_id is None:
        raise Invalid("sync.invalid_args", detail="order_id")
    fields = {k: v for k, v in args.items() if k != "order_id"}
    try:
        body = msgspec.convert({**fields, "device_time": device_time}, mutation.body)
    except msgspec.ValidationError as exc:
        raise Invalid("sync.invalid_args", detail=str(exc)) from exc
    await mutation.run(caller, order_id, body, rules, work)
    return order_id


# What is kept of arguments the API would refuse (a malformed or unknown mutation): enough for a
# dispatcher to see what the technician sent, never what a hostile client chose to send.
KEPT_TEXT = 2_000  # the API's longest text (services.types.Text)
KEPT_CHARS = 6_000  # in all, texts and keys
KEPT_ITEMS = 50  # per list or object
KEPT_DEPTH = 4


def bounded(args: dict[str, Any]) -> dict[str, Any]:
    """A bounded copy of `args`: texts cut to the API's longest, lists and objects to their first
    items, nesting to a few levels, and everything after a budget of characters dropped."""
    budget = KEPT_CHARS

    def cut(value: Any, depth: int) -> Any:
        nonlocal budget
        if isinstance(value, str):
            kept = value[: max(0, min(KEPT_TEXT, budget))]
            budget -= len(kept) + 1
            return kept
        if isinstance(value, list):
            return (
                [cut(item, depth + 1) for item in value[:KEPT_ITEMS] if budget > 0]
                if depth < KEPT_DEPTH
                else []
            )
        if isinstance(value, dict):
            kept_items = {}
            for key, item in list(value.items())[:KEPT_ITEMS] if depth < KEPT_DEPTH else []:
                if budget <= 0:
                    break
                budget -= len(key[:64])
                kept_items[key[:64]] = cut(item, depth + 1)
            return kept_items
        budget -= 8
        return value

    return cut(args, 0)
