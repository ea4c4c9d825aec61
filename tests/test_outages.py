"""Area outages: detection at its thresholds (pure and through order creation), fault and
restoration notices with their required elements, linked orders grouped, informed and closed."""

from __future__ import annotations

from datetime import timedelta
from itertools import combinations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from db.dispatch_tables import Outage, OutageNotice
from db.push_tables import PushOutbox, PushSubscription
from db.tables import AuditEntry, Customer, WorkOrderEvent
from domain import outages as rules
from tests.conftest import run
from tests.test_work_orders import T0, at

# ---- detection, pure ------------------------------------------------------------------------

AREA, COMMUNITY, ROAD = 1, 10, 20


def report(
    id_: int,
    minute: float,
    kind="repair",
    network="two_way",
    community=COMMUNITY,
    road=ROAD,
    area=AREA,
):
    return rules.Report(id_, kind, network, area, community, road, T0 + timedelta(minutes=minute))


def feed(minutes: list[float], policy=rules.DEFAULT_DETECTION, **fields) -> list[rules.Suspicion]:
    """Raise orders at these minutes, one after another, as the service does."""
    found, earlier = [], []
    for i, minute in enumerate(minutes, start=1):
        new = report(i, minute, **fields)
        if (suspicion := rules.detect(new, earlier, policy)) is not None:
            found.append(suspicion)
        earlier.append(new)
    return found


@pytest.mark.parametrize(
    "minutes, alerts",
    [
        ([0, 10, 30], True),  # three within exactly 30 minutes
        ([0, 29], False),  # two are not an outage
        ([0, 15, 31], False),  # three spread over 31 minutes
        ([0, 0, 0], True),
        ([0, 15, 31, 40], True),  # 15, 31 and 40 are within 25 minutes
    ],
)
def test_three_similar_orders_within_thirty_minutes_make_an_outage(minutes, alerts):
    assert bool(feed(minutes)) is alerts


def test_only_similar_orders_count():
    new = report(3, 20)
    assert rules.detect(new, [report(1, 0), report(2, 10)], rules.DEFAULT_DETECTION) is not None
    assert (
        rules.detect(new, [report(1, 0), report(2, 10, network="one_way")], rules.DEFAULT_DETECTION)
        is None
    )
    assert (
        rules.detect(new, [report(1, 0), report(2, 10, kind="install")], rules.DEFAULT_DETECTION)
        is None
    )
    assert rules.detect(new, [report(1, 0), report(2, 10, area=2)], rules.DEFAULT_DETECTION) is None
    assert (
        rules.detect(
            report(3, 20, kind="install"),
            [report(1, 0, kind="install"), report(2, 10, kind="install")],
            rules.DEFAULT_DETECTION,
        )
        is None
    )


def test_the_narrowest_place_holding_enough_orders_names_the_outage():
    policy = rules.DEFAULT_DETECTION
    same_community = rules.detect(report(3, 20), [report(1, 0), report(2, 10, road=21)], policy)
    assert same_community.place == rules.Place(rules.Scope.community, COMMUNITY)
    assert same_community.orders == (1, 2, 3)
    same_road = rules.detect(
        report(3, 20), [report(1, 0, community=11), report(2, 10, community=None)], policy
    )
    assert same_road.place == rules.Place(rules.Scope.road, ROAD)
    only_area = rules.detect(
        report(3, 20), [report(1, 0, community=11, road=21), report(2, 10, community=12)], policy
    )
    assert only_area.place == rules.Place(rules.Scope.area, AREA)


@settings(max_examples=300, deadline=None)
@given(
    gaps=st.lists(st.integers(min_value=0, max_value=40), min_size=1, max_size=9),
    n=st.integers(min_value=2, max_value=4),
    t=st.integers(min_value=1, max_value=45),
)
def test_an_alert_comes_exactly_when_n_orders_lie_within_t_minutes(gaps, n, t):
    minutes = [sum(gaps[: i + 1]) for i in range(len(gaps))]
    expected = any(c[-1] - c[0] <= t for c in combinations(minutes, n))
    assert bool(feed(minutes, rules.DetectionPolicy(n, t))) is expected


