"""What an order's history records of each step (work_order_event.payload): the step's request body
(domain/step_bodies.py) without its device time (the event's own column) and without an empty note,
plus what the step's effect adds (its Extras). One struct per action, derived from the body, in a
union tagged by action. `read` decodes a stored payload once, where histories are loaded; `stored`
gives the JSON kept and sent (the keys it always had)."""

from __future__ import annotations

import types
from collections.abc import Mapping
from typing import Annotated, Any, Union, get_args, get_origin

import msgspec
from msgspec import UNSET, UnsetType

from domain import step_bodies as b
from domain.lifecycle import Action

TAG = "action"


class Payload(msgspec.Struct, kw_only=True, tag_field=TAG):
    """Base of every action's payload (built below, one per action)."""


class Extras(msgspec.Struct, kw_only=True):
    """What a step's effect records beside its body. Every field has a default: rows written
    before it was recorded read as the default."""


class Created(Extras):
    clock_class: str = "normal"
    code: str = ""


class Assigned(Extras):
    assignee_name: str = ""
    team_id: int | None = None
    team_name: str | None = None
    routing_overridden: bool = False


class Dispatched(Assigned):
    second_dispatch: bool = False  # 二次调度: the order came back from the field before


class Transferred(Assigned):
    from_assignee_id: int | None = None


class Unassigned(Extras):
    from_assignee_id: int | None = None


class Urged(Extras):
    urge_count: int = 0


class Flagged(Extras):
    flagged: bool = True


class Followed(Extras):
    # The step this one followed from in the same transaction (lifecycle.FOLLOWS); absent otherwise.
    after: Action | UnsetType = UNSET


class Signed(Extras):
    record_sha256: str | None = None  # the service record the signature binds
    record_version: int | None = None


class WaiverApproved(Extras):
    request_seq: int | None = None
    reason: str | None = None


# Each action's request body and what its effect adds.
BODIES: dict[Action, type[msgspec.Struct]] = {
    Action.create: b.CreateOrder,
    Action.dispatch: b.Dispatch,
    Action.transfer: b.Transfer,
    Action.accept: b.Step,
    Action.reject: b.Reason,
    Action.contact: b.Step,
    Action.start_travel: b.Step,
    Action.arrive: b.Step,
    Action.return_result: b.ReturnResult,
    Action.request_send_back: b.Reason,
    Action.cannot_proceed: b.Reason,
    Action.send_back: b.SendBack,
    Action.resubmit: b.Step,
    Action.cancel: b.Reason,
    Action.close: b.Close,
    Action.reopen: b.Reason,
    Action.append: b.Append,
    Action.urge: b.Step,
    Action.flag_remark: b.FlagRemark,
    Action.note: b.Note,
    Action.record_work: b.RecordWork,
    Action.sign: b.Sign,
    Action.request_waiver: b.Reason,
    Action.approve_waiver: b.Step,
    Action.callback: b.Callback,
}
EXTRAS: dict[Action, type[Extras]] = {
    Action.create: Created,
    Action.dispatch: Dispatched,
    Action.transfer: Transferred,
    Action.reject: Unassigned,
    Action.send_back: Unassigned,
    Action.cancel: Unassigned,
    Action.reopen: Followed,
    Action.urge: Urged,
    Action.flag_remark: Flagged,
    Action.sign: Signed,
    Action.approve_waiver: WaiverApproved,
}


def _loose(t: Any) -> Any:
    """`t` without its bounds: they bind requests, not history, so a rule tightened later
    (a pattern, a length) never makes an order written before unreadable."""
    origin = get_origin(t)
    if origin is Annotated:
        return _loose(t.__origin__)
    if origin in (Union, types.UnionType):
        return Union[tuple(_loose(a) for a in get_args(t))]  # noqa: UP007
    if origin in (list, tuple):
        return origin[tuple(_loose(a) for a in get_args(t))]
    return t


def _payload(action: Action) -> type[Payload]:
    extras = EXTRAS.get(action, Extras)
    fields: list[tuple[str, Any, Any]] = []
    for f in msgspec.structs.fields(BODIES[action]):
        if f.name == "device_time":
            continue
        kind = _loose(f.type)
        if f.required or f.name == "note":
            # Absent from the row: not recorded (an empty note) or written before the field was.
            fields.append((f.name, kind | UnsetType, UNSET))
        elif f.default_factory is not msgspec.NODEFAULT:
            fields.append((f.name, kind, msgspec.field(default_factory=f.default_factory)))
        else:
            fields.append((f.name, kind, f.default))
    return msgspec.defstruct(
        f"{''.join(w.capitalize() for w in action.split('_'))}Payload",
        fields,
        bases=(Payload, extras),
        tag=action.value,
        kw_only=True,
        module=__name__,
    )


PAYLOADS: dict[Action, type[Payload]] = {action: _payload(action) for action in BODIES}
EventPayload = Union[tuple(PAYLOADS.values())]  # noqa: UP007


def recorded(action: Action, body: msgspec.Struct, extras: Extras | None = None) -> Payload:
    """The payload a step records: its body and its effect's extras."""
    said = msgspec.structs.asdict(body)
    said.pop("device_time", None)
    if "note" in said and not said["note"]:
        said["note"] = UNSET
    added = msgspec.structs.asdict(extras) if extras is not None else {}
    return PAYLOADS[action](**said, **added)


def read(action: str, stored: Mapping[str, Any]) -> Payload:
    """A payload as the history stores it (JSON), decoded into its action's struct."""
    return msgspec.convert({**stored, TAG: str(action)}, EventPayload)


def typed(action: str, payload: Payload | Mapping[str, Any]) -> Payload:
    """`payload` as its action's struct, whether decoded already or as stored."""
    return payload if isinstance(payload, Payload) else read(action, payload)


def stored(payload: Payload) -> dict[str, Any]:
    """The JSON a payload is stored and sent as: its fields, without the action (the event's own)."""
    data = msgspec.to_builtins(payload)
    del data[TAG]
    return data
