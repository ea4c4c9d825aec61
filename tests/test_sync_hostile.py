"""Sync as a new client author, or a hostile one, meets it: pages that end inside one version,
cursors issued under a short tombstone window, malformed cursors and client ids, device times
off the calendar, floods of junk mutations and oversized arguments (issue 13)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from db.engine import write_transaction
from db.sync_tables import SyncClient, SyncMutation
from domain.lifecycle import Action
from services.work_orders import schemas as s
from services.work_orders import service
from sync.mutations import REFUSED_UNREAD
from sync.pull import purge_tombstones
from tests.conftest import run
from tests.test_sync import CLIENT, assigned, mutation, pull, push
from tests.test_work_orders import at


def pull_all(api, cursor=None, limit=2, username="tech2"):
    """Pull page after page as a device does; returns (orders seen, removed, final cursor, pages)."""
    orders, removed, pages = {}, set(), 0
    while True:
        page = pull(api, username, cursor=cursor, limit=limit)
        assert not page["reset"], "a cursor the server just issued is never reset"
        for order in page["orders"]:
            orders[order["id"]] = order
            removed.discard(order["id"])
        for order_id in page["removed"]:
            orders.pop(order_id, None)
            removed.add(order_id)
        cursor, pages = page["cursor"], pages + 1
        if not page["more"]:
            return orders, removed, cursor, pages


def bulk_step(api, order_ids, action, body):
    """An office step on many orders in one transaction: one sync version for all of them."""

    async def steps() -> None:
        async with write_transaction():
            for order_id in order_ids:
                await service.apply_step(api.world.users["dispatcher"], order_id, action, body)

    run(steps())


@pytest.mark.parametrize("limit", [1, 2, 3, 7])
def test_a_push_batch_touching_more_orders_than_a_page_loses_none(api, limit):
    """tech2 pushes one batch with a note on each of 8 orders: one sync version for all. Paged
    pulls (incremental and snapshot) deliver every one of them with its note."""
    at(0)
    mine = [assigned(api) for _ in range(8)]
    before, _, cursor, _ = pull_all(api, limit=limit)
    assert set(before) == set(mine)
    push(
        api,
        [
            mutation(i + 1, "add_note", order_id, 1, text=f"备注{i}")
            for i, order_id in enumerate(mine)
        ],
    )
    changed, _, _, pages = pull_all(api, cursor=cursor, limit=limit)
    assert set(changed) == set(mine)
    assert all(o["history"][-1]["payload"]["text"].startswith("备注") for o in changed.values())
    assert pages == -(-8 // limit)  # ceil: exactly the pages needed, the last says more: false
    snapshot, _, _, _ = pull_all(api, limit=limit)
    assert set(snapshot) == set(mine)


def test_an_office_step_removing_many_orders_at_once_pages_its_removals(api):
    """A dispatcher moves 5 of tech2's 7 orders to tech2b in one transaction (one version) and
    urges the other 2 in another: a paged pull removes the 5 and delivers the 2."""
    at(0)
    mine = [assigned(api) for _ in range(7)]
    _, _, cursor, _ = pull_all(api, limit=2)
    bulk_step(api, mine[:5], Action.transfer, s.Transfer(assignee_id=api.world.uid("tech2b")))
    bulk_step(api, mine[5:], Action.urge, s.Step())
    orders, removed, _, _ = pull_all(api, cursor=cursor, limit=1)
    assert removed == set(mine[:5]) and set(orders) == set(mine[5:])
    theirs, _, _, _ = pull_all(api, username="tech2b", limit=2)
    assert set(theirs) == set(mine[:5])


def test_a_paged_snapshot_finishes_under_a_short_tombstone_window(api):
    """SYNC_TOMBSTONE_DAYS=0: every removal is purged at the next upkeep. The pages of a snapshot
    started after that purge, and one interrupted by another purge, still finish without reset."""
    at(0)
    mine = [assigned(api) for _ in range(4)]
    moved = assigned(api)
    api.step("dispatcher", moved, "transfer", assignee_id=api.world.uid("tech2b"))
    at(2 * 60)
    api.log_in_again()
    assert (
        run(purge_tombstones(timedelta(0))) > 0
    )  # the purge mark is now above the orders' versions
    first = pull(api, limit=1)
    assert not first["reset"] and first["more"]
    # Between pages: an order leaves, the upkeep purges again (nothing young enough to matter).
    api.step("dispatcher", mine[0], "transfer", assignee_id=api.world.uid("tech2b"))
    run(purge_tombstones(timedelta(0)))
    orders, removed, _, _ = pull_all(api, cursor=first["cursor"], limit=1)
    held = {o["id"] for o in first["orders"]} | set(orders)
    held -= removed
    assert held == set(mine[1:])


@pytest.mark.parametrize(
    "cursor",
    [
        "v1.5\n",
        "v1.٣",
        "v1.５",
        "v1.05",
        "v1.-1",
        " v1.5",
        "v2.3.4",
        "v2.3.4.0",
        "v2.3.5.1",
        "v2.5.3.1\n",
        "v2.5.3.2147483647",
        "v2.5.3.99999999999",
        "v2.٣.1.1",
        "v1.1234567890123456789",
    ],
)
def test_a_malformed_cursor_is_a_bad_request(api, cursor):
    at(0)
    assigned(api)
    response = api.client.get(
        "/api/sync/pull", params={"cursor": cursor}, headers=api.headers("tech2")
    )
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "sync.bad_cursor"


def test_a_cursor_of_an_installed_app_still_works(api):
    """`v1.N` cursors, as every installed phone holds them: after version N, from the start of N + 1."""
    at(0)
    mine = [assigned(api) for _ in range(3)]
    cursor = pull(api)["cursor"]
    assert cursor.startswith("v1.")
    push(
        api, [mutation(i + 1, "add_note", order_id, 1, text="x") for i, order_id in enumerate(mine)]
    )
    page = pull(api, cursor=cursor, limit=2)
    assert page["more"] and len(page["orders"]) == 2
    rest, _, final, _ = pull_all(api, cursor=page["cursor"], limit=2)
    assert {o["id"] for o in page["orders"]} | set(rest) == set(mine)
    assert final.startswith("v1.")  # a finished pull hands back the plain cursor


@pytest.mark.parametrize("client_id", ["short", "x" * 65, "phone 0001", "phone-٣٣٣٣٣٣"])
def test_a_pull_with_a_bad_client_id_is_refused_and_creates_no_client(api, client_id):
    at(0)
    response = api.client.get(
        "/api/sync/pull", params={"client_id": client_id}, headers=api.headers("tech2")
    )
    assert response.status_code == 400, response.text
    body = response.json()
    assert "client_id" in response.text and "Error" not in response.text and body["status"] == 400
    assert run(SyncClient.count()) == 0


@pytest.mark.parametrize("device_time", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
def test_a_device_time_off_the_calendar_is_a_bad_request_naming_the_field(api, device_time):
    at(0)
    order_id = assigned(api)
    response = api.client.post(
        "/api/sync/push",
        headers=api.headers("tech2"),
        json={
            "client_id": CLIENT,
            "mutations": [
                {
                    "id": 1,
                    "name": "accept",
                    "args": {"order_id": order_id},
                    "device_time": device_time,
                }
            ],
        },
    )
    assert response.status_code == 400, response.text
    assert "device_time" in response.text
    assert "OverflowError" not in response.text and "Error" not in response.text
    assert api.get("dispatcher", f"/api/work-orders/{order_id}").json()["state"] == "dispatched"


def test_a_rejected_mutation_keeps_a_bounded_copy_of_what_was_sent(api):
    """A 2.4 MB note is refused like the API refuses it (over 2,000 characters); the conflict keeps
    a bounded copy, not megabytes."""
    at(0)
    order_id = assigned(api)
    result = push(
        api,
        [
            mutation(1, "add_note", order_id, 1, text="长" * 800_000),
            mutation(2, "teleport", order_id, 2, junk=["x" * 100_000] * 20),
        ],
    )
    assert [r["status"] for r in result["results"]] == ["rejected", "rejected"]
    conflicts = api.get("dispatcher", "/api/sync/conflicts")
    assert len(conflicts.content) < 40_000
    kept = {c["name"]: c["args"] for c in conflicts.json()}
    assert kept["add_note"]["order_id"] == order_id and kept["add_note"]["text"].startswith("长")
    assert kept["teleport"]["order_id"] == order_id


def test_conflicts_page_filter_and_survive_a_flood(api):
    """One phone pushes 1,000 junk mutations; another technician's real rejection is still found
    (by technician, by order, or paging), and the flood's share of what is kept is bounded."""
    at(0)
    order_id = assigned(api)
    other = assigned(api, "tech2b")
    api.step("dispatcher", other, "transfer", assignee_id=api.world.uid("tech2"))
    real = push(
        api,
        [mutation(1, "add_note", other, 1, text="真实的备注")],
        username="tech2b",
        client_id="phone-of-tech2b-01",
    )
    assert real["results"][0]["status"] == "rejected"
    flood = push(api, [mutation(i, "teleport", order_id, 1) for i in range(1, 1001)])
    assert flood["last_mutation_id"] == 1000  # the phone's queue moves on
    assert push(api, [mutation(1001, "accept", order_id, 2)])["results"][0]["status"] == "applied"

    def listing(**params):
        response = api.get("dispatcher", "/api/sync/conflicts", params=params)
        assert response.status_code == 200, response.text
        return response.json()

    found = listing(technician_id=api.world.uid("tech2b"))
    assert [c["args"]["text"] for c in found] == ["真实的备注"]
    assert [c["order_id"] for c in listing(order_id=other)] == [other]
    # Paged newest first: walking the pages reaches the real one; no page over the limit.
    seen, offset = [], 0
    while True:
        page = listing(limit=50, offset=offset)
        assert len(page) <= 50
        seen += page
        if len(page) < 50:
            break
        offset += 50
    assert "真实的备注" in [c["args"].get("text") for c in seen]
    assert "accept" not in {c["name"] for c in seen}  # applied mutations are no conflicts
    flooded = [c for c in seen if c["client_id"] == CLIENT]
    assert 0 < len(flooded) <= 200  # one device's junk is bounded
    assert len(seen) == len({c["id"] for c in seen})
    # Handled ones are filtered out by default and found with handled=true.
    first = found[0]["id"]
    assert (
        api.client.post(
            f"/api/sync/conflicts/{first}/resolve", json={}, headers=api.headers("dispatcher")
        ).status_code
        == 204
    )
    assert listing(technician_id=api.world.uid("tech2b")) == []
    assert [c["id"] for c in listing(technician_id=api.world.uid("tech2b"), handled="true")] == [
        first
    ]
    assert api.get("dispatcher", "/api/sync/conflicts", params={"limit": 0}).status_code == 400