def test_a_fault_notice_names_every_missing_element():
    empty = rules.FaultNotice("", "", " ", "", None, "")
    keys = [i.key for i in rules.fault_notice_issues(empty, T0)]
    assert keys == [
        "outage.missing_location",
        "outage.missing_cause",
        "outage.missing_affected_scope",
        "outage.missing_estimated_restoration",
        "outage.missing_explanation",
    ]
    past = rules.FaultNotice("", "春熙路", "光缆被挖断", "锦华苑", T0, "正在抢修")
    assert [i.key for i in rules.fault_notice_issues(past, T0)] == ["outage.estimate_in_past"]
    assert rules.fault_notice_issues(past, T0 - timedelta(seconds=1)) == []


# ---- through the API ------------------------------------------------------------------------

NOTICE = {
    "reporter": "网络部 李工",
    "location": "锦江区春熙路锦华苑光节点",
    "cause": "市政施工挖断主干光缆",
    "affected_scope": "锦华苑全部楼栋的宽带及数字电视",
    "explanation": "您所在小区因市政施工光缆被挖断,正在全力抢修,预计今天下午恢复,给您带来不便敬请谅解。",
}


def three_repairs(api, minutes=(0, 10, 20)) -> list[dict]:
    created = []
    for minute in minutes:
        at(minute)
        created.append(api.create(kind="repair"))
    return created


def outages(api, username="dispatcher", query="") -> list[dict]:
    response = api.get(username, f"/api/outages{query}")
    assert response.status_code == 200, response.text
    return response.json()


def publish(
    api, outage_id: int, expect: int = 201, username="dispatcher", lang=None, **fields
) -> dict:
    body = {**NOTICE, "estimated_restoration": (T0 + timedelta(hours=6)).isoformat(), **fields}
    response = api.post(username, f"/api/outages/{outage_id}/notices", body, lang=lang)
    assert response.status_code == expect, response.text
    return response.json()


def test_the_third_repair_within_thirty_minutes_alerts_the_dispatcher(api):
    orders = three_repairs(api, (0, 10, 29))
    assert orders[0]["outage"] is None and orders[1]["outage"] is None
    assert (
        orders[2]["outage"]["status"] == "suspected" and orders[2]["outage"]["explanation"] is None
    )
    [outage] = outages(api)
    assert outage["status"] == "suspected" and outage["orders"] == 3 and outage["open_orders"] == 3
    assert outage["scope"] == "community" and outage["place"]["name"] == "锦华苑"
    assert outage["area"]["name"] == "锦江片区" and outage["network"] == "two_way"
    detail = api.get("dispatcher", f"/api/outages/{outage['id']}").json()
    assert [o["id"] for o in detail["linked"]] == [o["id"] for o in orders]
    assert all(o["linked_by"] is None for o in detail["linked"])  # linked by detection
    assert detail["allowed_steps"] == ["confirm", "publish", "dismiss"]
    # A fourth similar order joins it rather than starting another.
    at(40)
    fourth = api.create(kind="repair")
    assert fourth["outage"]["id"] == outage["id"]
    assert outages(api)[0]["orders"] == 4 and len(outages(api)) == 1
    audit = run(
        AuditEntry.select(AuditEntry.action, AuditEntry.actor).where(
            AuditEntry.target == f"outage/{outage['id']}"
        )
    )
    assert [a["action"] for a in audit] == ["outage.suspected", "outage.orders_linked"]


def test_three_repairs_over_thirty_one_minutes_or_two_do_not(api):
    three_repairs(api, (0, 15, 31))
    assert outages(api) == []
    at(32)
    api.create(kind="install")  # not a repair
    at(33)
    api.create(kind="repair", customer_id=api.world.customers["one_way"])  # another network
    assert outages(api) == []


def test_who_reads_and_who_acts(api):
    three_repairs(api)
    outage_id = outages(api)[0]["id"]
    assert len(outages(api, "agent")) == 1
    assert api.get("tech2", "/api/outages").status_code == 403
    assert api.get("contractor1", f"/api/outages/{outage_id}").status_code == 403
    for username in ("agent", "tech2"):
        assert api.post(username, f"/api/outages/{outage_id}/confirm", {}).status_code == 403
        publish(api, outage_id, expect=403, username=username)
    assert (
        api.post(
            "supervisor", f"/api/outages/{outage_id}/confirm", {"note": "班组已到现场确认"}
        ).status_code
        == 200
    )


