"""The dispatchers' technician board and assignment suggestions over HTTP (both engines): where
each technician is, their load, their devices' last contact and unsynced actions."""

from __future__ import annotations

from uuid import uuid4

import pytest

from tests.test_sync import mutation
from tests.test_work_orders import at

BOARD = "/api/dispatch/board"


def new_client() -> str:
    """A device id of its own: the server remembers, per process, when it last noted a client."""
    return f"board-{uuid4().hex}"


def assigned(api, username: str, *steps: str, **fields) -> dict:
    order = api.create(**fields)
    api.step("dispatcher", order["id"], "dispatch", assignee_id=api.world.uid(username))
    for step in steps:
        api.step(username, order["id"], step)
    return order


def board(api, username: str = "dispatcher") -> dict[str, dict]:
    response = api.get(username, BOARD)
    assert response.status_code == 200, response.text
    return {row["name"]: row for row in response.json()["people"]}


def sync(api, path: str, username: str, pending: int, **kwargs):
    headers = {**api.headers(username), "X-Outbox-Pending": str(pending)}
    if path == "push":
        response = api.client.post("/api/sync/push", json=kwargs, headers=headers)
    else:
        response = api.client.get("/api/sync/pull", params=kwargs, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def test_board_shows_who_is_on_site_en_route_or_idle_with_their_load(api):
    at(0)
    travelling = assigned(api, "tech2", "accept", "start-travel")
    at(5)
    on_site = assigned(api, "tech2b", "accept", "start-travel", "arrive")
    waiting = assigned(api, "tech2b")
    rows = board(api)
    li, zhou, zhang = rows["李维修"], rows["周维修"], rows["张安装"]
    assert li["where"] == {**li["where"], "status": "en_route", "order_code": travelling["code"]}
    assert li["load"] == 1
    assert zhou["where"] == {**zhou["where"], "status": "on_site", "order_code": on_site["code"]}
    assert zhou["load"] == 2 and set(zhou["orders"]) == {on_site["code"], waiting["code"]}
    assert zhou["last_event_at"].startswith("2026-11-23T02:05")
    assert (
        zhang["where"]["status"] == "idle" and zhang["load"] == 0 and zhang["last_event_at"] is None
    )
    assert zhang["contact"] == {
        "last_contact_at": None,
        "last_pull_at": None,
        "last_push_at": None,
        "outbox_pending": 0,
        "devices": 0,
    }
    # Office staff are not on the board.
    assert "王调度" not in rows and "陈录入" not in rows
    # Closing the trip's order (sent back here) leaves the technician idle.
    api.step("dispatcher", travelling["id"], "transfer", assignee_id=api.world.uid("tech2b"))
    assert board(api)["李维修"]["where"]["status"] == "idle"


def test_devices_report_their_last_contact_and_unsynced_actions(api):
    at(0)
    order = assigned(api, "tech2")
    client = new_client()
    # Three actions queued offline; the first push carries two of them.
    at(10)
    sync(
        api,
        "push",
        "tech2",
        3,
        client_id=client,
        mutations=[
            mutation(1, "accept", order["id"], 1),
            mutation(2, "start_travel", order["id"], 2),
        ],
    )
    li = board(api)["李维修"]
    assert li["contact"]["outbox_pending"] == 1
    assert li["contact"]["last_push_at"].startswith("2026-11-23T02:10")
    assert li["where"]["status"] == "en_route"
    # Its pull reports the outbox as it then is; that pull is the last contact.
    at(11)
    sync(api, "pull", "tech2", 1, client_id=client)
    contact = board(api)["李维修"]["contact"]
    assert contact["last_pull_at"].startswith("2026-11-23T02:11")
    assert contact["last_contact_at"] == contact["last_pull_at"] and contact["devices"] == 1
    # Pulls within the minute write nothing; the next one after it does.
    at(11, seconds=30)
    sync(api, "pull", "tech2", 7, client_id=client)
    assert board(api)["李维修"]["contact"] == contact
    at(12, seconds=1)
    sync(api, "pull", "tech2", 0, client_id=client)
    contact = board(api)["李维修"]["contact"]
    assert contact["outbox_pending"] == 0 and contact["last_pull_at"].startswith(
        "2026-11-23T02:12:01"
    )


def test_a_device_that_only_pulls_is_known_from_its_first_pull(api):
    at(0)
    client = new_client()
    sync(api, "pull", "tech1", 0, client_id=client)
    contact = board(api)["张安装"]["contact"]
    assert contact["devices"] == 1 and contact["last_pull_at"].startswith("2026-11-23T02:00")
    # Another user's pull with that client id changes nothing of it.
    at(5)
    sync(api, "pull", "tech2", 4, client_id=client)
    assert board(api)["张安装"]["contact"] == contact
    assert board(api)["李维修"]["contact"]["devices"] == 0


def test_suggestions_follow_the_routing_matrix_area_and_load(api):
    at(0)
    assigned(api, "tech2", "accept", "start-travel")
    assigned(api, "tech2", "accept")
    order = api.create()  # a repair for a two-way customer in the world's area
    response = api.get("dispatcher", f"/api/work-orders/{order['id']}/suggestions")
    assert response.status_code == 200, response.text
    candidates = response.json()["candidates"]
    # Repair teams on the two-way network only: not the install team, not the one-way repair team.
    assert [c["name"] for c in candidates] == ["周维修", "郑代维", "李维修"]
    li = candidates[-1]
    assert (li["load"], li["where"]["status"], li["in_area"], li["current"]) == (
        2,
        "en_route",
        True,
        False,
    )
    # Dispatching the first suggestion works, and it is then marked as the holder.
    api.step("dispatcher", order["id"], "dispatch", assignee_id=candidates[0]["id"])
    again = api.get("supervisor", f"/api/work-orders/{order['id']}/suggestions").json()[
        "candidates"
    ]
    assert [c["current"] for c in again if c["name"] == "周维修"] == [True]


@pytest.mark.parametrize("username", ["tech2", "contractor1", "agent", "backoffice"])
def test_only_dispatchers_and_supervisors_see_the_board_and_suggestions(api, username):
    order = api.create()
    assert api.get(username, BOARD).status_code == 403
    assert api.get(username, f"/api/work-orders/{order['id']}/suggestions").status_code == 403


def test_bad_requests_are_problems(api):
    missing = api.get("dispatcher", "/api/work-orders/999999/suggestions", lang="en")
    assert missing.status_code == 404 and missing.headers["content-type"].startswith(
        "application/problem+json"
    )
    for bad in ("-1", "many", "99999999999"):
        response = api.client.get(
            "/api/sync/pull",
            params={"client_id": new_client()},
            headers={**api.headers("tech2"), "X-Outbox-Pending": bad},
        )
        assert response.status_code == 400, (bad, response.text)
