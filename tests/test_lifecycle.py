"""The work-order state machine (domain/lifecycle.py): who may take which step, from which state.

Pure tests: no database. `take(state, action, role, holds)` wraps `transition`.
"""

from __future__ import annotations

from itertools import product

import pytest

from domain.errors import Conflict, Forbidden
from domain.lifecycle import STEPS, Action, allowed_actions, transition
from domain.vocabulary import Role, State

A, S, R = Action, State, Role
HOLDS, NOT_HOLDING = True, False

# Who takes a step, written from the dispatch manual rather than derived from STEPS.
DISPATCHER = (R.dispatcher, NOT_HOLDING)
SUPERVISOR = (R.supervisor, NOT_HOLDING)
AGENT = (R.agent, NOT_HOLDING)
TECHNICIAN = (R.technician, HOLDS)
CONTRACTOR = (R.contractor, HOLDS)
BACKOFFICE = (R.backoffice, HOLDS)

NEVER_CONTRACTOR = [A.dispatch, A.transfer, A.send_back, A.reopen, A.approve_waiver]
FIELD_STEPS = [A.start_travel, A.arrive, A.sign]
HANDLER_STEPS = [
    A.accept,
    A.reject,
    A.contact,
    A.start_travel,
    A.arrive,
    A.return_result,
    A.request_send_back,
    A.cannot_proceed,
    A.close,
    A.append,
    A.sign,
    A.request_waiver,
]


def take(state: State, action: Action, who: tuple[Role, bool]) -> State:
    role, holds = who
    return transition(state, action, role, holds)


def walk(start: State, *steps: tuple[Action, tuple[Role, bool]]) -> list[State]:
    """The states visited by taking `steps` in turn from `start`."""
    states = [start]
    for action, who in steps:
        states.append(take(states[-1], action, who))
    return states


def conflict_of(state: State, action: Action, who: tuple[Role, bool]) -> Conflict:
    with pytest.raises(Conflict) as caught:
        take(state, action, who)
    return caught.value


# ---------------------------------------------------------------------------------------------
# paths through the lifecycle


@pytest.mark.parametrize("field", [TECHNICIAN, CONTRACTOR])
def test_happy_path_from_creation_to_closure(field):
    assert walk(
        S.new,
        (A.dispatch, DISPATCHER),
        (A.accept, field),
        (A.contact, field),
        (A.start_travel, field),
        (A.arrive, field),
        (A.sign, field),
        (A.close, field),
    ) == [S.new, S.dispatched, S.accepted, S.contacted, S.en_route, S.on_site, S.on_site, S.closed]


def test_back_office_handler_works_a_desk_order_to_closure():
    assert walk(
        S.new,
        (A.dispatch, DISPATCHER),
        (A.accept, BACKOFFICE),
        (A.contact, BACKOFFICE),
        (A.close, BACKOFFICE),
        (A.append, BACKOFFICE),
    ) == [S.new, S.dispatched, S.accepted, S.contacted, S.closed, S.closed]


def test_technician_may_go_straight_on_site_without_travelling_or_calling():
    assert take(S.accepted, A.arrive, TECHNICIAN) == S.on_site
    assert take(S.accepted, A.start_travel, TECHNICIAN) == S.en_route


def test_contacting_again_later_keeps_the_state():
    for state in (S.contacted, S.en_route, S.on_site):
        assert take(state, A.contact, TECHNICIAN) == state


@pytest.mark.parametrize("state", [S.dispatched, S.accepted, S.contacted, S.en_route, S.on_site])
def test_dispatcher_transfers_an_assigned_order(state):
    assert take(state, A.transfer, DISPATCHER) == S.dispatched


def test_assignee_rejects_a_dispatched_order_back_to_the_pool():
    assert take(S.dispatched, A.reject, TECHNICIAN) == S.new
    assert conflict_of(S.accepted, A.reject, TECHNICIAN).params["state"] == "accepted"


def test_returned_result_then_second_dispatch():
    assert walk(
        S.new,
        (A.dispatch, DISPATCHER),
        (A.accept, TECHNICIAN),
        (A.arrive, TECHNICIAN),
        (A.return_result, TECHNICIAN),
        (A.dispatch, DISPATCHER),
        (A.accept, CONTRACTOR),
    ) == [S.new, S.dispatched, S.accepted, S.on_site, S.returned, S.dispatched, S.accepted]


def test_unsafe_work_can_be_refused_and_redispatched():
    assert walk(
        S.on_site,
        (A.cannot_proceed, TECHNICIAN),
        (A.approve_waiver, SUPERVISOR),
        (A.dispatch, DISPATCHER),
    ) == [S.on_site, S.cannot_proceed, S.cannot_proceed, S.dispatched]


