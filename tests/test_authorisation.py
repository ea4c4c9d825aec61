"""Who may call what: no token, the role × route matrix, and what each role may see."""

from __future__ import annotations

import re

from db.tables import AuditEntry, CalendarDay, ClockPolicy, StaffUser, WorkOrder, WorkOrderEvent
from domain.vocabulary import Role
from services.auth.service import create_user
from tests.conftest import run
from tests.world import PASSWORD

# A value for each path parameter; integer ids for any other.
PATH_VALUES = {"day": "2030-10-01", "device_id": "phone"}


def test_every_api_route_but_login_needs_a_token(client):
    schema = client.get("/schema/openapi.json")
    assert schema.status_code == 200
    routes = [
        (method.upper(), re.sub(r"\{(\w+)\}", lambda m: PATH_VALUES.get(m[1], "1"), path))
        for path, item in schema.json()["paths"].items()
        if path.startswith("/api/")
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    ]
    assert len(routes) >= 35 and ("POST", "/api/work-orders/1/dispatch") in routes
    for method, path in routes:
        if path == "/api/auth/login":
            continue
        for headers in (
            {},
            {"Authorization": "Bearer not-a-real-token"},
            {"Authorization": "Basic YWRtaW46eA=="},
            {"Authorization": "Bearer " + "x" * 500},
        ):
            response = client.request(method, path, json={}, headers=headers)
            assert response.status_code == 401, (method, path, headers, response.text)
            assert response.headers["content-type"].startswith("application/problem+json")
    assert client.get("/healthz").status_code == 200


# Body sent with each route (by its last segment), valid for the roles allowed to call it.
def body_for(path: str, world) -> dict:
    last = path.rstrip("/").rsplit("/", 1)[-1]
    return {
        "work-orders": {
            "kind": "repair",
            "customer_id": world.customers["ordinary"],
            "description": "宽带断网",
        },
        "dispatch": {"assignee_id": world.uid("tech2")},
        "clocks": {"clock": "dispatch", "minutes": 15},
        "2030-10-01": {"working": False, "name": "国庆节"},
        "reopen": {"reason": "客户不满意"},
        "accounts": {
            "username": "new.agent",
            "display_name": "新坐席",
            "role": "agent",
            "password": "a long password",
        },
        "reset-password": {"password": "a long password"},
    }.get(last, {})


