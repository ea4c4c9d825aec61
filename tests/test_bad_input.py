"""Bad input gets a clear 4xx problem-details answer and changes nothing."""

from __future__ import annotations

import pytest

from db.tables import CalendarDay, ClockPolicy, LoginAttempt, WorkOrder, WorkOrderEvent
from tests.conftest import run

HUGE = 99999999999


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json"), response.headers
    body = response.json()
    assert body["status"] == status
    assert body["type"] and body["title"] and body["detail"]
    return body


def refused(response, status: int = 400) -> bool:
    """A problem-details answer with this status (else the case is reported)."""
    return (
        response.status_code == status
        and response.headers["content-type"].startswith("application/problem+json")
        and response.json()["status"] == status
        and bool(response.json()["detail"])
    )


def counts() -> tuple[int, ...]:
    return tuple(run(t.count()) for t in (WorkOrder, WorkOrderEvent, ClockPolicy, CalendarDay))


def snapshot(api, order_id: int) -> tuple:
    order = api.get("dispatcher", f"/api/work-orders/{order_id}").json()
    return order["version"], len(order["history"]), order["state"], order["assignee"]


def create_body(world, **fields) -> dict:
    return {
        "kind": "repair",
        "customer_id": world.customers["ordinary"],
        "description": "宽带断网",
        **fields,
    }


BAD_CREATE = {
    "unknown field": {"hacker": 1},
    "kind not a kind": {"kind": "teleport"},
    "kind wrong type": {"kind": 5},
    "customer_id as text": {"customer_id": "abc"},
    "customer_id as float": {"customer_id": 1.5},
    "customer_id huge": {"customer_id": HUGE},
    "customer_id beyond int64": {"customer_id": 10**30},
    "customer_id zero": {"customer_id": 0},
    "description empty": {"description": ""},
    "description wrong type": {"description": 123},
    "description 5000 chars": {"description": "断" * 5000},
    "description with NUL": {"description": "宽带\x00断网"},
    "contact_name 65 chars": {"contact_name": "张" * 65},
    "contact_name with NUL": {"contact_name": "张\x00三"},
    "contact_phone letters": {"contact_phone": "call me"},
    "agent_remark with NUL": {"agent_remark": "\x00"},
    "remark_flagged as text": {"remark_flagged": "yes"},
    "community_id huge": {"community_id": HUGE},
    "naive appointment_at": {"appointment_at": "2030-01-01T09:00:00"},
    "source unknown": {"source": "telepathy"},
}


def test_bad_order_bodies_are_refused_with_400(api, world):
    before = counts()
    wrong = {
        case: (r.status_code, r.text[:200])
        for case, fields in BAD_CREATE.items()
        if not refused(r := api.post("agent", "/api/work-orders", create_body(world, **fields)))
    }
    assert wrong == {}
    assert counts() == before


def test_missing_body_and_invalid_json_are_400(api, world):
    before = counts()
    headers = {**api.headers("agent"), "Content-Type": "application/json"}
    for content in (b"{not json", b"", b"[1, 2]", b'"text"', b"null", b'{"kind": "repair",}'):
        response = api.client.post("/api/work-orders", content=content, headers=headers)
        assert_problem(response, 400)
    assert counts() == before


def test_body_that_is_not_utf8_is_400(api, world):
    before = counts()
    headers = {**api.headers("agent"), "Content-Type": "application/json"}
    response = api.client.post(
        "/api/work-orders", content=b'{"description": "\xff"}', headers=headers
    )
    assert_problem(response, 400)
    assert counts() == before


def test_unknown_customer_is_422_and_creates_nothing(api, world):
    before = counts()
    body = assert_problem(
        api.post("agent", "/api/work-orders", create_body(world, customer_id=424242)), 422
    )
    assert body["code"] == "order.unknown_customer"
    assert "424242" in body["detail"]
    assert counts() == before


