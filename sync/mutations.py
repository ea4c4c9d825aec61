"""The named mutations a device may push, and how each is applied: through the same lifecycle
steps as the API, so the state machine decides against the current server state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import msgspec

from api.auth.schemas import Caller
from api.types import Id
from api.work_orders import schemas as s
from api.work_orders import service
from domain.errors import Invalid
from domain.lifecycle import Action


@dataclass(frozen=True)
class Mutation:
    action: Action
    body: type[s.Step]


MUTATIONS: dict[str, Mutation] = {
    "accept": Mutation(Action.accept, s.Step),
    "reject": Mutation(Action.reject, s.Reason),
    "contact": Mutation(Action.contact, s.Step),
    "start_travel": Mutation(Action.start_travel, s.Step),
    "arrive": Mutation(Action.arrive, s.Step),
    "add_note": Mutation(Action.note, s.Note),
    "record_work": Mutation(Action.record_work, s.RecordWork),
    "capture_signature": Mutation(Action.sign, s.Sign),
    "close": Mutation(Action.close, s.Close),
    "request_send_back": Mutation(Action.request_send_back, s.Reason),
    "cannot_proceed": Mutation(Action.cannot_proceed, s.Reason),
}


class Target(msgspec.Struct):
    order_id: Id


def order_of(args: dict[str, Any]) -> int | None:
    try:
        return msgspec.convert(args, Target).order_id
    except msgspec.ValidationError:
        return None


async def apply(
    caller: Caller, name: str, args: dict[str, Any], device_time: datetime, rules: service.TimeRules
) -> dict:
    """Apply one mutation inside the caller's write transaction; returns the order row as written.
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
    return await service.apply_step(caller, order_id, mutation.action, body, rules)