ORDER = "/api/work-orders/{order}"
# One account of each role (the matrix's accounts rows act on tech2b, who makes no call of it).
EVERY_ROLE = ("admin", "supervisor", "dispatcher", "agent", "backoffice", "tech1", "contractor1")
MATRIX = [
    # who, method, path, expected status
    ("agent", "POST", "/api/work-orders", 201),
    ("dispatcher", "POST", "/api/work-orders", 201),
    ("tech1", "POST", "/api/work-orders", 403),
    ("contractor1", "POST", "/api/work-orders", 403),
    ("backoffice", "POST", "/api/work-orders", 403),
    ("dispatcher", "POST", ORDER + "/dispatch", 200),
    ("supervisor", "POST", ORDER + "/dispatch", 200),
    ("admin", "POST", ORDER + "/dispatch", 200),
    ("agent", "POST", ORDER + "/dispatch", 403),
    ("tech2", "POST", ORDER + "/dispatch", 403),
    ("contractor1", "POST", ORDER + "/dispatch", 403),
    ("backoffice", "POST", ORDER + "/dispatch", 403),
    ("agent", "POST", ORDER + "/urge", 200),
    ("tech2", "POST", ORDER + "/urge", 403),
    ("agent", "POST", ORDER + "/reopen", 403),
    ("dispatcher", "POST", ORDER + "/approve-waiver", 403),
    ("supervisor", "POST", "/api/policies/clocks", 201),
    ("admin", "POST", "/api/policies/clocks", 201),
    ("dispatcher", "POST", "/api/policies/clocks", 403),
    ("agent", "POST", "/api/policies/clocks", 403),
    ("tech1", "POST", "/api/policies/clocks", 403),
    ("contractor1", "POST", "/api/policies/clocks", 403),
    ("backoffice", "POST", "/api/policies/clocks", 403),
    ("supervisor", "PUT", "/api/policies/calendar/2030-10-01", 200),
    ("dispatcher", "PUT", "/api/policies/calendar/2030-10-01", 403),
    ("supervisor", "PUT", "/api/policies/calendar/years/2030", 200),
    ("dispatcher", "PUT", "/api/policies/calendar/years/2030", 403),
    ("dispatcher", "GET", "/api/policies/clocks", 200),
    ("tech1", "GET", "/api/policies/clocks", 403),
    ("contractor1", "GET", "/api/policies/calendar", 403),
    ("dispatcher", "GET", "/api/customers/{customer}", 200),
    ("agent", "GET", "/api/customers/{customer}", 200),
    ("backoffice", "GET", "/api/customers/{customer}", 200),
    ("tech1", "GET", "/api/customers/{customer}", 403),
    ("contractor1", "GET", "/api/customers/{customer}", 403),
    ("tech1", "GET", "/api/customers", 403),
    ("contractor1", "GET", "/api/customers", 403),
    ("dispatcher", "GET", "/api/staff", 200),
    ("supervisor", "GET", "/api/staff", 200),
    ("agent", "GET", "/api/staff", 403),
    ("tech1", "GET", "/api/staff", 403),
    ("contractor1", "GET", "/api/staff", 403),
    ("backoffice", "GET", "/api/staff", 403),
    ("tech1", "GET", "/api/reference", 200),
    ("contractor1", "GET", "/api/work-orders", 200),
    ("backoffice", "GET", "/api/auth/me", 200),
    # Reports belong to supervisors (the manual's roles table), and admins; not to dispatchers.
    ("supervisor", "GET", "/api/reports?from=2026-11-01&to=2026-11-30", 200),
    ("admin", "GET", "/api/reports.csv?from=2026-11-01&to=2026-11-30", 200),
    ("dispatcher", "GET", "/api/reports?from=2026-11-01&to=2026-11-30", 403),
    ("dispatcher", "GET", "/api/reports.csv?from=2026-11-01&to=2026-11-30", 403),
    ("agent", "GET", "/api/reports?from=2026-11-01&to=2026-11-30", 403),
    # Staff accounts: admins only.
    *[(who, "GET", "/api/accounts", 200 if who == "admin" else 403) for who in EVERY_ROLE],
    *[(who, "POST", "/api/accounts", 201 if who == "admin" else 403) for who in EVERY_ROLE],
    *[
        (who, "POST", f"/api/accounts/{{user}}/{step}", 200 if who == "admin" else 403)
        for step in ("deactivate", "reactivate", "reset-password", "end-sessions")
        for who in EVERY_ROLE
    ],
]


def fingerprint() -> tuple[int, ...]:
    """Row counts a refused request must leave as they were (customer-file reads are audited)."""
    return tuple(
        run(t.count())
        for t in (WorkOrder, WorkOrderEvent, ClockPolicy, CalendarDay, AuditEntry, StaffUser)
    )


def test_role_matrix(api, world):
    """Every row on a fresh order; a refused call changes nothing. Reports every mismatching row."""
    mismatches = []
    for who, method, template, expected in MATRIX:
        order = api.create() if "{order}" in template else None
        path = template.format(
            order=order and order["id"],
            customer=world.customers["ordinary"],
            user=world.uid("tech2b"),
        )
        api.token(who)
        before = fingerprint() if expected == 403 else None
        response = api.client.request(
            method, path, json=body_for(path, world), headers=api.headers(who)
        )
        if response.status_code != expected:
            mismatches.append(
                (who, method, template, expected, response.status_code, response.text[:200])
            )
        elif expected == 403:
            assert response.headers["content-type"].startswith("application/problem+json")
            assert fingerprint() == before, (who, method, template)
            if order:
                assert (
                    api.get("dispatcher", f"/api/work-orders/{order['id']}").json()["version"]
                    == order["version"]
                )
    assert mismatches == []


def test_technicians_see_only_their_own_orders(api, world):
    mine = api.create()
    api.step("dispatcher", mine["id"], "dispatch", assignee_id=world.uid("tech2"))
    theirs = api.create()
    api.step("dispatcher", theirs["id"], "dispatch", assignee_id=world.uid("tech2b"))
    api.create()  # not dispatched yet

    assert api.get("tech2", f"/api/work-orders/{mine['id']}").status_code == 200
    for who, order in (("tech2", theirs), ("tech2b", mine), ("tech1", mine), ("contractor1", mine)):
        response = api.get(who, f"/api/work-orders/{order['id']}")
        assert response.status_code == 404, (who, response.text)
        assert "宽带" not in response.text
    # Nor act on it.
    assert api.post("tech2b", f"/api/work-orders/{mine['id']}/accept").status_code == 404
    assert [o["id"] for o in api.get("tech2", "/api/work-orders").json()["items"]] == [mine["id"]]
    assert api.get("tech2", "/api/work-orders").json()["total"] == 1
    assert api.get("tech1", "/api/work-orders").json() == {
        "items": [],
        "total": 0,
        "limit": 50,
        "offset": 0,
    }
    # Filtering by someone else's id does not widen the view.
    other = api.get("tech2", "/api/work-orders", params={"assignee_id": world.uid("tech2b")}).json()
    assert other["items"] == []
    assert len(api.get("dispatcher", "/api/work-orders").json()["items"]) == 3