BAD_STEPS = [
    # step, body
    ("dispatch", {"assignee_id": "{tech2}", "hacker": 1}),
    ("dispatch", {"assignee_id": "tech2"}),
    ("dispatch", {"assignee_id": HUGE}),
    ("dispatch", {}),
    ("dispatch", {"assignee_id": "{tech2}", "device_time": "2025-03-03T10:00:00"}),
    ("dispatch", {"assignee_id": "{tech2}", "device_time": "yesterday"}),
    ("dispatch", {"assignee_id": "{tech2}", "note": "x" * 2001}),
    ("note", {"text": "a\x00b"}),
    ("note", {"text": ""}),
    ("note", {"text": ["list"]}),
    ("send-back", {"reason_code": "because", "reason": "重复"}),
    ("cancel", {"reason": "x" * 5000}),
    ("urge", {"note": None, "extra": True}),
]


def test_bad_step_bodies_are_refused_with_400(api, world):
    order = api.create()
    before = snapshot(api, order["id"])
    wrong = []
    for step, body in BAD_STEPS:
        body = {k: (world.uid("tech2") if v == "{tech2}" else v) for k, v in body.items()}
        response = api.post("dispatcher", f"/api/work-orders/{order['id']}/{step}", body)
        if not refused(response):
            wrong.append((step, body, response.status_code, response.text[:200]))
    assert wrong == []
    assert snapshot(api, order["id"]) == before


def test_naive_device_time_is_refused_on_the_technicians_device_too(api, world):
    order = api.create()
    api.step("dispatcher", order["id"], "dispatch", assignee_id=world.uid("tech2"))
    before = snapshot(api, order["id"])
    response = api.post(
        "tech2", f"/api/work-orders/{order['id']}/accept", {"device_time": "2025-03-03T10:00:00"}
    )
    assert_problem(response, 400)
    assert snapshot(api, order["id"]) == before


@pytest.mark.parametrize("when", ["9999-12-31T23:00:00-14:00", "0001-01-01T00:00:00+14:00"])
def test_datetimes_at_the_edge_of_the_calendar_are_400(api, world, when):
    """Aware, but out of range once converted to UTC."""
    before = counts()
    assert_problem(
        api.post("agent", "/api/work-orders", create_body(world, appointment_at=when)), 400
    )
    assert counts() == before
    order = api.create()
    before = snapshot(api, order["id"])
    assert_problem(
        api.post(
            "agent", f"/api/work-orders/{order['id']}/note", {"text": "x", "device_time": when}
        ),
        400,
    )
    assert snapshot(api, order["id"]) == before


BAD_GETS = [
    f"/api/work-orders/{HUGE}",
    f"/api/work-orders/{10**30}",
    "/api/work-orders/0",
    "/api/work-orders/-1",
    "/api/work-orders/abc",
    f"/api/work-orders?assignee_id={HUGE}",
    f"/api/work-orders?area_id={10**30}",
    f"/api/work-orders?limit={HUGE}",
    "/api/work-orders?offset=-1",
    "/api/work-orders?state=flying",
    "/api/work-orders?q=%00",
    "/api/work-orders?q=" + "x" * 65,
    f"/api/customers/{HUGE}",
    "/api/customers?q=%00",
    f"/api/staff?team_id={HUGE}",
]


def test_bad_ids_and_queries_are_4xx_not_500(api, world):
    wrong = []
    for path in BAD_GETS:
        response = api.get("dispatcher", path)
        if not (400 <= response.status_code < 500 and refused(response, response.status_code)):
            wrong.append((path, response.status_code, response.text[:200]))
    assert wrong == []


def test_huge_id_in_a_step_path_is_4xx(api, world):
    before = counts()
    response = api.post(
        "dispatcher", f"/api/work-orders/{HUGE}/dispatch", {"assignee_id": world.uid("tech2")}
    )
    assert 400 <= response.status_code < 500, response.text
    assert counts() == before


