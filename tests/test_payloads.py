"""Event payloads (domain/payloads.py): one struct per action, read from the stored JSON and
written back as the same JSON, tolerant of rows written before a field existed."""

import msgspec
import pytest

from domain import payloads
from domain.lifecycle import Action

ASSIGNED = {"assignee_name": "周俊", "team_id": 3, "team_name": "一班", "routing_overridden": False}
CLOSURE = {
    "closure_category": "repair",
    "outcome": "appointment",
    "cause": "光衰过大",
    "solution": "更换皮线",
    "result": "恢复",
    "method": "on_site",
    "remark": "",
    "appointment_date": "2026-12-05",
    "appointment_half_day": "am",
    "work_done": "熔接",
    "labour_hours": 1.5,
    "materials": [{"code": "FIBER", "quantity": 20.0}],
    "device_swaps": [{"device": "光猫", "old_serial": "A1", "new_serial": "B2"}],
}
# Each action's payload as the steps store it (work_order_event.payload).
STORED: dict[Action, dict] = {
    Action.create: {
        "kind": "repair",
        "source": "call_centre",
        "customer_id": 7,
        "description": "无信号",
        "community_id": None,
        "road_id": None,
        "address": None,
        "contact_name": None,
        "contact_phone": "13800000000",
        "agent_remark": "",
        "remark_flagged": False,
        "appointment_at": "2026-12-05T02:00:00Z",
        "clock_class": "vip",
        "code": "GD20261204000001",
    },
    Action.dispatch: {
        "note": "先联系",
        "assignee_id": 9,
        "override_reason": None,
        **ASSIGNED,
        "second_dispatch": True,
    },
    Action.transfer: {
        "assignee_id": 9,
        "override_reason": "支援",
        "reason": "",
        **ASSIGNED,
        "from_assignee_id": 8,
    },
    Action.accept: {},
    Action.reject: {"reason": "不在区域", "from_assignee_id": 9},
    Action.contact: {"note": "已约"},
    Action.start_travel: {},
    Action.arrive: {},
    Action.return_result: {"result": "需二次派单", "special_fault": True},
    Action.request_send_back: {"reason": "地址错误"},
    Action.cannot_proceed: {"reason": "高空作业无保护"},
    Action.send_back: {"reason_code": "duplicate", "reason": "重复单", "from_assignee_id": None},
    Action.resubmit: {},
    Action.cancel: {"reason": "客户取消", "from_assignee_id": 9},
    Action.close: CLOSURE,
    Action.reopen: {"reason": "仍断网", "after": "callback"},
    Action.append: {"text": "次日恢复", "final_outcome": "resolved"},
    Action.urge: {"urge_count": 2},
    Action.flag_remark: {"remark": "客户发烧在家", "flagged": True},
    Action.note: {"text": "缺配件"},
    Action.record_work: {
        "work_done": "更换分支器",
        "labour_hours": None,
        "materials": [{"code": "SPLIT", "quantity": 1.0}],
    },
    Action.sign: {
        "signer_name": "王芳",
        "relation": "family",
        "strokes": [[[1.0, 2.0, 0], [30.0, 40.0, 120]]],
        "satisfaction": 5,
        "comment": "",
        "record_sha256": "ab" * 32,
        "record_version": 1,
    },
    Action.request_waiver: {"reason": "客户不在"},
    Action.approve_waiver: {"request_seq": 6, "reason": "客户不在"},
    Action.callback: {"reached": True, "satisfaction": 2, "remark": "不满意"},
}


def test_every_action_has_a_payload_struct():
    assert set(payloads.PAYLOADS) == set(Action) == set(STORED)


@pytest.mark.parametrize("action", list(Action))
def test_a_stored_payload_reads_and_writes_back_as_the_same_json(action: Action):
    said = payloads.read(action, STORED[action])
    assert isinstance(said, payloads.PAYLOADS[action])
    assert msgspec.json.decode(msgspec.json.encode(payloads.stored(said))) == STORED[action]


def test_a_payload_is_read_by_attribute_and_a_misspelt_one_is_an_error():
    closed = payloads.read(Action.close, CLOSURE)
    assert closed.outcome == "appointment" and closed.materials[0].quantity == 20.0
    with pytest.raises(AttributeError):
        _ = closed.outcom


def test_rows_written_before_read_with_defaults_and_lose_unknown_keys():
    old = payloads.read(Action.dispatch, {"assignee_id": 9, "retired_key": 1})
    assert (old.assignee_name, old.team_id, old.second_dispatch) == ("", None, False)
    assert payloads.read(Action.create, {"kind": "repair"}).clock_class == "normal"
    assert "retired_key" not in payloads.stored(old)


def test_bounds_bind_requests_not_history():
    """A rule tightened later (blank reasons refused) leaves older orders readable."""
    assert payloads.read(Action.reject, {"reason": "   "}).reason == "   "


def test_a_step_records_its_body_without_device_time_or_an_empty_note():
    body = payloads.BODIES[Action.reopen](reason="仍断网", note="")
    said = payloads.recorded(Action.reopen, body, payloads.Followed(after=Action.callback))
    assert payloads.stored(said) == {"reason": "仍断网", "after": "callback"}