CLOSE = {
    "closure_category": "repair",
    "outcome": "resolved",
    "method": "phone_guidance",
    "cause": "光猫掉电",
    "solution": "指导客户重启",
    "result": "已恢复",
}


def test_contractor_never_dispatches_transfers_sends_back_or_reopens(api, world):
    order = api.create()
    oid = order["id"]
    forbidden = {
        "dispatch": {"assignee_id": world.uid("contractor1")},
        "transfer": {"assignee_id": world.uid("tech2")},
        "send-back": {"reason_code": "wrong_dispatch", "reason": "不归我们"},
        "reopen": {"reason": "客户不满意"},
    }

    def refused_in(state: str) -> None:
        before = api.get("dispatcher", f"/api/work-orders/{oid}").json()
        assert before["state"] == state
        for step, body in forbidden.items():
            response = api.post("contractor1", f"/api/work-orders/{oid}/{step}", body)
            assert response.status_code == 403, (state, step, response.text)
        after = api.get("dispatcher", f"/api/work-orders/{oid}").json()
        assert (after["version"], after["state"]) == (before["version"], state)
        if state != "new":
            mine = api.get("contractor1", f"/api/work-orders/{oid}").json()
            assert not set(forbidden) & {a.replace("_", "-") for a in mine["allowed_actions"]}

    refused_in("new")
    api.step("dispatcher", oid, "dispatch", assignee_id=world.uid("contractor1"))
    refused_in("dispatched")
    api.step("contractor1", oid, "accept")
    refused_in("accepted")
    api.step("contractor1", oid, "arrive")
    refused_in("on_site")
    api.step("contractor1", oid, "cannot-proceed", reason="楼道漏电")
    refused_in("cannot_proceed")
    api.step("dispatcher", oid, "dispatch", assignee_id=world.uid("contractor1"))
    api.step("contractor1", oid, "accept")
    api.step("contractor1", oid, "return-result", result="已处理")
    refused_in("returned")
    api.step("contractor1", oid, "close", **CLOSE)
    refused_in("closed")


def test_back_office_sees_only_orders_of_its_own_team(api, world):
    run(
        create_user(
            "backoffice2",
            "褚录入",
            Role.backoffice,
            PASSWORD,
            world.teams["DATA-ENTRY"],
            world.area,
        )
    )
    after_sales = api.create(kind="after_sales", description="过户")
    api.step("dispatcher", after_sales["id"], "dispatch", assignee_id=world.uid("backoffice"))
    complaint = api.create(kind="complaint", description="装维人员迟到")
    api.step("dispatcher", complaint["id"], "dispatch", assignee_id=world.uid("complaints"))
    repair = api.create()
    api.step("dispatcher", repair["id"], "dispatch", assignee_id=world.uid("tech2"))
    unassigned = api.create(kind="consultation", description="资费咨询")

    def visible(who: str) -> set[int]:
        listed = {o["id"] for o in api.get(who, "/api/work-orders").json()["items"]}
        readable = {
            o["id"]
            for o in (after_sales, complaint, repair, unassigned)
            if api.get(who, f"/api/work-orders/{o['id']}").status_code == 200
        }
        assert listed == readable, who
        return listed

    assert visible("backoffice") == {after_sales["id"]}
    assert visible("backoffice2") == {after_sales["id"]}  # same team
    assert visible("complaints") == {complaint["id"]}
    assert visible("dispatcher") == {
        after_sales["id"],
        complaint["id"],
        repair["id"],
        unassigned["id"],
    }
    # Another member of the team may read it, but only the holder works it.
    assert (
        api.post("backoffice2", f"/api/work-orders/{after_sales['id']}/accept").status_code == 403
    )
    assert api.post("complaints", f"/api/work-orders/{after_sales['id']}/accept").status_code == 404
    api.step("backoffice", after_sales["id"], "accept")