def test_a_supervisor_sets_the_detection_thresholds(api):
    at(0)
    assert api.get("dispatcher", "/api/policies/outage-detection").json()[0] | {
        "effective_from": None
    } == {"orders": 3, "minutes": 30, "effective_from": None, "updated_by": None}
    assert (
        api.post(
            "dispatcher", "/api/policies/outage-detection", {"orders": 2, "minutes": 10}
        ).status_code
        == 403
    )
    assert (
        api.post(
            "supervisor", "/api/policies/outage-detection", {"orders": 1, "minutes": 10}
        ).status_code
        == 400
    )
    response = api.post(
        "supervisor", "/api/policies/outage-detection", {"orders": 2, "minutes": 10}
    )
    assert response.status_code == 201, response.text
    at(1)
    api.create(kind="repair")
    at(11)
    assert api.create(kind="repair")["outage"]["status"] == "suspected"
    history = api.get("dispatcher", "/api/policies/outage-detection?history=true").json()
    assert [(p["orders"], p["minutes"]) for p in history] == [(3, 30), (2, 10)]
    audit = run(AuditEntry.select().where(AuditEntry.action == "policy.outage_detection"))
    assert audit[0]["actor"] == api.world.uid("supervisor")


@pytest.mark.parametrize(
    "lang, texts",
    [
        (
            "zh-CN",
            [
                "请填写故障地点。",
                "请填写统一解释口径(坐席向用户解释的统一说法)。",
                "请填写预计恢复时间。",
            ],
        ),
        (
            "en",
            [
                "The location of the fault is missing.",
                "The unified explanation (what every agent tells callers) is missing.",
            ],
        ),
    ],
)
def test_a_notice_without_its_elements_is_refused_and_changes_nothing(api, lang, texts):
    three_repairs(api)
    outage_id = outages(api)[0]["id"]
    at(25)
    problem = publish(
        api,
        outage_id,
        expect=422,
        lang=lang,
        location="",
        explanation=" ",
        estimated_restoration=None,
    )
    assert problem["code"] == "outage.notice_incomplete"
    assert [e["field"] for e in problem["errors"]] == [
        "location",
        "estimated_restoration",
        "explanation",
    ]
    messages = [e["message"] for e in problem["errors"]]
    assert all(text in messages for text in texts)
    assert outages(api)[0]["status"] == "suspected" and outages(api)[0]["notice"] is None
    assert run(OutageNotice.count()) == 0 and run(PushOutbox.count()) == 0
    assert run(AuditEntry.count().where(AuditEntry.action == "outage.publish")) == 0


def test_publishing_the_notice_tells_agents_and_the_area(api):
    run(
        PushSubscription.insert(
            PushSubscription(
                user=api.world.uid("tech2"),
                device_id="phone",
                endpoint="https://push.example/1",
                p256dh="k",
                auth="a",
                language="zh-CN",
            )
        )
    )
    orders = three_repairs(api)
    outage_id = outages(api)[0]["id"]
    at(25)
    published = publish(api, outage_id, reporter="")
    assert published["status"] == "published"
    notice = published["notice"]
    # No reporter named: the publisher answers for the notice.
    assert notice["responsible"] == {"id": api.world.uid("dispatcher"), "name": "王调度"}
    assert notice["explanation"] == NOTICE["explanation"] and notice["revision"] == 1
    assert published["first_published_at"].startswith("2026-11-23T02:25:00")
    [push] = run(PushOutbox.select(PushOutbox.notice, PushOutbox.params, PushOutbox.topic))
    assert push["notice"] == "outage" and push["topic"] == f"outage-{outage_id}"
    # Agents see the unified explanation on the linked orders ...
    detail = api.get("agent", f"/api/work-orders/{orders[0]['id']}").json()
    assert detail["outage"]["explanation"] == NOTICE["explanation"]
    # ... and in the answer when they raise another repair order from that place, which joins it.
    at(40)
    new = api.create(kind="repair")
    assert new["outage"] == {
        "id": outage_id,
        "status": "published",
        "explanation": NOTICE["explanation"],
        "estimated_restoration": "2026-11-23T08:00:00Z",
        "restored_at": None,
    }
    # A later revision supersedes; every one is kept, and none can be changed.
    at(60)
    revised = publish(
        api,
        outage_id,
        estimated_restoration=(T0 + timedelta(hours=8)).isoformat(),
        explanation="抢修进展顺利,预计今晚八点前恢复。",
    )
    assert revised["notice"]["revision"] == 2 and revised["notice"]["responsible"] is None
    assert revised["notice"]["reporter"] == "网络部 李工"
    detail = api.get("dispatcher", f"/api/outages/{outage_id}").json()
    assert [n["revision"] for n in detail["notices"]] == [1, 2]
    assert (
        api.get("agent", f"/api/work-orders/{new['id']}").json()["outage"]["explanation"]
        == "抢修进展顺利,预计今晚八点前恢复。"
    )
    row = run(Outage.select().where(Outage.id == outage_id).first())
    assert row["first_estimate"] == T0 + timedelta(hours=6)  # what customers were first told
    with pytest.raises(Exception, match="append-only"):
        run(OutageNotice.update({OutageNotice.explanation: "改写"}, force=True))
    with pytest.raises(Exception, match="append-only"):
        run(OutageNotice.delete(force=True))