def test_send_back_to_the_call_centre_and_resubmit():
    assert walk(
        S.dispatched, (A.send_back, DISPATCHER), (A.resubmit, AGENT), (A.dispatch, DISPATCHER)
    ) == [S.dispatched, S.sent_back, S.new, S.dispatched]


def test_technician_asks_for_a_send_back_but_only_dispatch_sends_back():
    assert take(S.accepted, A.request_send_back, TECHNICIAN) == S.returned
    for who in (TECHNICIAN, CONTRACTOR, BACKOFFICE, AGENT):
        with pytest.raises(Forbidden):
            take(S.returned, A.send_back, who)
    assert take(S.returned, A.send_back, DISPATCHER) == S.sent_back


def test_reopen_an_unsatisfied_customer_s_order():
    assert take(S.closed, A.reopen, DISPATCHER) == S.new
    assert take(S.closed, A.reopen, SUPERVISOR) == S.new
    with pytest.raises(Forbidden):
        take(S.closed, A.reopen, TECHNICIAN)


def test_a_dissatisfied_callback_reopens_on_the_callback_s_authority():
    """The agent who records the callback may not reopen on their own, but the reopen that follows
    from a dissatisfied callback is taken on the callback's authority (§2.1.3 B e)."""
    with pytest.raises(Forbidden):
        take(S.closed, A.reopen, AGENT)
    assert transition(S.closed, A.reopen, R.agent, False, after=A.callback) == S.new
    # The authority reaches no other step, and the state machine still decides.
    with pytest.raises(Forbidden):
        transition(S.new, A.dispatch, R.agent, False, after=A.callback)
    with pytest.raises(Forbidden):
        transition(S.closed, A.reopen, R.agent, False, after=A.append)
    with pytest.raises(Forbidden):
        transition(S.closed, A.reopen, R.technician, True, after=A.callback)
    with pytest.raises(Conflict):
        transition(S.new, A.reopen, R.agent, False, after=A.callback)


@pytest.mark.parametrize("state", sorted(set(State) - {S.closed}))
def test_information_append_only_after_closure(state):
    conflict = conflict_of(state, A.append, DISPATCHER)
    assert conflict.params["state"] == state.value
    assert take(S.closed, A.append, DISPATCHER) == S.closed


def test_callback_is_recorded_only_on_a_closed_order():
    assert take(S.closed, A.callback, AGENT) == S.closed
    assert conflict_of(S.on_site, A.callback, AGENT).params["state"] == "on_site"


def test_closed_orders_can_no_longer_be_worked_in_the_field():
    for action in (A.contact, A.arrive, A.sign, A.close, A.return_result):
        conflict_of(S.closed, action, TECHNICIAN)


def test_cancelled_is_final():
    for state in (S.new, S.sent_back, S.dispatched, S.returned, S.cannot_proceed):
        assert take(state, A.cancel, AGENT) == S.cancelled
    for action in (A.dispatch, A.reopen, A.resubmit, A.cancel, A.urge):
        conflict_of(S.cancelled, action, DISPATCHER)


def test_urging_a_sent_back_order_is_refused():
    conflict_of(S.sent_back, A.urge, AGENT)
    assert take(S.on_site, A.urge, AGENT) == S.on_site


# ---------------------------------------------------------------------------------------------
# the Conflict names the current state and what this caller may do instead


def test_illegal_step_names_the_state_and_the_callers_next_steps():
    conflict = conflict_of(S.on_site, A.accept, TECHNICIAN)
    assert conflict.key == "lifecycle.illegal"
    assert conflict.status == 409
    assert conflict.params["state"] == "on_site"
    assert conflict.params["action"] == "accept"
    assert set(conflict.params["allowed"]) == {
        "contact",
        "return_result",
        "request_send_back",
        "cannot_proceed",
        "close",
        "note",
        "sign",
        "request_waiver",
        "record_work",
    }


def test_allowed_steps_depend_on_who_asks():
    dispatcher = conflict_of(S.closed, A.dispatch, DISPATCHER).params["allowed"]
    assert set(dispatcher) == {"reopen", "append", "note", "callback"}
    agent = conflict_of(S.closed, A.resubmit, AGENT).params["allowed"]
    assert set(agent) == {"note", "callback"}


def test_allowed_steps_are_plain_strings_for_the_problem_response():
    allowed = conflict_of(S.on_site, A.dispatch, DISPATCHER).params["allowed"]
    assert allowed and all(type(a) is str for a in allowed)


