"""The work-order state machine: which step may follow which, and who may take it.

An action names a step in the manual's words. `transition` answers with the next state or raises:
Forbidden when the role may never take that step, Conflict (naming the current state and the
steps the caller may take) when the order is in the wrong state for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from domain.errors import Conflict, Forbidden
from domain.vocabulary import (
    DISPATCH_ROLES,
    FIELD_ROLES,
    OPEN_STATES,
    ClockName,
    NoticeType,
    Role,
    State,
)

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
class Phone:
    """The technician's part of a step: the mutation a phone pushes for it (sync/mutations.py)
    and the label of its button on the phone (shorter than the history's wording)."""

    mutation: str
    button: tuple[str, str]  # zh-CN, en


@dataclass(frozen=True, kw_only=True)
class Step:
    """One lifecycle step, declared whole: everything else that lists steps is derived from
    these (the state machine, clocks, notifications, sync scope, labels, the phone's copy).
    No part has a default, so a step that forgets one does not load. Its request body is in
    domain/payloads.py BODIES, its effect on the order in services/work_orders/service.py EFFECTS."""

    moves: dict[State, State | None]  # from-state → to-state (None: the state does not change)
    office: frozenset[Role]  # office roles allowed whether or not they hold the order
    handler: bool  # the order's assignee (technician, contractor, back office) may take it
    desk: bool  # a back-office handler holding the order may take it (they never travel or sign)
    label: tuple[str, str]  # zh-CN, en: in histories, messages and the service record
    starts: ClockName | None  # the clock it starts (besides creation's, domain/clocks.py)
    stops: frozenset[ClockName]  # the clocks it stops
    notifies: NoticeType | None  # what the order's holder after the step hears (not its actor)
    loses_access: str | None  # message key: why a technician who held the order no longer does
    phone: Phone | None  # None: not a step a phone takes


def _same(states: frozenset[State] | set[State]) -> dict[State, State | None]:
    return {s: None for s in states}


def _to(states: frozenset[State] | set[State], target: State) -> dict[State, State | None]:
    return {s: target for s in states}


C = ClockName
NONE: frozenset[ClockName] = frozenset()
ASSIGNING_STOPS = frozenset({C.dispatch, C.redispatch, C.transfer})
# Closing, cancelling or sending back ends every open clock but the callback's.
ENDING_STOPS = frozenset(
    {C.dispatch, C.redispatch, C.contact, C.urge_contact, C.transfer, C.complaint_reply}
)
NOBODY: frozenset[Role] = frozenset()

STEPS: dict[Action, Step] = {
    Action.dispatch: Step(
        moves=_to({S.new, S.returned, S.cannot_proceed}, S.dispatched),
        office=DISPATCH_ROLES,
        handler=False,
        desk=False,
        label=("派单", "dispatch"),
        starts=None,
        stops=ASSIGNING_STOPS,
        notifies=NoticeType.assigned,
        loses_access="sync.reassigned",
        phone=None,
    ),
    Action.transfer: Step(
        moves=_to(ASSIGNED | {S.returned, S.cannot_proceed}, S.dispatched),
        office=DISPATCH_ROLES,
        handler=False,
        desk=False,
        label=("转派", "transfer"),
        starts=None,
        stops=ASSIGNING_STOPS,
        notifies=NoticeType.assigned,
        loses_access="sync.reassigned",
        phone=None,
    ),
    Action.accept: Step(
        moves=_to({S.dispatched}, S.accepted),
        office=NOBODY,
        handler=True,
        desk=True,
        label=("接单", "accept"),
        starts=None,
        stops=NONE,
        notifies=None,
        loses_access=None,
        phone=Phone("accept", ("接单", "Accept")),
    ),
    Action.reject: Step(
        moves=_to({S.dispatched}, S.new),
        office=NOBODY,
        handler=True,
        desk=True,
        label=("拒单", "reject"),
        starts=C.redispatch,
        stops=NONE,
        notifies=None,
        loses_access="sync.you_rejected",
        phone=Phone("reject", ("拒单", "Reject")),
    ),
    Action.contact: Step(
        moves={S.accepted: S.contacted, S.contacted: None, S.en_route: None, S.on_site: None},
        office=NOBODY,
        handler=True,
        desk=True,
        label=("联系客户", "contact customer"),
        starts=None,
        stops=frozenset({C.contact, C.urge_contact, C.complaint_reply}),
        notifies=None,
        loses_access=None,
        phone=Phone("contact", ("已联系客户", "Contacted")),
    ),
    Action.start_travel: Step(
        moves=_to({S.accepted, S.contacted}, S.en_route),
        office=NOBODY,
        handler=True,
        desk=False,
        label=("出发", "start travel"),
        starts=None,
        stops=NONE,
        notifies=None,
        loses_access=None,
        phone=Phone("start_travel", ("出发", "En route")),
    ),
    Action.arrive: Step(
        moves=_to({S.accepted, S.contacted, S.en_route}, S.on_site),
        office=NOBODY,
        handler=True,
        desk=False,
        label=("到场", "arrive"),
        starts=None,
        stops=frozenset({C.contact, C.urge_contact}),
        notifies=None,
        loses_access=None,
        phone=Phone("arrive", ("到场", "On site")),
    ),
    Action.return_result: Step(
        moves=_to(WORKING, S.returned),
        office=NOBODY,
        handler=True,
        desk=True,
        label=("回馈处理结果", "return result"),
        starts=C.transfer,
        stops=NONE,
        notifies=None,
        loses_access=None,
        phone=None,
    ),
    Action.request_send_back: Step(
        moves=_to(ASSIGNED, S.returned),
        office=NOBODY,
        handler=True,
        desk=True,
        label=("申请回退", "request send-back"),
        starts=C.transfer,
        stops=NONE,
        notifies=None,
        loses_access=None,
        phone=Phone("request_send_back", ("申请回退", "Ask to send back")),
    ),
    Action.cannot_proceed: Step(
        moves=_to(WORKING, S.cannot_proceed),
        office=NOBODY,
        handler=True,
        desk=False,
        label=("无法施工", "cannot proceed"),
        starts=None,
        stops=NONE,
        notifies=None,
        loses_access=None,
        phone=Phone("cannot_proceed", ("无法施工", "Cannot proceed")),
    ),
    Action.send_back: Step(
        moves=_to({S.new, S.dispatched, S.returned, S.cannot_proceed}, S.sent_back),
        office=DISPATCH_ROLES,
        handler=False,
        desk=False,
        label=("回退", "send back"),
        starts=None,
        stops=ENDING_STOPS,
        notifies=None,
        loses_access="sync.sent_back",
        phone=None,
    ),
    Action.resubmit: Step(
        moves=_to({S.sent_back}, S.new),
        office=CALL_CENTRE,
        handler=False,
        desk=False,
        label=("重新提交", "resubmit"),
        starts=C.redispatch,
        stops=NONE,
        notifies=None,
        loses_access=None,
        phone=None,
    ),
    Action.cancel: Step(
        moves=_to({S.new, S.sent_back, S.dispatched, S.returned, S.cannot_proceed}, S.cancelled),
        office=CALL_CENTRE,
        handler=False,
        desk=False,
        label=("撤销", "cancel"),
        starts=None,
        stops=ENDING_STOPS,
        notifies=None,
        loses_access="sync.cancelled",
        phone=None,
    ),
    Action.close: Step(
        moves=_to(ASSIGNED | {S.new, S.returned, S.cannot_proceed}, S.closed),
        office=DISPATCH_ROLES,
        handler=True,
        desk=True,
        label=("结单", "close"),
        starts=C.callback,
        stops=ENDING_STOPS,
        notifies=None,
        loses_access=None,
        phone=Phone("close", ("结单", "Close")),
    ),
    Action.reopen: Step(
        moves=_to({S.closed}, S.new),
        office=DISPATCH_ROLES,
        handler=False,
        desk=False,
        label=("重启工单", "reopen"),
        starts=C.redispatch,
        stops=frozenset({C.callback}),
        notifies=None,
        loses_access="sync.reopened",
        phone=None,
    ),
    Action.append: Step(
        moves=_same({S.closed}),
        office=DISPATCH_ROLES | {Role.backoffice},
        handler=True,
        desk=True,
        label=("信息追加", "append information"),
        starts=None,
        stops=NONE,
        notifies=None,
        loses_access=None,
        phone=None,
    ),
    Action.urge: Step(
        moves=_same(OPEN_STATES - {S.sent_back}),
        office=CALL_CENTRE,
        handler=False,
        desk=False,
        label=("催单", "urge"),
        starts=C.urge_contact,
        stops=NONE,
        notifies=NoticeType.urged,
        loses_access=None,
        phone=None,
    ),
    Action.flag_remark: Step(
        moves=_same(OPEN_STATES - {S.sent_back}),
        office=CALL_CENTRE,
        handler=False,
        desk=False,
        label=("标注重要备注", "flag remark"),
        starts=C.urge_contact,
        stops=NONE,
        notifies=None,
        loses_access=None,
        phone=None,
    ),
    Action.note: Step(
        moves=_same(frozenset(State)),
        office=OFFICE_READERS,
        handler=True,
        desk=True,
        label=("备注", "note"),
        starts=None,
        stops=NONE,
        notifies=None,
        loses_access=None,
        phone=Phone("add_note", ("备注", "Note")),
    ),
    Action.record_work: Step(
        moves=_same(WORKING),
        office=NOBODY,
        handler=True,
        desk=False,
        label=("登记材料工时", "record materials and labour"),
        starts=None,
        stops=NONE,
        notifies=None,
        loses_access=None,
        phone=Phone("record_work", ("工料登记", "Work & materials")),
    ),
    Action.sign: Step(
        moves=_same(WORKING),
        office=NOBODY,
        handler=True,
        desk=False,
        label=("客户签名", "customer signature"),
        starts=None,
        stops=NONE,
        notifies=None,
        loses_access=None,
        phone=Phone("capture_signature", ("客户签字", "Customer signature")),
    ),
    Action.request_waiver: Step(
        moves=_same(WORKING | {S.returned}),
        office=DISPATCH_ROLES,
        handler=True,
        desk=False,
        label=("申请免签", "request signature waiver"),
        starts=None,
        stops=NONE,
        notifies=None,
        loses_access=None,
        phone=None,
    ),
    Action.approve_waiver: Step(
        moves=_same(WORKING | {S.returned, S.cannot_proceed}),
        office=frozenset({Role.supervisor, Role.admin}),
        handler=False,
        desk=False,
        label=("批准免签", "approve signature waiver"),
        starts=None,
        stops=NONE,
        notifies=None,
        loses_access=None,
        phone=None,
    ),
    Action.callback: Step(
        moves=_same({S.closed}),
        office=OFFICE_READERS,
        handler=False,
        desk=False,
        label=("回访", "callback"),
        starts=None,
        stops=frozenset({C.callback}),
        notifies=None,
        loses_access=None,
        phone=None,
    ),
}
# Creation is not a step on an existing order; its label is the one name outside STEPS.
CREATE_LABEL = ("新建", "create")

# A step that follows from another in the same transaction, on that step's authority: a customer
# dissatisfied at the callback reopens the order (§2.1.3 B e), whoever recorded the callback.
FOLLOWS: dict[Action, Action] = {Action.reopen: Action.callback}

# The steps a phone takes, by mutation name.
PHONE_STEPS: dict[str, Action] = {
    step.phone.mutation: action for action, step in STEPS.items() if step.phone
}


@dataclass(frozen=True)
class ReadScope:
    """The orders a person may read: every one, or those they hold and (back office) those their
    team holds. The one rule behind an order's detail, the order list and its photos."""

    holder: int | None  # None: every order
    team: int | None = None

    def covers(self, assignee: int | None, team: int | None) -> bool:
        return (
            self.holder is None
            or assignee == self.holder
            or (self.team is not None and team == self.team)
        )


def read_scope(role: Role, user_id: int, team_id: int | None) -> ReadScope:
    """Technicians and contractors see only what they hold; back office what its team holds too."""
    if role in FIELD_ROLES:
        return ReadScope(user_id)
    if role == Role.backoffice:
        return ReadScope(user_id, team_id)
    return ReadScope(None)


def may_take(action: Action, role: Role, holds_order: bool) -> bool:
    """Whether this role may ever take this step on an order (ignoring its state)."""
    step = STEPS.get(action)
    if step is None:  # creation is not a step on an existing order
        return False
    if role in step.office:
        return True
    if step.handler and holds_order and role in HANDLERS:
        return role in FIELD_ROLES or step.desk
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