def test_a_devices_own_junk_cannot_hide_its_real_rejection(api):
    """tech2's note on an order just transferred away is rejected; then the same phone floods
    1,000 junk mutations. The real rejection is still listed, filtered or not, and of the junk
    only the newest are kept."""
    at(0)
    order_id = assigned(api)
    api.step("dispatcher", order_id, "transfer", assignee_id=api.world.uid("tech2b"))
    real = push(api, [mutation(1, "add_note", order_id, 1, text="客户要求改约")])
    assert real["results"][0]["reason_code"] == "sync.reassigned"
    junk = [
        mutation(i, "teleport", order_id, 1) if i % 2 else mutation(i, "add_note", order_id, 1)
        for i in range(2, 1002)
    ]  # unknown names, and notes without their text
    flood = push(api, junk)
    assert {r["reason_code"] for r in flood["results"]} == {
        "sync.unknown_mutation",
        "sync.invalid_args",
    }

    def notes(**params):
        response = api.get("dispatcher", "/api/sync/conflicts", params=params)
        assert response.status_code == 200, response.text
        return [c["args"].get("text") for c in response.json()]

    assert notes(order_id=order_id, limit=500) == [None] * 100 + ["客户要求改约"]
    assert notes(order_id=order_id, include_resolved="true", limit=500)[-1] == "客户要求改约"
    assert notes(technician_id=api.world.uid("tech2"), limit=500)[-1] == "客户要求改约"
    assert notes(limit=500)[-1] == "客户要求改约"
    kept = run(
        SyncMutation.select(SyncMutation.mutation_id)
        .where(SyncMutation.reason_key.is_in(list(REFUSED_UNREAD)))
        .order_by(SyncMutation.mutation_id)
    )
    assert [r["mutation_id"] for r in kept] == list(range(902, 1002))  # the newest 100 of the junk