def test_forbidden_names_the_action_and_role():
    with pytest.raises(Forbidden) as caught:
        take(S.new, A.dispatch, CONTRACTOR)
    assert caught.value.key == "lifecycle.forbidden"
    assert caught.value.status == 403
    assert caught.value.params == {"action": "dispatch", "role": "contractor"}


# ---------------------------------------------------------------------------------------------
# roles, over every state


@pytest.mark.parametrize("holds", [True, False])
@pytest.mark.parametrize("action", NEVER_CONTRACTOR)
def test_a_contractor_never_acts_as_a_dispatcher(action, holds):
    """§2.1.4 A: contractor staff work orders but never dispatch, transfer, send back, reopen
    or approve a waiver — in any state, holding the order or not."""
    for state in State:
        with pytest.raises(Forbidden):
            transition(state, action, R.contractor, holds)
        assert action not in allowed_actions(state, R.contractor, holds)


@pytest.mark.parametrize("role", [R.technician, R.contractor])
def test_a_field_worker_who_does_not_hold_the_order_can_do_nothing_with_it(role):
    for state, action in product(State, STEPS):
        with pytest.raises(Forbidden):
            transition(state, action, role, False)
    assert all(allowed_actions(state, role, False) == [] for state in State)


@pytest.mark.parametrize("action", sorted(set(HANDLER_STEPS) - {A.append}))
def test_a_back_office_handler_not_holding_the_order_takes_no_handler_step(action):
    """(Appending information to a closed order is back-office desk work on any order.)"""
    for state in State:
        assert action not in allowed_actions(state, R.backoffice, False)


@pytest.mark.parametrize("action", FIELD_STEPS)
def test_a_back_office_handler_never_takes_field_steps(action):
    for state in State:
        with pytest.raises(Forbidden):
            transition(state, action, R.backoffice, True)


@pytest.mark.parametrize(
    "action", [A.accept, A.contact, A.start_travel, A.arrive, A.sign, A.cannot_proceed]
)
def test_office_staff_do_not_do_the_assignee_s_work(action):
    for role, state in product([R.dispatcher, R.agent, R.supervisor], State):
        with pytest.raises(Forbidden):
            transition(state, action, role, False)


@pytest.mark.parametrize(
    "action", [A.dispatch, A.transfer, A.send_back, A.reopen, A.approve_waiver]
)
def test_agents_and_field_workers_cannot_take_dispatch_steps(action):
    for role, state, holds in product([R.agent, R.technician, R.backoffice], State, [True, False]):
        with pytest.raises(Forbidden):
            transition(state, action, role, holds)


def test_only_supervisors_and_admins_approve_waivers():
    approvers = {
        role
        for role in Role
        if any(
            A.approve_waiver in allowed_actions(state, role, holds)
            for state, holds in product(State, [True, False])
        )
    }
    assert approvers == {R.supervisor, R.admin}


def test_every_transition_either_moves_or_refuses_consistently():
    """For every (state, action, role, holds): `transition` returns a State only for a step the
    caller may take from that state; otherwise Forbidden (never allowed to this caller) or
    Conflict (allowed elsewhere, not from here), the Conflict listing exactly the steps it may
    take from here."""
    for state, action, role, holds in product(State, STEPS, Role, [True, False]):
        here = allowed_actions(state, role, holds)
        anywhere = {a for s in State for a in allowed_actions(s, role, holds)}
        try:
            result = transition(state, action, role, holds)
        except Forbidden:
            assert action not in anywhere, (state, action, role, holds)
        except Conflict as conflict:
            assert action in anywhere and action not in here, (state, action, role, holds)
            assert conflict.params["state"] == state.value
            assert conflict.params["allowed"] == [a.value for a in here]
        else:
            assert isinstance(result, State)
            assert action in here, (state, action, role, holds)
            if role == R.contractor:
                assert action not in NEVER_CONTRACTOR
            if role == R.backoffice:
                assert action not in FIELD_STEPS
            if not holds and role in (R.technician, R.contractor):
                pytest.fail(f"{role} not holding the order took {action} in {state}")


def test_terminal_and_closed_states_change_only_by_reopen():
    for action, role, holds in product(STEPS, Role, [True, False]):
        for state in (S.closed, S.cancelled):
            try:
                result = transition(state, action, role, holds)
            except (Forbidden, Conflict):
                continue
            expected = S.new if (state == S.closed and action == A.reopen) else state
            assert result == expected, (state, action, role)