def test_the_restoration_notice_ends_the_outage_and_informs_the_linked_orders(api):
    orders = three_repairs(api)
    outage_id = outages(api)[0]["id"]
    at(25)
    publish(api, outage_id)
    at(90)
    restored_at = (T0 + timedelta(minutes=85)).isoformat()
    problem = api.post("dispatcher", f"/api/outages/{outage_id}/restoration", {}, lang="en").json()
    assert problem["status"] == 422
    assert [e["field"] for e in problem["errors"]] == ["confirmed_cause", "restored_at"]
    future = api.post(
        "dispatcher",
        f"/api/outages/{outage_id}/restoration",
        {"confirmed_cause": "光缆被挖断", "restored_at": (T0 + timedelta(hours=2)).isoformat()},
    )
    assert [e["field"] for e in future.json()["errors"]] == ["restored_at"]
    response = api.post(
        "dispatcher2",
        f"/api/outages/{outage_id}/restoration",
        {"confirmed_cause": "市政施工挖断主干光缆,已熔接恢复", "restored_at": restored_at},
    )
    assert response.status_code == 201, response.text
    result = response.json()
    assert result["outage"]["status"] == "restored" and result["done"] == [o["id"] for o in orders]
    restoration = result["outage"]["notices"][-1]
    # No reporter named: the last editor, the dispatcher who restored it, is responsible.
    assert restoration["kind"] == "restoration" and restoration["responsible"]["name"] == "钱调度"
    detail = api.get("agent", f"/api/work-orders/{orders[1]['id']}").json()
    note = detail["history"][-1]
    assert note["action"] == "note" and "市政施工挖断主干光缆" in note["payload"]["text"]
    assert detail["outage"]["restored_at"].startswith("2026-11-23T03:25:00")
    # Over: nothing more can be linked, and it cannot be restored twice.
    at(95)
    assert (
        api.post(
            "dispatcher", f"/api/outages/{outage_id}/orders/link", {"order_ids": [orders[0]["id"]]}
        ).status_code
        == 409
    )
    again = api.post(
        "dispatcher",
        f"/api/outages/{outage_id}/restoration",
        {"confirmed_cause": "x", "restored_at": restored_at},
    )
    assert again.status_code == 409 and again.json()["code"] == "outage.illegal"


def test_restoring_can_close_the_linked_orders_together(api):
    vip = api.world.customers["vip"]
    orders = three_repairs(api)
    at(21)
    vip_order = api.create(kind="repair", customer_id=vip)  # joins (same community), closes too
    at(22)
    api.step("dispatcher", orders[0]["id"], "dispatch", assignee_id=api.world.uid("tech2"))
    api.step("dispatcher", orders[1]["id"], "send-back", reason_code="duplicate", reason="重复报修")
    outage_id = outages(api)[0]["id"]
    publish(api, outage_id)
    at(90)
    body = {
        "reporter": "网络部",
        "confirmed_cause": "主干光缆被挖断",
        "restored_at": (T0 + timedelta(minutes=80)).isoformat(),
        "linked_orders": "close",
    }
    assert [
        e["field"]
        for e in api.post("dispatcher", f"/api/outages/{outage_id}/restoration", body).json()[
            "errors"
        ]
    ] == ["solution"]
    result = api.post(
        "dispatcher", f"/api/outages/{outage_id}/restoration", {**body, "solution": "熔接主干光缆"}
    ).json()
    assert result["done"] == [orders[0]["id"], orders[2]["id"], vip_order["id"]]
    [skipped] = result["skipped"]  # sent back to the call centre: not the dispatcher's to close
    assert skipped["order_id"] == orders[1]["id"] and skipped["problem"] == "lifecycle.illegal"
    closed = api.get("dispatcher", f"/api/work-orders/{orders[2]['id']}").json()
    assert closed["state"] == "closed" and closed["closure"]["cause"] == "主干光缆被挖断"
    assert (
        closed["closure"]["solution"] == "熔接主干光缆" and closed["closure"]["method"] == "remote"
    )
    assert closed["awaiting_append"]  # the customer's confirmation follows as an append
    assert result["outage"]["open_orders"] == 1


