"""The work-order state machine: which step may follow which, and who may take it.

An action names a step in the manual's words. `transition` answers with the next state or raises:
Forbidden when the role may never take that step, Conflict (naming the current state and the
steps the caller may take) when the order is in the wrong state for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from domain.errors import Conflict, Forbidden
from domain.vocabulary import DISPATCH_ROLES, FIELD_ROLES, OPEN_STATES, Role, State

S = State


class Action(StrEnum):
    create = "create"
    dispatch = "dispatch"  # 派单; from returned / cannot_proceed it is a second dispatch (二次调度)
    transfer = "transfer"  # 转派
    accept = "accept"
    reject = "reject"  # the assignee declines, with a reason
    contact = "contact"  # customer contacted
    start_travel = "start_travel"
    arrive = "arrive"
    return_result = "return_result"  # 回馈处理结果 to dispatch (starts the transfer clock)
    request_send_back = "request_send_back"
    cannot_proceed = "cannot_proceed"  # unsafe, with a reason
    send_back = "send_back"  # 回退 to the call centre, with a reason (§2.1.6)
    resubmit = "resubmit"  # the call centre corrects a sent-back order
    cancel = "cancel"
    close = "close"  # 结单: resolved / unresolved / appointment
    reopen = "reopen"  # the customer is not satisfied (§2.1.3 B e)
    append = "append"  # 信息追加 after closure (§2.1.5 B c)
    urge = "urge"  # 催单
    flag_remark = "flag_remark"  # the agent flags an important remark
    note = "note"
    record_work = "record_work"  # materials used and labour, recorded as the work goes
    sign = "sign"  # the customer signs the service record on the technician's device
    request_waiver = "request_waiver"  # no signature possible: ask a supervisor
    approve_waiver = "approve_waiver"
    callback = "callback"  # 回访 recorded


WORKING = frozenset({S.accepted, S.contacted, S.en_route, S.on_site})
ASSIGNED = WORKING | {S.dispatched}
HANDLERS = FIELD_ROLES | {Role.backoffice}  # who works an order once it is assigned to them
CALL_CENTRE = frozenset({Role.agent}) | DISPATCH_ROLES
OFFICE_READERS = DISPATCH_ROLES | {Role.agent, Role.backoffice}


@dataclass(frozen=True)
class Step:
    moves: dict[State, State | None]  # from-state → to-state (None: the state does not change)
    office: frozenset[Role]  # office roles allowed whether or not they hold the order
    handler: bool = False  # the order's assignee (technician, contractor, back office) may take it


def _same(states: frozenset[State] | set[State]) -> dict[State, State | None]:
    return {s: None for s in states}


def _to(states: frozenset[State] | set[State], target: State) -> dict[State, State | None]:
    return {s: target for s in states}


STEPS: dict[Action, Step] = {
    Action.dispatch: Step(_to({S.new, S.returned, S.cannot_proceed}, S.dispatched), DISPATCH_ROLES),
    Action.transfer: Step(_to(ASSIGNED | {S.returned, S.cannot_proceed}, S.dispatched), DISPATCH_ROLES),
    Action.accept: Step(_to({S.dispatched}, S.accepted), frozenset(), handler=True),
    Action.reject: Step(_to({S.dispatched}, S.new), frozenset(), handler=True),
    Action.contact: Step(
        {S.accepted: S.contacted, S.contacted: None, S.en_route: None, S.on_site: None},
        frozenset(),
        handler=True,
    ),
    Action.start_travel: Step(_to({S.accepted, S.contacted}, S.en_route), frozenset(), handler=True),
    Action.arrive: Step(_to({S.accepted, S.contacted, S.en_route}, S.on_site), frozenset(), handler=True),
    Action.return_result: Step(_to(WORKING, S.returned), frozenset(), handler=True),
    Action.request_send_back: Step(_to(ASSIGNED, S.returned), frozenset(), handler=True),
    Action.cannot_proceed: Step(_to(WORKING, S.cannot_proceed), frozenset(), handler=True),
    Action.send_back: Step(
        _to({S.new, S.dispatched, S.returned, S.cannot_proceed}, S.sent_back), DISPATCH_ROLES
    ),
    Action.resubmit: Step(_to({S.sent_back}, S.new), CALL_CENTRE),
    Action.cancel: Step(
        _to({S.new, S.sent_back, S.dispatched, S.returned, S.cannot_proceed}, S.cancelled),
        CALL_CENTRE,
    ),
    Action.close: Step(
        _to(ASSIGNED | {S.new, S.returned, S.cannot_proceed}, S.closed), DISPATCH_ROLES, handler=True
    ),
    Action.reopen: Step(_to({S.closed}, S.new), DISPATCH_ROLES),
    Action.append: Step(_same({S.closed}), DISPATCH_ROLES | {Role.backoffice}, handler=True),
    Action.urge: Step(_same(OPEN_STATES - {S.sent_back}), CALL_CENTRE),
    Action.flag_remark: Step(_same(OPEN_STATES - {S.sent_back}), CALL_CENTRE),
    Action.note: Step(_same(frozenset(State)), OFFICE_READERS, handler=True),
    Action.record_work: Step(_same(WORKING), frozenset(), handler=True),
    Action.sign: Step(_same(WORKING), frozenset(), handler=True),
    Action.request_waiver: Step(_same(WORKING | {S.returned}), DISPATCH_ROLES, handler=True),
    Action.approve_waiver: Step(
        _same(WORKING | {S.returned, S.cannot_proceed}), frozenset({Role.supervisor, Role.admin})
    ),
    Action.callback: Step(_same({S.closed}), OFFICE_READERS),
}

# A step that follows from another in the same transaction, on that step's authority: a customer
# dissatisfied at the callback reopens the order (§2.1.3 B e), whoever recorded the callback.
FOLLOWS: dict[Action, Action] = {Action.reopen: Action.callback}

# Handler steps a back-office handler takes: they work at a desk, never travel or sign.
DESK_STEPS = frozenset(
    {Action.accept, Action.reject, Action.return_result, Action.request_send_back,
     Action.close, Action.append, Action.note, Action.contact}
)


def may_take(action: Action, role: Role, holds_order: bool) -> bool:
    """Whether this role may ever take this step on an order (ignoring its state)."""
    step = STEPS.get(action)
    if step is None:  # creation is not a step on an existing order
        return False
    if role in step.office:
        return True
    if step.handler and holds_order and role in HANDLERS:
        return role in FIELD_ROLES or action in DESK_STEPS
    return False


def allowed_actions(state: State, role: Role, holds_order: bool) -> list[Action]:
    return [
        action
        for action, step in STEPS.items()
        if state in step.moves and may_take(action, role, holds_order)
    ]


def transition(
    state: State, action: Action, role: Role, holds_order: bool, after: Action | None = None
) -> State:
    """The state after `action`, or an error saying why it cannot be taken. `after`: the step
    just taken that this one follows from (FOLLOWS); its permission is the one checked."""
    authority = after if after is not None and FOLLOWS.get(action) == after else action
    if not may_take(authority, role, holds_order):
        raise Forbidden("lifecycle.forbidden", action=action.value, role=role.value)
    step = STEPS[action]
    if state not in step.moves:
        raise Conflict(
            "lifecycle.illegal",
            action=action.value,
            state=state.value,
            allowed=[a.value for a in allowed_actions(state, role, holds_order)],
        )
    return step.moves[state] or state
