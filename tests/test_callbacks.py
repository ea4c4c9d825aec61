"""Callbacks (回访) through the HTTP API (SQLite and PostgreSQL): the queue and its due dates over
weekends, public holidays and 调休 working weekends, recording a callback, a dissatisfied customer
reopening the order, and coverage."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

import servertime
from domain.callbacks import Level, level, reopens
from tests.test_events import console, fast_keepalive, live, log_in, order_event, post  # noqa: F401 (fixtures)
from tests.test_work_orders import FIELD_CLOSE, sign

TZ = ZoneInfo("Asia/Shanghai")
CONSULTATION_CLOSE = {
    "closure_category": "consultation",
    "outcome": "resolved",
    "method": "office",
    "cause": "咨询资费",
    "solution": "介绍套餐",
    "result": "客户已了解",
}


def local(*args: int, api=None) -> datetime:
    """Stand the server clock at a local time; with `api`, log in again (tokens last 12 hours)."""
    instant = datetime(*args, tzinfo=TZ)
    servertime.travel_to(instant)
    if api is not None:
        api.log_in_again()
    return instant


def utc(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def closed_consultation(api) -> dict:
    order = api.create(kind="consultation")
    return api.step("dispatcher", order["id"], "close", **CONSULTATION_CLOSE)


def queue(api, query: str = "", username: str = "agent") -> dict:
    response = api.get(username, f"/api/callbacks{query}")
    assert response.status_code == 200, response.text
    return response.json()


def set_day(api, day: str, working: bool, name: str) -> None:
    response = api.client.put(
        f"/api/policies/calendar/{day}",
        json={"working": working, "name": name},
        headers=api.headers("supervisor"),
    )
    assert response.status_code == 200, response.text


def test_the_call_centre_s_three_words_read_the_1_to_5_score_of_signing():
    assert [level(s) for s in (1, 2, 3, 4, 5)] == [Level.dissatisfied] * 2 + [Level.fair] + [
        Level.satisfied
    ] * 2
    assert [reopens(True, s) for s in (1, 2, 3)] == [True, True, False]
    assert not reopens(False, None)


@pytest.mark.parametrize(
    "closed, calendar, due_day",
    [
        # Friday afternoon: Monday and Tuesday are the two working days.
        ((2026, 11, 27, 15), [], "2026-12-01"),
        # …a public holiday on the Monday pushes it to Wednesday,
        ((2026, 11, 27, 15), [("2026-11-30", False, "临时公休")], "2026-12-02"),
        # …a weekend day worked instead (调休) counts: Saturday and Monday.
        ((2026, 11, 27, 15), [("2026-11-28", True, "调休上班")], "2026-11-30"),
        # National Day week: closed the day before, the first working days are 8 and 9 October,
        (
            (2026, 9, 30, 15),
            [
                *[(f"2026-10-0{d}", False, "国庆节") for d in range(1, 8)],
                ("2026-10-10", True, "国庆调休上班"),
            ],
            "2026-10-09",
        ),
        # …and closed on the 8th, the Saturday worked instead is the second working day.
        (
            (2026, 10, 8, 15),
            [
                *[(f"2026-10-0{d}", False, "国庆节") for d in range(1, 8)],
                ("2026-10-10", True, "国庆调休上班"),
            ],
            "2026-10-10",
        ),
    ],
)
def test_callback_falls_due_at_the_end_of_the_second_working_day(api, closed, calendar, due_day):
    local(2026, 9, 1, 9)
    for day, working, name in calendar:
        set_day(api, day, working, name)
    completed = local(*closed, api=api)
    order = closed_consultation(api)
    [item] = queue(api)["items"]
    assert item["order_id"] == order["id"] and item["code"] == order["code"]
    assert item["completed_at"] == utc(completed)
    # The end of the due day, local midnight (16:00 UTC the same day).
    assert item["due"] == f"{due_day}T16:00:00Z"
    assert (item["at_risk"], item["overdue"]) == (False, False)


def test_a_holiday_declared_later_moves_a_waiting_callback(api):
    local(2026, 11, 27, 15)
    closed_consultation(api)
    assert queue(api)["items"][0]["due"] == "2026-12-01T16:00:00Z"
    set_day(api, "2026-12-01", False, "临时停工")
    assert queue(api)["items"][0]["due"] == "2026-12-02T16:00:00Z"


def test_a_callback_keeps_the_limit_in_force_when_the_service_was_completed(api):
    local(2026, 11, 23, 10)  # Monday
    before = closed_consultation(api)
    local(2026, 11, 23, 11)
    response = api.post(
        "supervisor", "/api/policies/clocks", {"clock": "callback", "working_days": 3}
    )
    assert response.status_code == 201, response.text
    local(2026, 11, 23, 12)
    after = closed_consultation(api)
    due = {i["order_id"]: i["due"] for i in queue(api)["items"]}
    assert due == {before["id"]: "2026-11-25T16:00:00Z", after["id"]: "2026-11-26T16:00:00Z"}


def test_queue_shows_at_risk_and_overdue_and_filters_by_them_and_by_area(api):
    local(2026, 11, 20, 15)  # Friday: due at the end of Tuesday the 24th
    old = closed_consultation(api)
    local(2026, 11, 23, 15, api=api)  # Monday: due at the end of Wednesday the 25th
    new = closed_consultation(api)
    local(
        2026, 11, 25, 14, api=api
    )  # Wednesday afternoon: the first is overdue, the second in its last 20 %
    page = queue(api)
    assert [i["order_id"] for i in page["items"]] == [old["id"], new["id"]]  # soonest due first
    assert [(i["overdue"], i["at_risk"]) for i in page["items"]] == [(True, False), (False, True)]
    assert (page["total"], page["overdue"], page["at_risk"]) == (2, 1, 1)
    assert [i["order_id"] for i in queue(api, "?status=overdue")["items"]] == [old["id"]]
    assert [i["order_id"] for i in queue(api, "?status=at_risk")["items"]] == [new["id"]]
    assert [i["order_id"] for i in queue(api, "?from=2026-11-25&to=2026-11-25")["items"]] == [
        new["id"]
    ]
    assert queue(api, f"?area_id={api.world.other_area}")["total"] == 0
    reversed_ = api.get("agent", "/api/callbacks?from=2026-11-26&to=2026-11-25")
    assert reversed_.status_code == 400 and reversed_.json()["code"] == "report.period_reversed"


def test_an_attempt_that_misses_the_customer_keeps_the_callback_due(api):
    local(2026, 11, 23, 10)
    order = closed_consultation(api)
    local(2026, 11, 23, 14)
    missed = api.step("agent", order["id"], "callback", reached=False, remark="电话无人接听")
    assert missed["state"] == "closed"
    [item] = queue(api)["items"]
    assert [(a["by"]["name"], a["remark"]) for a in item["attempts"]] == [
        ("刘坐席", "电话无人接听")
    ]
    assert item["attempts"][0]["at"] == "2026-11-23T06:00:00Z"
    local(2026, 11, 23, 16)
    reached = api.step(
        "agent", order["id"], "callback", reached=True, satisfaction=5, remark="客户满意"
    )
    assert [c["state"] for c in reached["clocks"] if c["name"] == "callback"] == ["met"]
    assert queue(api)["total"] == 0


@pytest.mark.parametrize(
    "body, code",
    [
        ({"reached": True}, "callback.satisfaction_required"),
        ({"reached": False, "satisfaction": 3}, "callback.score_without_customer"),
        ({"reached": True, "satisfaction": 2, "remark": "  "}, "callback.remark_required"),
        ({"reached": True, "satisfaction": 6}, None),
    ],
)
def test_an_incomplete_callback_is_refused_and_nothing_is_recorded(api, body, code):
    local(2026, 11, 23, 10)
    order = closed_consultation(api)
    response = api.post("agent", f"/api/work-orders/{order['id']}/callback", body)
    assert response.status_code == (422 if code else 400), response.text
    if code:
        assert response.json()["errors"][0]["code"] == code
    detail = api.get("dispatcher", f"/api/work-orders/{order['id']}").json()
    assert (detail["version"], detail["state"]) == (order["version"], "closed")


def test_a_dissatisfied_customer_reopens_the_order_back_into_the_dispatch_queue(api):
    local(2026, 11, 23, 10)
    order = api.create(kind="repair")
    api.step("dispatcher", order["id"], "dispatch", assignee_id=api.world.uid("tech2"))
    for step in ("accept", "contact", "arrive"):
        api.step("tech2", order["id"], step)
    sign(api, "tech2", order["id"])
    closed = api.step("tech2", order["id"], "close", **FIELD_CLOSE)
    assert [i["order_id"] for i in queue(api)["items"]] == [order["id"]]

    local(2026, 11, 24, 10, api=api)
    # The call-centre agent records it; the reopen follows on the callback's authority.
    after = api.step(
        "agent",
        order["id"],
        "callback",
        reached=True,
        satisfaction=2,
        remark="晚上仍频繁断网,要求重新上门",
    )
    assert (after["state"], after["assignee"], after["closure"]) == ("new", None, None)
    assert after["version"] == closed["version"] + 2
    callback, reopen = after["history"][-2:]
    assert (callback["action"], callback["payload"]["satisfaction"]) == ("callback", 2)
    assert (reopen["action"], reopen["state_before"], reopen["state_after"]) == (
        "reopen",
        "closed",
        "new",
    )
    assert reopen["actor"]["name"] == "刘坐席" and reopen["actor_role"] == "agent"
    assert reopen["payload"] == {"reason": "晚上仍频繁断网,要求重新上门", "after": "callback"}
    clocks = {c["name"]: c for c in after["clocks"]}
    assert (clocks["callback"]["state"], clocks["callback"]["stopped_by_action"]) == (
        "met",
        "callback",
    )
    assert clocks["redispatch"]["state"] == "running"
    assert clocks["redispatch"]["due"] == "2026-11-24T02:10:00Z"
    # Back in the dispatch queue, out of the callbacks queue.
    waiting = api.get("dispatcher", "/api/work-orders?state=new").json()["items"]
    assert [o["id"] for o in waiting] == [order["id"]]
    assert queue(api)["total"] == 0
    # The agent still may not reopen an order on their own.
    assert (
        api.post("agent", f"/api/work-orders/{order['id']}/reopen", {"reason": "x"}).status_code
        == 403
    )


def test_a_fairly_satisfied_customer_does_not_reopen(api):
    local(2026, 11, 23, 10)
    order = closed_consultation(api)
    after = api.step("agent", order["id"], "callback", reached=True, satisfaction=3, remark="一般")
    assert after["state"] == "closed" and after["history"][-1]["action"] == "callback"


def test_coverage_counts_services_completed_in_the_period_that_were_called_back(api):
    local(2026, 11, 23, 9)
    done, missed, waiting = (closed_consultation(api) for _ in range(3))
    complaint = api.create(kind="complaint")
    api.step("dispatcher", complaint["id"], "dispatch", assignee_id=api.world.uid("complaints"))
    api.step("complaints", complaint["id"], "accept")
    api.step(
        "complaints",
        complaint["id"],
        "close",
        closure_category="complaint",
        outcome="resolved",
        method="office",
        cause="装维人员迟到",
        solution="致歉并减免月租",
        result="客户接受",
    )
    local(2026, 11, 23, 15)
    api.step("agent", done["id"], "callback", reached=True, satisfaction=4)
    api.step("agent", missed["id"], "callback", reached=False, remark="关机")

    def coverage(day: str = "2026-11-23") -> dict:
        response = api.get("agent", f"/api/callbacks/coverage?from={day}&to={day}")
        assert response.status_code == 200, response.text
        [group] = response.json()["groups"]
        return {f["key"]: f for f in group["figures"]}

    figures = coverage()
    assert (
        figures["callback_coverage"]["numerator"],
        figures["callback_coverage"]["denominator"],
    ) == (1, 4)
    assert figures["callback_coverage"]["value"] == 0.25
    valid = figures["complaint_callback_coverage"]
    assert (valid["value"], valid["target"], valid["title"]) == (0.0, 1.0, "有效投诉回访率")
    local(
        2026, 11, 24, 10, api=api
    )  # called back the next day: it counts for the day the service was done
    api.step("agent", complaint["id"], "callback", reached=True, satisfaction=5)
    figures = coverage()
    assert figures["callback_coverage"]["value"] == 0.5
    assert figures["complaint_callback_coverage"]["value"] == 1.0
    assert coverage("2026-11-24")["callback_coverage"]["denominator"] == 0
    assert waiting["id"] in {i["order_id"] for i in queue(api)["items"]}


def test_who_sees_the_callbacks(api):
    local(2026, 11, 23, 10)
    for username, status in [
        ("agent", 200),
        ("dispatcher", 200),
        ("supervisor", 200),
        ("tech2", 403),
        ("contractor1", 403),
        ("backoffice", 403),
    ]:
        assert api.get(username, "/api/callbacks").status_code == status, username
        assert (
            api.get(username, "/api/callbacks/coverage?from=2026-11-01&to=2026-11-30").status_code
            == status
        )


def test_a_callback_and_the_reopen_it_causes_reach_the_dispatchers_consoles(live):
    dispatcher, agent = log_in(live.url, "dispatcher"), log_in(live.url, "agent")
    order = post(
        live.url,
        agent,
        "/api/work-orders",
        {
            "kind": "consultation",
            "customer_id": live.world.customers["ordinary"],
            "description": "咨询资费",
        },
    )
    post(live.url, dispatcher, f"/api/work-orders/{order['id']}/close", CONSULTATION_CLOSE)
    with console(live.url, dispatcher) as stream:
        post(
            live.url,
            agent,
            f"/api/work-orders/{order['id']}/callback",
            {"reached": True, "satisfaction": 1, "remark": "咨询的套餐与实际不符"},
        )
        awaited = {"callback", "reopened"}

        def heard(message: dict) -> bool:
            if message.get("event") == "callback" and message["data"] == {"order_id": order["id"]}:
                awaited.discard("callback")
            if order_event(order["id"], state="new", assignee_id=None)(message):
                awaited.discard("reopened")
            return not awaited

        stream.until(heard)