def test_unknown_order_is_404(api, world):
    for response in (
        api.get("dispatcher", "/api/work-orders/4242"),
        api.post(
            "dispatcher", "/api/work-orders/4242/dispatch", {"assignee_id": world.uid("tech2")}
        ),
        api.post("agent", "/api/work-orders/4242/urge"),
    ):
        body = assert_problem(response, 404)
        assert body["code"] == "order.not_found"
    assert (
        assert_problem(api.get("dispatcher", "/api/customers/4242"), 404)["code"]
        == "customer.not_found"
    )
    assert counts()[0] == 0


def test_bad_policy_and_calendar_input(api, world):
    before = counts()
    for body in (
        {"clock": "teatime", "minutes": 5},
        {"clock": "dispatch", "minutes": -1},
        {"clock": "dispatch", "minutes": HUGE},
        {"clock": "dispatch", "kind": "teleport"},
        {"clock": "dispatch", "minutes": 5, "hacker": 1},
    ):
        assert_problem(api.post("supervisor", "/api/policies/clocks", body), 400)
    for day, body in (
        ("2030-10-01", {"working": False, "name": "国" * 65}),
        ("2030-10-01", {"working": False, "name": "国\x00庆"}),
        ("2030-10-01", {"working": "no", "name": "国庆"}),
    ):
        response = api.client.put(
            f"/api/policies/calendar/{day}", json=body, headers=api.headers("supervisor")
        )
        assert_problem(response, 400)
    response = api.client.put(
        "/api/policies/calendar/2030-13-45",
        json={"working": False, "name": "x"},
        headers=api.headers("supervisor"),
    )
    assert 400 <= response.status_code < 500, response.text
    assert counts() == before


def test_bad_login_bodies_are_400_and_not_counted(client, world):
    for body in (
        {"username": "agent"},
        {"username": "a" * 65, "password": "x"},
        {"username": "agent", "password": "x\x00"},
        {"username": "agent\x00", "password": "x"},
        {"username": "agent", "password": "x", "remember": True},
        {"username": 1, "password": 2},
    ):
        assert_problem(client.post("/api/auth/login", json=body), 400)
    assert run(LoginAttempt.count()) == 0


def test_illegal_transition_is_409_naming_state_and_allowed_actions(api, world):
    order = api.create()
    oid = order["id"]
    api.step("dispatcher", oid, "dispatch", assignee_id=world.uid("tech2"))
    before = snapshot(api, oid)
    mine = api.get("tech2", f"/api/work-orders/{oid}").json()["allowed_actions"]

    zh = assert_problem(api.post("tech2", f"/api/work-orders/{oid}/arrive"), 409)
    assert zh["current_state"] == "dispatched"
    assert zh["allowed_actions"] == mine and "accept" in mine and "arrive" not in mine
    assert zh["title"] == "状态冲突"
    assert "已派单" in zh["detail"] and "到场" in zh["detail"] and "接单" in zh["detail"]

    en = assert_problem(api.post("tech2", f"/api/work-orders/{oid}/arrive", lang="en"), 409)
    assert en["title"] == "Conflict"
    assert en["detail"].startswith("The order is dispatched; it cannot arrive.")
    assert "accept" in en["detail"] and "reject" in en["detail"]
    assert snapshot(api, oid) == before

    # The office side too: reopening an order that is not closed.
    office = assert_problem(
        api.post("dispatcher", f"/api/work-orders/{oid}/reopen", {"reason": "客户不满意"}), 409
    )
    assert office["current_state"] == "dispatched" and "transfer" in office["allowed_actions"]
    assert snapshot(api, oid) == before