def test_linking_and_unlinking_orders_in_bulk(api):
    at(0)
    outsider = api.create(kind="repair", customer_id=api.world.customers["one_way"])
    orders = three_repairs(api, (1, 2, 3))
    other_area = run(
        Customer.insert(
            Customer(
                account_no="029",
                name="青羊客户",
                phone="13900000000",
                area=api.world.other_area,
                address="青羊区",
            )
        )
    )[0]["id"]
    at(4)
    far = api.create(kind="repair", customer_id=other_area)
    outage_id = outages(api)[0]["id"]
    result = api.post(
        "dispatcher",
        f"/api/outages/{outage_id}/orders/link",
        {"order_ids": [outsider["id"], far["id"], orders[0]["id"], 999999]},
    ).json()
    assert result["done"] == [outsider["id"]]
    skipped = {s["order_id"]: s["problem"] for s in result["skipped"]}
    assert skipped == {
        far["id"]: "outage.order_other_area",
        orders[0]["id"]: "outage.order_already_linked",
        999999: "order.not_found",
    }
    assert result["outage"]["orders"] == 4
    unlinked = api.post(
        "dispatcher",
        f"/api/outages/{outage_id}/orders/unlink",
        {"order_ids": [orders[0]["id"], far["id"]]},
        lang="en",
    ).json()
    assert unlinked["done"] == [orders[0]["id"]]
    assert unlinked["skipped"][0]["message"] == "The order is not grouped under this outage."
    assert api.get("agent", f"/api/work-orders/{orders[0]['id']}").json()["outage"] is None
    former = [o for o in unlinked["outage"]["linked"] if o["id"] == orders[0]["id"]][0]
    assert former["unlinked_at"] is not None  # the former link stays on record
    informed = api.post(
        "dispatcher", f"/api/outages/{outage_id}/orders/inform", {"text": "抢修人员已到达现场"}
    ).json()
    assert sorted(informed["done"]) == sorted([outsider["id"], orders[1]["id"], orders[2]["id"]])
    notes = run(WorkOrderEvent.count().where(WorkOrderEvent.action == "note"))
    assert notes == 3
    actions = [
        a["action"]
        for a in run(
            AuditEntry.select(AuditEntry.action)
            .where(AuditEntry.target == f"outage/{outage_id}")
            .order_by(AuditEntry.id)
        )
    ]
    assert actions == [
        "outage.suspected",
        "outage.orders_linked",
        "outage.orders_unlinked",
        "outage.orders_informed",
    ]


def test_declaring_and_dismissing(api):
    at(0)
    body = {
        "area_id": api.world.area,
        "scope": "road",
        "place_id": api.world.road,
        "network": "two_way",
        "note": "接网络部通知:春熙路段光缆割接",
    }
    declared = api.post("dispatcher", "/api/outages", body)
    assert declared.status_code == 201, declared.text
    outage = declared.json()
    assert outage["status"] == "confirmed" and outage["place"]["name"] == "春熙路"
    assert outage["declared_by"]["name"] == "王调度"
    bad = api.post("dispatcher", "/api/outages", {**body, "place_id": 999})
    assert bad.status_code == 422 and bad.json()["code"] == "outage.unknown_place"
    at(5)
    assert (
        api.create(kind="repair")["outage"]["id"] == outage["id"]
    )  # an order from that road joins
    dismissed = api.post(
        "dispatcher", f"/api/outages/{outage['id']}/dismiss", {"reason": "割接取消"}
    )
    assert dismissed.json()["status"] == "dismissed"
    refused = api.post(
        "dispatcher",
        f"/api/outages/{outage['id']}/notices",
        {**NOTICE, "estimated_restoration": (T0 + timedelta(hours=1)).isoformat()},
        lang="en",
    )
    assert refused.status_code == 409
    assert (
        refused.json()["detail"]
        == "The outage is dismissed: cannot publish the fault notice now. Allowed: none."
    )
