"""The work-order lifecycle and its clocks through the HTTP API (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

import servertime
from db.tables import AuditEntry, WorkOrderEvent
from tests.conftest import run

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # Monday 10:00 in Chengdu

FIELD_CLOSE = {
    "closure_category": "repair",
    "outcome": "resolved",
    "cause": "入户光纤弯折",
    "solution": "重新熔接并更换皮线",
    "result": "网络恢复,客户确认可用",
    "work_done": "熔接光纤一处,更换皮线光缆20米",
    "labour_hours": 1.5,
    "materials": [{"code": "FIBER", "quantity": 20}],
}


def at(minutes: float = 0, seconds: float = 0) -> datetime:
    instant = T0 + timedelta(minutes=minutes, seconds=seconds)
    servertime.travel_to(instant)
    return instant


def clock(order: dict, name: str, index: int = -1) -> dict:
    return [c for c in order["clocks"] if c["name"] == name][index]


def sign(api, username: str, order_id: int, **extra) -> dict:
    strokes = [[[10 + i, 20 + i % 3, i * 16] for i in range(12)], [[40, 30, 0], [60, 45, 30]]]
    return api.step(
        username,
        order_id,
        "sign",
        signer_name="客户本人",
        relation="account_holder",
        strokes=strokes,
        **{"satisfaction": 5, **extra},
    )


def test_repair_from_creation_to_closure_stops_every_clock(api):
    at(0)
    order = api.create(kind="repair")
    assert order["state"] == "new" and order["code"].startswith("GD20261123")
    assert clock(order, "dispatch")["state"] == "running"
    at(4)
    tech = api.world.uid("tech2")
    order = api.step("dispatcher", order["id"], "dispatch", assignee_id=tech)
    assert order["state"] == "dispatched" and order["assignee"]["id"] == tech
    assert order["first_contact_owner"]["name"] == "王调度"
    assert clock(order, "dispatch")["state"] == "met"
    for minute, step, state in [
        (5, "accept", "accepted"),
        (6, "contact", "contacted"),
        (7, "start-travel", "en_route"),
        (30, "arrive", "on_site"),
    ]:
        at(minute)
        assert api.step("tech2", order["id"], step)["state"] == state
    at(60)
    sign(api, "tech2", order["id"])
    closed = api.step("tech2", order["id"], "close", **FIELD_CLOSE)
    assert closed["state"] == "closed" and closed["closure"]["outcome"] == "resolved"
    assert all(c["state"] != "running" for c in closed["clocks"] if c["name"] != "callback")
    assert clock(closed, "callback")["state"] == "running"
    actions = [e["action"] for e in closed["history"]]
    assert actions == [
        "create",
        "dispatch",
        "accept",
        "contact",
        "start_travel",
        "arrive",
        "sign",
        "close",
    ]
    assert [e["seq"] for e in closed["history"]] == list(range(1, 9))
    # The history is append-only in the database itself.
    with pytest.raises(Exception, match="append-only"):
        run(
            WorkOrderEvent.update({WorkOrderEvent.action: "tampered"}).where(
                WorkOrderEvent.work_order == closed["id"]
            )
        )
    with pytest.raises(Exception, match="append-only"):
        run(WorkOrderEvent.delete().where(WorkOrderEvent.work_order == closed["id"]))


@pytest.mark.parametrize("seconds, expected", [(299, "met"), (301, "breached")])
def test_vip_dispatch_clock_is_five_minutes(api, seconds, expected):
    at(0)
    order = api.create(customer_id=api.world.customers["vip"])
    assert order["priority"] == "high"
    at(seconds=seconds)
    order = api.step("dispatcher", order["id"], "dispatch", assignee_id=api.world.uid("tech2"))
    dispatch = clock(order, "dispatch")
    assert dispatch["state"] == expected
    assert dispatch["due"].startswith("2026-11-23T02:05:00")
    assert dispatch["stopped_by_action"] == "dispatch"


@pytest.mark.parametrize("seconds, expected", [(599, "met"), (601, "breached")])
def test_ordinary_dispatch_clock_is_ten_minutes(api, seconds, expected):
    at(0)
    order = api.create()
    at(seconds=seconds)
    order = api.step("dispatcher", order["id"], "dispatch", assignee_id=api.world.uid("tech2"))
    assert clock(order, "dispatch")["state"] == expected


def test_list_filters_orders_at_risk_and_breached(api):
    at(0)
    breached = api.create()
    at(3)
    at_risk = api.create()
    at(4)
    calm = api.create()
    api.step("dispatcher", calm["id"], "dispatch", assignee_id=api.world.uid("tech2"))
    at(11.5)  # first: 11.5 min old (breached); second: 8.5 min old (in the last 20 %)

    def ids(query: str) -> set[int]:
        page = api.get("dispatcher", f"/api/work-orders?{query}").json()
        return {o["id"] for o in page["items"]}

    assert ids("clock=breached") == {breached["id"]}
    assert ids("clock=at_risk") == {at_risk["id"]}
    assert ids("state=new") == {breached["id"], at_risk["id"]}
    assert ids("state=dispatched") == {calm["id"]}


@pytest.mark.parametrize("minutes, expected", [(9.9, "met"), (10.1, "breached")])
def test_urge_starts_a_ten_minute_contact_clock(api, minutes, expected):
    at(0)
    order = api.create()
    api.step("dispatcher", order["id"], "dispatch", assignee_id=api.world.uid("tech2"))
    api.step("tech2", order["id"], "accept")
    at(20)
    urged = api.step("agent", order["id"], "urge")
    assert urged["urge_count"] == 1
    assert clock(urged, "urge_contact")["state"] == "running"
    at(20 + minutes)
    contacted = api.step("tech2", order["id"], "contact")
    assert clock(contacted, "urge_contact")["state"] == expected


def test_flagged_remark_at_creation_starts_contact_clock(api):
    at(0)
    order = api.create(agent_remark="客户家中有老人独居,请务必先电话联系", remark_flagged=True)
    assert order["priority"] == "high"
    assert clock(order, "urge_contact")["due"].startswith("2026-11-23T02:10:00")


@pytest.mark.parametrize("minutes, expected", [(29.9, "met"), (30.1, "breached")])
def test_transfer_within_thirty_minutes_of_previous_result(api, minutes, expected):
    at(0)
    order = api.create(kind="after_sales")
    api.step("dispatcher", order["id"], "dispatch", assignee_id=api.world.uid("backoffice"))
    api.step("backoffice", order["id"], "accept")
    at(40)
    returned = api.step(
        "backoffice", order["id"], "return-result", result="资料已录入,需营业网点补办手续"
    )
    assert returned["state"] == "returned"
    at(40 + minutes)
    transferred = api.step(
        "dispatcher", order["id"], "transfer", assignee_id=api.world.uid("backoffice")
    )
    assert transferred["state"] == "dispatched"
    assert clock(transferred, "transfer")["state"] == expected


def test_late_offline_contact_recomputes_the_contact_clock(api):
    at(0)
    order = api.create(customer_id=api.world.customers["vip"])
    api.step("dispatcher", order["id"], "dispatch", assignee_id=api.world.uid("tech2"))
    api.step("tech2", order["id"], "accept")
    at(40)
    before = api.get("dispatcher", f"/api/work-orders/{order['id']}").json()
    assert clock(before, "contact")["state"] == "breached"
    # The technician called the customer at +20 min in a basement; the phone syncs at +45.
    at(45)
    device_time = (T0 + timedelta(minutes=20)).isoformat()
    after = api.step("tech2", order["id"], "contact", device_time=device_time)
    contact = clock(after, "contact")
    assert contact["state"] == "met"
    assert contact["stopped_at"].startswith("2026-11-23T02:20:00")
    event = after["history"][-1]
    assert event["server_time"].startswith("2026-11-23T02:45:00")
    assert event["device_time"].startswith("2026-11-23T02:20:00") and event["time_flag"] == ""


def test_device_times_out_of_bounds_are_clamped_and_flagged(api):
    at(0)
    order = api.create()
    api.step("dispatcher", order["id"], "dispatch", assignee_id=api.world.uid("tech2"))
    at(5)
    future = api.step(
        "tech2", order["id"], "accept", device_time=(T0 + timedelta(hours=3)).isoformat()
    )
    event = future["history"][-1]
    assert event["time_flag"] == "future" and event["effective_time"].startswith(
        "2026-11-23T02:05:00"
    )
    past = api.step(
        "tech2", order["id"], "contact", device_time=(T0 - timedelta(days=2)).isoformat()
    )
    event = past["history"][-1]
    assert event["time_flag"] == "before_order" and event["effective_time"].startswith(
        "2026-11-23T02:00:00"
    )
    assert event["device_time"].startswith("2026-11-21")  # the device's own claim is kept


def test_send_back_resubmit_and_reject(api):
    at(0)
    order = api.create()
    sent = api.step(
        "dispatcher",
        order["id"],
        "send-back",
        reason_code="wrong_dispatch",
        reason="该地址不在本分公司服务范围",
    )
    assert sent["state"] == "sent_back"
    assert sent["history"][-1]["payload"]["reason"] == "该地址不在本分公司服务范围"
    assert api.step("agent", order["id"], "resubmit")["state"] == "new"
    api.step("dispatcher", order["id"], "dispatch", assignee_id=api.world.uid("tech2"))
    rejected = api.step("tech2", order["id"], "reject", reason="今日已满负荷")
    assert rejected["state"] == "new" and rejected["assignee"] is None
    assert clock(rejected, "redispatch")["state"] == "running"
    # The technician no longer sees it.
    assert api.get("tech2", f"/api/work-orders/{order['id']}").status_code == 404


def test_second_dispatch_after_a_special_fault_and_cannot_proceed(api):
    at(0)
    order = api.create()
    api.step("dispatcher", order["id"], "dispatch", assignee_id=api.world.uid("tech2"))
    api.step("tech2", order["id"], "accept")
    returned = api.step(
        "tech2",
        order["id"],
        "return-result",
        result="楼道分支器损坏,需线路组处理",
        special_fault=True,
    )
    assert returned["state"] == "returned"
    again = api.step("dispatcher", order["id"], "dispatch", assignee_id=api.world.uid("tech2b"))
    assert again["history"][-1]["payload"]["second_dispatch"] is True
    api.step("tech2b", order["id"], "accept")
    unsafe = api.step("tech2b", order["id"], "cannot-proceed", reason="楼顶无护栏,雨天无法安全登高")
    assert unsafe["state"] == "cannot_proceed"
    assert (
        api.step("dispatcher", order["id"], "transfer", assignee_id=api.world.uid("contractor1"))[
            "state"
        ]
        == "dispatched"
    )


def test_appointment_closure_needs_append_and_reopen(api):
    at(0)
    order = api.create()
    api.step("dispatcher", order["id"], "dispatch", assignee_id=api.world.uid("tech2"))
    api.step("tech2", order["id"], "accept")
    closed = api.step(
        "tech2",
        order["id"],
        "close",
        closure_category="repair",
        outcome="appointment",
        cause="客户不在家",
        solution="约定上门时间",
        result="待上门处理",
        appointment_date="2026-11-25",
        appointment_half_day="am",
    )
    assert closed["closure"]["appointment_text"] == "已和用户预约至25号周三(上午)处理"
    assert closed["appointment_at"].startswith("2026-11-25T01:00:00")  # 09:00 in Chengdu
    assert closed["awaiting_append"] is True
    assert not [c for c in closed["clocks"] if c["name"] == "callback"]
    appended = api.step(
        "tech2",
        order["id"],
        "append",
        text="25日上午已上门更换光猫,恢复正常",
        final_outcome="resolved",
    )
    assert appended["state"] == "closed" and appended["awaiting_append"] is False
    reopened = api.step("dispatcher", order["id"], "reopen", reason="客户回访表示仍然断网")
    assert reopened["state"] == "new" and reopened["closure"] is None


def test_phone_guidance_closure_by_dispatcher_needs_no_signature(api):
    at(0)
    order = api.create(kind="consultation", description="咨询宽带套餐资费")
    closed = api.step(
        "dispatcher",
        order["id"],
        "close",
        closure_category="consultation",
        outcome="resolved",
        method="phone_guidance",
        cause="客户咨询提速",
        solution="电话介绍300M套餐",
        result="客户表示考虑后到营业厅办理",
    )
    assert closed["state"] == "closed" and closed["awaiting_append"] is True


def test_waiver_replaces_a_missing_signature_only_when_approved(api):
    at(0)
    order = api.create()
    api.step("dispatcher", order["id"], "dispatch", assignee_id=api.world.uid("tech2"))
    api.step("tech2", order["id"], "accept")
    api.step("tech2", order["id"], "arrive")
    refused = api.post("tech2", f"/api/work-orders/{order['id']}/close", FIELD_CLOSE, lang="en")
    assert refused.status_code == 422
    assert [e["code"] for e in refused.json()["errors"]] == ["closure.signature_required"]
    assert (
        api.post("supervisor", f"/api/work-orders/{order['id']}/approve-waiver").status_code == 409
    )
    api.step("tech2", order["id"], "request-waiver", reason="客户为租户,房东不在场且拒绝代签")
    assert (
        api.post("dispatcher", f"/api/work-orders/{order['id']}/approve-waiver").status_code == 403
    )
    api.step("supervisor", order["id"], "approve-waiver")
    assert api.step("tech2", order["id"], "close", **FIELD_CLOSE)["state"] == "closed"


def test_append_only_after_closure_and_callback_stops_its_clock(api):
    at(0)
    order = api.create(kind="consultation")
    conflict = api.post("dispatcher", f"/api/work-orders/{order['id']}/append", {"text": "补充"})
    assert conflict.status_code == 409 and conflict.json()["current_state"] == "new"
    closed = api.step(
        "dispatcher",
        order["id"],
        "close",
        closure_category="consultation",
        outcome="resolved",
        method="phone_guidance",
        cause="咨询",
        solution="解答",
        result="客户满意",
    )
    called = api.step(
        "agent", order["id"], "callback", reached=True, satisfaction=5, remark="客户满意"
    )
    assert clock(called, "callback")["state"] == "met"
    assert closed["version"] + 1 == called["version"]


def test_dispatch_and_transfer_answers_name_the_new_holder(api):
    """The answer to a dispatch names the person just given the order, not the one before."""
    at(0)
    order = api.create()
    first = api.step("dispatcher", order["id"], "dispatch", assignee_id=api.world.uid("tech2"))
    assert first["assignee"] == {"id": api.world.uid("tech2"), "name": "李维修"}
    api.step("tech2", order["id"], "accept")
    api.step(
        "tech2",
        order["id"],
        "return-result",
        result="楼道分支器损坏,需线路组处理",
        special_fault=True,
    )
    again = api.step("dispatcher", order["id"], "dispatch", assignee_id=api.world.uid("tech2b"))
    assert again["assignee"] == {"id": api.world.uid("tech2b"), "name": "周维修"}
    api.step("tech2b", order["id"], "accept")
    api.step("tech2b", order["id"], "cannot-proceed", reason="楼顶无护栏,雨天无法安全登高")
    moved = api.step("dispatcher", order["id"], "transfer", assignee_id=api.world.uid("tech2"))
    assert moved["assignee"] == {"id": api.world.uid("tech2"), "name": "李维修"}
    rejected = api.step("tech2", order["id"], "reject", reason="不在本人片区")
    assert rejected["assignee"] is None
    assert api.get("dispatcher", f"/api/work-orders/{order['id']}").json()["assignee"] is None


def test_an_agent_finds_the_caller_by_phone_account_or_name_and_opening_the_file_is_audited(api):
    """A caller gives part of a phone number, an account number or a name; the file the agent
    opens is confidential, so each opening is in the audit trail with who opened it."""
    world = api.world

    def found(q: str) -> list[int]:
        answer = api.get("agent", f"/api/customers?q={q}")
        assert answer.status_code == 200, answer.text
        return [c["id"] for c in answer.json()]

    vip = world.customers["vip"]
    assert found("13800000001") == [vip]  # the whole phone number
    assert found("0280000001") == [vip]  # the account number
    assert found("客户vip") == [vip]
    assert found("客户") == sorted(world.customers.values())
    assert found("139") == []
    assert len(api.get("agent", "/api/customers?q=客户&limit=2").json()) == 2

    opened = api.get("agent", f"/api/customers/{vip}")
    assert opened.status_code == 200 and opened.json()["tier"] == "vip"
    reads = run(
        AuditEntry.select(AuditEntry.actor, AuditEntry.actor_role, AuditEntry.target).where(
            AuditEntry.action == "customer.read"
        )
    )
    assert reads == [{"actor": world.uid("agent"), "actor_role": "agent", "target": str(vip)}]