def test_closure_missing_parts_lists_each_one(api, world):
    order = api.create()
    oid = order["id"]
    api.step("dispatcher", oid, "dispatch", assignee_id=world.uid("tech2"))
    api.step("tech2", oid, "accept")
    api.step("tech2", oid, "arrive")
    before = snapshot(api, oid)
    response = api.post(
        "tech2",
        f"/api/work-orders/{oid}/close",
        {"closure_category": "installation", "outcome": "resolved"},
    )
    body = assert_problem(response, 422)
    assert body["code"] == "closure.invalid"
    fields = {e["field"] for e in body["errors"]}
    assert fields == {
        "closure_category",
        "cause",
        "solution",
        "result",
        "work_done",
        "labour_hours",
        "signature",
    }
    assert all(e["message"] and e["code"].startswith("closure.") for e in body["errors"])
    en = api.post(
        "tech2",
        f"/api/work-orders/{oid}/close",
        {"closure_category": "repair", "outcome": "resolved"},
        lang="en",
    ).json()
    assert "The cause is missing." in [e["message"] for e in en["errors"]]
    assert snapshot(api, oid) == before


@pytest.mark.parametrize(
    "kind, customer, assignee, code",
    [
        ("install", "ordinary", "tech2", "routing.wrong_team"),
        ("repair", "ordinary", "tech1", "routing.wrong_team"),
        ("repair", "one_way", "tech2", "routing.wrong_network"),
        ("repair", "one_way", "contractor1", "routing.wrong_network"),
        ("repair", "ordinary", "tech_1w", "routing.wrong_network"),
        ("complaint", "ordinary", "backoffice", "routing.wrong_team"),
        ("repair", "ordinary", "dispatcher2", "order.assignee_role"),
        ("repair", "ordinary", 4242, "order.assignee_not_found"),
    ],
)
def test_dispatch_outside_the_routing_matrix_is_422(api, world, kind, customer, assignee, code):
    order = api.create(kind=kind, customer_id=world.customers[customer])
    before = snapshot(api, order["id"])
    assignee_id = assignee if isinstance(assignee, int) else world.uid(assignee)
    # A dispatcher's override reason does not lift the rule (only a supervisor's does).
    body = assert_problem(
        api.post(
            "dispatcher",
            f"/api/work-orders/{order['id']}/dispatch",
            {"assignee_id": assignee_id, "override_reason": "人手不够"},
        ),
        422,
    )
    assert body["code"] == code
    assert snapshot(api, order["id"]) == before
    assert api.get("dispatcher", f"/api/work-orders/{order['id']}").json()["state"] == "new"


BLANK = ["   ", "\t\n", "\u3000\u3000"]  # spaces, tabs and newlines, ideographic spaces (全角空格)


def test_whitespace_is_no_reason_where_the_manual_requires_one(api, world):
    """request-send-back, send-back and reopen need a written reason: blank text is refused with
    the field named, and the order is left as it was."""
    held = api.create()
    api.step("dispatcher", held["id"], "dispatch", assignee_id=world.uid("tech2"))
    closed = api.create(kind="consultation")
    api.step(
        "dispatcher",
        closed["id"],
        "close",
        closure_category="consultation",
        outcome="resolved",
        method="office",
        cause="咨询资费",
        solution="介绍套餐",
        result="客户已了解",
    )
    cases = [
        ("tech2", held["id"], "request-send-back", {}),
        ("dispatcher", held["id"], "send-back", {"reason_code": "duplicate"}),
        ("dispatcher", closed["id"], "reopen", {}),
    ]
    for username, oid, step, body in cases:
        before = snapshot(api, oid)
        for blank in BLANK:
            problem = assert_problem(
                api.post(username, f"/api/work-orders/{oid}/{step}", {**body, "reason": blank}), 400
            )
            assert [e["field"] for e in problem["errors"]] == ["reason"], (step, problem)
        assert snapshot(api, oid) == before
    # Text with a word in it still goes through.
    api.step("tech2", held["id"], "request-send-back", reason="  不是我们片区  ")


def test_every_required_text_refuses_blank(api, world):
    """The same rule for every required free text: a note, an order's description."""
    order = api.create()
    for path, body, field in [
        (f"/api/work-orders/{order['id']}/note", {"text": " \u3000 "}, "text"),
        ("/api/work-orders", create_body(world, description="\n\n"), "description"),
    ]:
        problem = assert_problem(api.post("dispatcher", path, body), 400)
        assert [e["field"] for e in problem["errors"]] == [field]