@pytest.mark.parametrize("engine_name", ["postgres"])
def test_a_version_of_three_pages_pulled_while_writers_commit(api, db, engine_name):
    """One transaction stamps 15 of tech2's orders with one version (3 × the page limit of 5).
    The phone pulls page by page while three other writers keep committing changes to 6 of those
    orders: when it is done it holds every order of its scope, each as the server has it."""
    import asyncio

    from db.tables import WorkOrder
    from sync.pull import pull as pull_changes

    at(0)
    mine = [assigned(api) for _ in range(15)]
    tech = api.world.users["tech2"]
    cursor = pull(api)["cursor"]
    bulk_step(api, mine, Action.urge, s.Step())
    stamped = run(WorkOrder.select(WorkOrder.sync_version).where(WorkOrder.id.is_in(mine)))
    assert len({o["sync_version"] for o in stamped}) == 1
    agent = api.world.users["agent"]

    async def scenario() -> dict[int, int]:
        writing = asyncio.Event()
        held: dict[int, int] = {}

        async def writer(order_ids: list[int]) -> None:
            for order_id in order_ids:
                await service.retrying(
                    lambda order_id=order_id: service.apply_step(
                        agent, order_id, Action.urge, s.Step()
                    )
                )
                writing.set()
                await asyncio.sleep(0)

        writers = [
            asyncio.create_task(writer(mine[i : i + 2])) for i in (0, 2, 4)
        ]  # 6 of the 15 change again
        position, pages = cursor, 0
        await writing.wait()
        while True:  # page by page while the writers commit
            page = await pull_changes(tech, position, None, 5, "zh-CN")
            assert not page.reset
            held.update({o.id: o.version for o in page.orders})
            position, pages = page.cursor, pages + 1
            if not page.more and all(w.done() for w in writers):
                break
            await asyncio.sleep(0)
        await asyncio.gather(*writers)
        final = await pull_changes(tech, position, None, 5, "zh-CN")  # nothing may be left behind
        assert final.orders == [] and not final.more
        assert pages >= 3
        return held

    held = run(scenario())
    server = run(WorkOrder.select(WorkOrder.id, WorkOrder.version).where(WorkOrder.id.is_in(mine)))
    assert held == {o["id"]: o["version"] for o in server}
