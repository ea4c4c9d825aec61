"""The step spec (domain/lifecycle.py STEPS): every step declares every part, what is derived from
it agrees with it, and the phone (static/pwa/src/local.js, closure.js) plays exactly the server's
spec as the sync pull hands it over."""

from __future__ import annotations

import dataclasses
import json
import subprocess
from pathlib import Path

import pytest

from domain import closure
from domain.clocks import STARTERS, STOPPERS
from domain.lifecycle import PHONE_STEPS, STEPS, Action, Step, may_take
from domain.messages import ACTION_NAMES, MESSAGES
from domain.vocabulary import FIELD_KINDS, ClockName, Role, State
from services.work_orders.service import STEP_HANDLING
from sync.mutations import MUTATIONS
from sync.protocol import LOSING_STEPS

ROOT = Path(__file__).resolve().parent.parent


def test_a_step_that_leaves_out_a_part_does_not_load():
    assert all(
        f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        for f in dataclasses.fields(Step)
    ), "no part of a step has a default"
    parts = {f.name: None for f in dataclasses.fields(Step)}
    del parts["label"]
    with pytest.raises(TypeError, match="label"):
        Step(**parts)


def test_every_step_declares_every_part():
    assert set(STEPS) == set(Action) - {Action.create}
    assert set(STEP_HANDLING) == set(STEPS), "every step has a request body and an effect"
    for action, step in STEPS.items():
        assert step.moves, action
        assert step.office or step.handler, f"{action}: somebody may take it"
        assert not step.desk or step.handler, f"{action}: a desk step is a handler step"
        assert all(step.label) and all(step.phone.button if step.phone else ("-",)), action
        assert step.loses_access is None or step.loses_access in MESSAGES, action
        assert not (step.starts and step.starts in step.stops), action


def test_the_tables_derived_from_the_spec_agree_with_it():
    assert ACTION_NAMES["dispatch"] == ("派单", "dispatch") and set(ACTION_NAMES) == {
        a.value for a in Action
    }
    assert LOSING_STEPS == {
        Action.dispatch: "sync.reassigned",
        Action.transfer: "sync.reassigned",
        Action.reject: "sync.you_rejected",
        Action.send_back: "sync.sent_back",
        Action.cancel: "sync.cancelled",
        Action.reopen: "sync.reopened",
    }
    # Every clock ends somehow, and the callback clock only by a callback or a reopening.
    assert all(STOPPERS[name] for name in ClockName)
    assert STOPPERS[ClockName.callback] == {Action.callback, Action.reopen}
    assert STARTERS[Action.close] == ClockName.callback
    # A phone's mutation runs its step with the step's own body.
    assert set(MUTATIONS) == set(PHONE_STEPS) | {"attach_photo", "call_customer"}
    for name, action in PHONE_STEPS.items():
        assert MUTATIONS[name].body is STEP_HANDLING[action].body
        assert may_take(action, Role.technician, holds_order=True), f"a technician takes {name}"


NODE_CHECK = r"""
const store = new Map();
globalThis.localStorage = { getItem: (k) => store.get(k) ?? null, setItem: (k, v) => store.set(k, String(v)) };
const local = await import(process.argv[1]);
const input = JSON.parse(await new Promise((ok) => { let s = ""; process.stdin.on("data", (d) => s += d); process.stdin.on("end", () => ok(s)); }));
local.learnTechnician(input.technician);
const allowed = {}, after = {};
for (const name of input.names) for (const state of input.states) {
  allowed[`${name} ${state}`] = local.allowed(name, state) && local.TECH_ACTIONS.includes(name);
  after[`${name} ${state}`] = local.view({ id: 1, state }, [{ id: 1, orderId: 1, name, args: {} }]).state;
}
process.stdout.write(JSON.stringify({ allowed, after, actions: local.TECH_ACTIONS,
  label: local.stepLabel("contact", "zh-CN"), closure: local.technician().closure }));
"""


def test_the_phone_plays_the_servers_spec_as_pulled(api):
    """local.js, given the reference data of a real pull, allows a technician exactly the steps the
    server's state machine allows in each state, and moves the order where the server would."""
    api.step("dispatcher", api.create()["id"], "dispatch", assignee_id=api.world.uid("tech2"))
    pulled = api.client.get(
        "/api/sync/pull", params={"client_id": "spec-check"}, headers=api.headers("tech2")
    ).json()
    technician = pulled["reference"]["technician"]
    names = [*MUTATIONS, "unknown_step"]
    states = [s.value for s in State]
    answer = subprocess.run(
        [
            "node",
            "--input-type=module",
            "-e",
            NODE_CHECK,
            (ROOT / "static/pwa/src/local.js").as_uri(),
        ],
        input=json.dumps({"technician": technician, "names": names, "states": states}),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    phone = json.loads(answer.stdout)
    for name in names:
        action = PHONE_STEPS.get(name)
        for state in State:
            server = (
                action is not None
                and state in STEPS[action].moves
                and may_take(action, Role.technician, True)
            )
            assert phone["allowed"][f"{name} {state.value}"] == server, (name, state)
            if server:
                assert (
                    phone["after"][f"{name} {state.value}"]
                    == (STEPS[action].moves[state] or state).value
                )
    assert phone["actions"] == list(PHONE_STEPS)
    assert phone["label"] == STEPS[Action.contact].phone.button[0]
    assert phone["closure"] == {
        "required": list(closure.REQUIRED_PARTS),
        "field_work": list(closure.FIELD_WORK_PARTS),
        "field_kinds": sorted(FIELD_KINDS),
        "detailed_remark_min": closure.DETAILED_REMARK_MIN_CHARS,
    }
