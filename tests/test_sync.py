"""The sync protocol over HTTP: snapshot and incremental pulls, pushes applied exactly once,
rejections with reasons, removals, reference data, resets, compression."""

from __future__ import annotations

import gzip
from datetime import timedelta

import asyncpg
import pytest

import servertime
from db.sync_tables import SyncMutation
from sync.pull import purge_tombstones
from tests.conftest import run
from tests.evidence_fixtures import evidence_dir  # noqa: F401 (fixture)
from tests.test_work_orders import T0, at

CLIENT = "phone-of-tech2-0001"


def pull(api, username="tech2", cursor=None, client_id=CLIENT, **params):
    query = {"client_id": client_id, **params}
    if cursor:
        query["cursor"] = cursor
    response = api.client.get("/api/sync/pull", params=query, headers=api.headers(username))
    assert response.status_code == 200, response.text
    return response.json()


def push(api, mutations, username="tech2", client_id=CLIENT, lang=None, **envelope):
    response = api.client.post(
        "/api/sync/push",
        json={"client_id": client_id, "mutations": mutations, **envelope},
        headers=api.headers(username, lang),
    )
    assert response.status_code == 200, response.text
    return response.json()


def mutation(id_, name, order_id, minutes=0, **args):
    return {
        "id": id_,
        "name": name,
        "args": {"order_id": order_id, **args},
        "device_time": (T0 + timedelta(minutes=minutes)).isoformat(),
    }


def assigned(api, username="tech2", **fields):
    order = api.create(**fields)
    api.step("dispatcher", order["id"], "dispatch", assignee_id=api.world.uid(username))
    return order["id"]


def test_snapshot_then_incremental_pull(api):
    at(0)
    mine = [assigned(api) for _ in range(3)]
    other = assigned(api, "tech2b")
    snapshot = pull(api)
    assert {o["id"] for o in snapshot["orders"]} == set(mine)
    assert snapshot["reference"]["materials"] and snapshot["reference"]["clock_policies"]
    assert snapshot["more"] is False and snapshot["removed"] == []
    order = snapshot["orders"][0]
    assert order["customer"]["phone"] and order["history"] and order["clocks"]
    # Nothing changed: an empty answer with the same cursor, no reference data.
    again = pull(api, cursor=snapshot["cursor"])
    assert again == {**again, "orders": [], "removed": [], "results": [], "reference": None}
    assert again["cursor"] == snapshot["cursor"]
    # A change to one of mine arrives; a change to someone else's does not.
    api.step("agent", mine[1], "urge")
    api.step("agent", other, "urge")
    changed = pull(api, cursor=snapshot["cursor"])
    assert [o["id"] for o in changed["orders"]] == [mine[1]]
    assert changed["orders"][0]["urge_count"] == 1


def test_pages_never_split_and_never_skip(api):
    at(0)
    mine = {assigned(api) for _ in range(5)}
    seen, cursor, pages = set(), None, 0
    while True:
        page = pull(api, cursor=cursor, limit=2)
        seen |= {o["id"] for o in page["orders"]}
        cursor, pages = page["cursor"], pages + 1
        if not page["more"]:
            break
    assert seen == mine and pages == 3


def test_push_applies_once_replays_answer_the_same_and_gaps_are_refused(api):
    at(0)
    order_id = assigned(api)
    batch = [
        mutation(1, "accept", order_id, 1),
        mutation(2, "contact", order_id, 2),
        mutation(3, "add_note", order_id, 3, text="客户要求下午上门"),
    ]
    first = push(api, batch)
    assert first["last_mutation_id"] == 3
    assert [r["status"] for r in first["results"]] == ["applied"] * 3
    replay = push(api, batch)
    assert replay == first
    detail = api.get("dispatcher", f"/api/work-orders/{order_id}").json()
    assert [e["action"] for e in detail["history"]].count("note") == 1
    assert detail["state"] == "contacted"
    contact = [e for e in detail["history"] if e["action"] == "contact"][0]
    assert contact["device_time"].startswith("2026-11-23T02:02:00")
    gap = push(api, [mutation(5, "arrive", order_id, 5)])
    assert gap["last_mutation_id"] == 3 and gap["results"][0]["status"] == "gap"
    assert api.get("dispatcher", f"/api/work-orders/{order_id}").json()["state"] == "contacted"


def test_a_server_restored_behind_the_phone_skips_the_lost_ids_and_applies_the_queue_once(api, db):
    """The server's database comes back from a backup taken after mutation 1: it has forgotten 2
    and 3, which the phone already settled. The phone's queue (4, 5) is no gap for ever: the push
    says what the phone settled, the server skips the ids it lost and applies 4 and 5 once."""
    from db.sync_tables import SyncClient
    from db.tables import AuditEntry

    at(0)
    order_id = assigned(api)
    push(
        api,
        [
            mutation(1, "accept", order_id, 1),
            mutation(2, "contact", order_id, 2),
            mutation(3, "add_note", order_id, 3, text="旧备注"),
        ],
    )
    client = run(SyncClient.select().where(SyncClient.client_id == CLIENT).first())
    run(SyncClient.update({SyncClient.last_mutation_id: 1}).where(SyncClient.id == client["id"]))
    run(
        SyncMutation.delete().where(
            (SyncMutation.client == client["id"]) & (SyncMutation.mutation_id > 1)
        )
    )
    queue = [
        mutation(4, "add_note", order_id, 4, text="光猫已更换"),
        mutation(5, "arrive", order_id, 5),
    ]

    stuck = push(api, queue)  # an app that does not say what it settled: refused, as before
    assert stuck["last_mutation_id"] == 1 and {r["status"] for r in stuck["results"]} == {"gap"}

    recovered = push(api, queue, first_unsettled=4)
    assert recovered["last_mutation_id"] == 5
    assert [(r["id"], r["status"]) for r in recovered["results"]] == [
        (4, "applied"),
        (5, "applied"),
    ]
    assert push(api, queue, first_unsettled=4) == recovered  # its answer lost: the retry replays
    # A late copy of a request from before the restore cannot apply anything under the old ids.
    late = push(
        api,
        [mutation(2, "contact", order_id, 2), mutation(3, "add_note", order_id, 3, text="旧备注")],
        first_unsettled=2,
    )
    assert late["last_mutation_id"] == 5 and late["results"] == []

    detail = api.get("dispatcher", f"/api/work-orders/{order_id}").json()
    notes = [e["payload"]["text"] for e in detail["history"] if e["action"] == "note"]
    assert notes.count("光猫已更换") == 1 and notes.count("旧备注") == 1
    assert detail["state"] == "on_site"
    skipped = run(
        AuditEntry.select()
        .where(AuditEntry.action == "sync.lost_mutations_skipped")
        .output(load_json=True)
    )
    assert [(e["target"], e["payload"], e["actor"]) for e in skipped] == [
        (CLIENT, {"from": 2, "to": 3}, api.world.uid("tech2"))
    ]


def test_a_lost_answer_never_makes_the_server_skip(api):
    """The phone's first unsettled id is at most the server's next: a retry after a lost answer
    replays what was applied and skips nothing."""
    at(0)
    order_id = assigned(api)
    batch = [
        mutation(1, "accept", order_id, 1),
        mutation(2, "add_note", order_id, 2, text="到楼下了"),
    ]
    first = push(api, batch, first_unsettled=1)
    assert push(api, batch, first_unsettled=1) == first
    following = push(api, [mutation(3, "contact", order_id, 3)], first_unsettled=3)
    assert following["last_mutation_id"] == 3 and following["results"][0]["status"] == "applied"


def test_a_batch_below_its_own_first_unsettled_is_refused_not_skipped(api):
    """Saying `first_unsettled` above an id it sends would make the server skip that mutation:
    refused as a bad request, nothing applied, the ids untouched."""
    at(0)
    order_id = assigned(api)
    response = api.client.post(
        "/api/sync/push",
        headers=api.headers("tech2"),
        json={
            "client_id": CLIENT,
            "first_unsettled": 3,
            "mutations": [
                mutation(1, "accept", order_id, 1),
                mutation(2, "add_note", order_id, 2, text="到楼下了"),
            ],
        },
    )
    assert (
        response.status_code == 400
        and response.json()["code"] == "sync.first_unsettled_after_batch"
    )
    assert api.get("dispatcher", f"/api/work-orders/{order_id}").json()["state"] == "dispatched"
    assert push(api, [mutation(1, "accept", order_id, 1)])["last_mutation_id"] == 1


def test_rejection_names_who_took_the_order_and_keeps_what_was_typed(api):
    at(0)
    order_id = assigned(api)
    cursor = pull(api)["cursor"]
    push(api, [mutation(1, "accept", order_id, 1)])
    at(42)
    api.step("dispatcher", order_id, "transfer", assignee_id=api.world.uid("tech2b"))
    at(50)
    result = push(
        api,
        [
            mutation(2, "add_note", order_id, 45, text="楼道分支器已更换"),
            mutation(3, "contact", order_id, 46),
        ],
        lang="zh-CN",
    )
    assert result["last_mutation_id"] == 3  # a rejection never blocks the queue
    note, contact = result["results"]
    assert note["status"] == "rejected" and note["reason_code"] == "sync.reassigned"
    assert "周维修" in note["reason"] and "11-23 10:42" in note["reason"]
    assert contact["status"] == "rejected"
    # The next pull removes the order and carries the outcomes.
    later = pull(api, cursor=cursor)
    assert later["removed"] == [order_id] and later["orders"] == []
    # …saying why, for the notice the phone shows in its place ("GD… 已于 10:42 改派给 周维修").
    [removal] = later["removals"]
    assert (removal["id"], removal["reason"], removal["assignee_name"]) == (
        order_id,
        "reassigned",
        "周维修",
    )
    assert removal["code"].startswith("GD") and removal["at"].startswith("2026-11-23T02:42")
    assert [r["id"] for r in later["results"]] == [1, 2, 3]
    # The dispatcher sees the note the technician typed, and what to do about it.
    conflicts = api.get("dispatcher", "/api/sync/conflicts").json()
    kept = [c for c in conflicts if c["name"] == "add_note"][0]
    assert kept["args"]["text"] == "楼道分支器已更换" and kept["technician"] == "李维修"
    assert kept["what_to_do"]
    assert api.get("tech2", "/api/sync/conflicts").status_code == 403
    resolved = api.client.post(
        f"/api/sync/conflicts/{kept['id']}/resolve",
        json={"note": "已转周师傅"},
        headers=api.headers("dispatcher"),
    )
    assert resolved.status_code == 204
    assert kept["id"] not in {c["id"] for c in api.get("dispatcher", "/api/sync/conflicts").json()}


def test_a_batch_sees_its_own_earlier_mutations(api):
    """Within one batch each mutation is decided against the order as the ones before it left
    it: accept then arrive applies; after the device's own reject a note is refused with that
    reason; a refused close in the middle changes nothing and the history holds exactly the
    applied steps, once each."""
    at(0)
    worked, rejected = assigned(api), assigned(api)
    at(10)
    result = push(
        api,
        [
            mutation(1, "accept", worked, 1),
            mutation(2, "start_travel", worked, 2),
            mutation(3, "close", worked, 3, closure_category="x"),
            mutation(4, "arrive", worked, 4),
            mutation(5, "add_note", worked, 5, text="已到场"),
            mutation(6, "reject", rejected, 6, reason="不在我片区"),
            mutation(7, "add_note", rejected, 7, text="迟到的备注"),
        ],
        lang="en",
    )
    statuses = {r["id"]: (r["status"], r["reason_code"]) for r in result["results"]}
    assert [statuses[i][0] for i in (1, 2, 4, 5, 6)] == ["applied"] * 5
    assert statuses[3][0] == "rejected"
    assert statuses[7] == ("rejected", "sync.you_rejected")
    order = api.get("dispatcher", f"/api/work-orders/{worked}").json()
    assert order["state"] == "on_site"
    assert [e["action"] for e in order["history"]][-4:] == [
        "accept",
        "start_travel",
        "arrive",
        "note",
    ]
    assert [e["seq"] for e in order["history"]] == list(range(1, len(order["history"]) + 1))
    assert api.get("dispatcher", f"/api/work-orders/{rejected}").json()["assignee"] is None


def test_malformed_and_unknown_mutations_are_rejected_and_kept(api):
    at(0)
    order_id = assigned(api)
    result = push(
        api,
        [
            mutation(1, "close", order_id, 1, outcome="resolved"),  # closure_category missing
            mutation(2, "teleport", order_id, 2),
            mutation(3, "accept", order_id, 3),
        ],
        lang="en",
    )
    statuses = [r["status"] for r in result["results"]]
    assert statuses == ["rejected", "rejected", "applied"]
    assert result["results"][1]["reason"] == "Unknown offline action teleport."
    rows = run(
        SyncMutation.select(SyncMutation.name, SyncMutation.args)
        .order_by(SyncMutation.mutation_id)
        .output(load_json=True)
    )
    assert rows[0]["args"] == {"order_id": order_id, "outcome": "resolved"}


def test_a_client_belongs_to_one_user(api):
    at(0)
    assigned(api)
    push(api, [])
    response = api.client.post(
        "/api/sync/push", json={"client_id": CLIENT, "mutations": []}, headers=api.headers("tech2b")
    )
    assert response.status_code == 403


def test_policy_change_resends_reference_data(api):
    at(0)
    cursor = pull(api)["cursor"]
    assert pull(api, cursor=cursor)["reference"] is None
    api.post("supervisor", "/api/policies/clocks", {"clock": "dispatch", "minutes": 8})
    changed = pull(api, cursor=cursor)
    assert any(p["minutes"] == 8 for p in changed["reference"]["clock_policies"])


def test_cursor_older_than_the_tombstones_resets(api):
    at(0)
    order_id = assigned(api)
    cursor = pull(api)["cursor"]
    api.step("dispatcher", order_id, "transfer", assignee_id=api.world.uid("tech2b"))
    servertime.travel_to(T0 + timedelta(days=40))
    api.log_in_again()
    assert run(purge_tombstones(timedelta(days=30))) == 3  # added for tech2, moved to tech2b
    assert pull(api, cursor=cursor)["reset"] is True
    assert pull(api, cursor="v1.999999")["reset"] is True
    bad = api.client.get(
        "/api/sync/pull", params={"cursor": "yesterday"}, headers=api.headers("tech2")
    )
    assert bad.status_code == 400


def test_pulls_are_compressed(api):
    at(0)
    for _ in range(4):
        assigned(api)
    response = api.client.get(
        "/api/sync/pull", headers={**api.headers("tech2"), "Accept-Encoding": "gzip"}
    )
    assert response.headers["content-encoding"] == "gzip"
    assert len(response.content) > 0
    raw = api.client.get(
        "/api/sync/pull", headers={**api.headers("tech2"), "Accept-Encoding": "identity"}
    )
    assert "content-encoding" not in raw.headers
    assert len(gzip.compress(raw.content)) < len(raw.content) / 3


def test_a_change_committed_late_is_still_delivered(api, db):
    """Writer A takes a sync version and is slow to commit; writer B changes another order
    meanwhile. A pull in between must not move its cursor past A's change, or A is skipped forever."""
    import asyncio

    from db import changes
    from db.engine import write_transaction
    from db.tables import WorkOrder
    from domain.lifecycle import Action
    from services.work_orders import schemas as s
    from services.work_orders import service
    from sync.pull import pull as pull_changes

    at(0)
    slow, fast = assigned(api), assigned(api)
    tech = api.world.users["tech2"]
    cursor = pull(api)["cursor"]

    async def scenario() -> None:
        holding, release = asyncio.Event(), asyncio.Event()

        async def slow_writer() -> None:
            async with write_transaction():
                version = await changes.next_version()
                await WorkOrder.update(
                    {WorkOrder.sync_version: version, WorkOrder.urge_count: 5}
                ).where(WorkOrder.id == slow)
                holding.set()
                await release.wait()

        async def fast_writer() -> None:
            await holding.wait()
            await service.retrying(
                lambda: service.apply_step(api.world.users["agent"], fast, Action.urge, s.Step())
            )

        writers = [asyncio.create_task(slow_writer()), asyncio.create_task(fast_writer())]
        await holding.wait()
        await asyncio.sleep(0.3)  # the fast writer is now in flight, as far as it can get
        during = await pull_changes(tech, cursor, None, 100, "zh-CN")
        assert during.orders == [] and during.cursor == cursor
        release.set()
        await asyncio.gather(*writers)
        after = await pull_changes(tech, during.cursor, None, 100, "zh-CN")
        assert {o.id for o in after.orders} == {slow, fast}

    asyncio.run(scenario())


def test_photo_attached_offline_is_pending_until_its_upload_arrives(api, evidence_dir):
    import uuid

    from tests.photos import photo
    from tests.test_evidence import upload

    at(0)
    order_id = assigned(api)
    cursor = pull(api)["cursor"]
    photo_id = str(uuid.uuid4())  # the phone names the upload before it starts
    attached = push(
        api,
        [
            mutation(
                1,
                "attach_photo",
                order_id,
                1,
                upload_id=photo_id,
                kind="after",
                caption="更换后的光猫",
            )
        ],
    )
    assert attached["results"][0]["status"] == "applied"
    pending = pull(api, cursor=cursor)
    assert pending["orders"][0]["evidence"]["photos_pending"] == 1
    upload(api, "tech2", photo(), id=photo_id)
    arrived = pull(api, cursor=pending["cursor"])
    assert [o["id"] for o in arrived["orders"]] == [order_id]
    assert arrived["orders"][0]["evidence"] == {
        **arrived["orders"][0]["evidence"],
        "photos": 1,
        "photos_pending": 0,
    }
    bad = push(
        api, [mutation(2, "attach_photo", order_id, 2, upload_id="not-a-uuid", kind="after")]
    )
    assert (
        bad["results"][0]["status"] == "rejected"
        and bad["results"][0]["reason_code"] == "sync.invalid_args"
    )


# SQLite's writers hold the whole database: no row locks to take out of order.
@pytest.mark.parametrize("engine_name", ["postgres"])
def test_a_change_beside_a_push_batch_takes_the_locks_in_the_same_order(api, db, engine_name):
    """A push batch locks its orders, then the sync clock. Another writer notes changes to two
    orders (an upload finishing for photos on both, an outage touching its orders) while the batch
    runs on one of them: it must not hold the clock while it waits for that order, or the two
    deadlock and PostgreSQL aborts one. Both commit, each change is delivered."""
    import asyncio

    from db import changes
    from db.engine import write_transaction
    from sync.pull import pull as pull_changes
    from sync.push import push as push_batch
    from sync.schemas import MutationIn, PushIn
    from tests.conftest import POSTGRES_URL

    at(0)
    batch_order, other_order = assigned(api), assigned(api)
    tech = api.world.users["tech2"]
    cursor = pull(api)["cursor"]
    batch = PushIn(
        client_id=CLIENT,
        mutations=[
            MutationIn(
                id=1,
                name="accept",
                args={"order_id": batch_order},
                device_time=T0 + timedelta(minutes=1),
            )
        ],
    )

    async def scenario() -> None:
        noted, go_on = asyncio.Event(), asyncio.Event()

        async def other_writer() -> None:
            async with write_transaction():
                await changes.order_changed(other_order)
                noted.set()
                await go_on.wait()
                await changes.order_changed(batch_order)

        async def waiting_for_a_lock() -> bool:
            watcher = await asyncpg.connect(POSTGRES_URL)
            try:
                return bool(
                    await watcher.fetchval(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
                    )
                )
            finally:
                await watcher.close()

        other = asyncio.create_task(other_writer())
        await noted.wait()
        pushing = asyncio.create_task(push_batch(tech, batch, "zh-CN"))
        # The batch runs until it is done or waits for a lock the other writer holds.
        for _ in range(200):
            if pushing.done() or await waiting_for_a_lock():
                break
            await asyncio.sleep(0.02)
        go_on.set()
        answer, _ = await asyncio.gather(pushing, other)
        assert [r.status for r in answer.results] == ["applied"]
        after = await pull_changes(tech, cursor, None, 100, "zh-CN")
        assert {o.id for o in after.orders} == {batch_order, other_order}
        assert {o.id: o.state for o in after.orders}[batch_order] == "accepted"

    asyncio.run(scenario())


# SQLite's writers hold the whole database: they cannot deadlock.
@pytest.mark.parametrize("engine_name", ["postgres"])
def test_a_transaction_aborted_to_break_a_deadlock_runs_again(api, db, engine_name):
    """Two writers lock two orders in opposite orders: PostgreSQL aborts one (40P01). `retrying`
    counts that as a race and runs the aborted transaction again; both writes land, once each."""
    import asyncio

    from db.tables import WorkOrder
    from services.work_orders.service import retrying

    at(0)
    first, second = assigned(api), assigned(api)

    async def scenario() -> dict[str, int]:
        attempts = {"a": 0, "b": 0}
        holding = {"a": asyncio.Event(), "b": asyncio.Event()}

        async def write(name: str, other: str, mine: int, theirs: int) -> None:
            attempts[name] += 1
            await WorkOrder.update({WorkOrder.urge_count: WorkOrder.urge_count + 1}).where(
                WorkOrder.id == mine
            )
            if attempts[name] == 1:  # the first time, each waits until the other holds its row
                holding[name].set()
                await holding[other].wait()
            await WorkOrder.update({WorkOrder.urge_count: WorkOrder.urge_count + 1}).where(
                WorkOrder.id == theirs
            )

        await asyncio.gather(
            retrying(lambda: write("a", "b", first, second)),
            retrying(lambda: write("b", "a", second, first)),
        )
        return attempts

    attempts = run(scenario())
    assert sorted(attempts.values()) == [1, 2]  # one of them was aborted and ran again
    counts = run(WorkOrder.select(WorkOrder.urge_count).where(WorkOrder.id.is_in([first, second])))
    assert [c["urge_count"] for c in counts] == [2, 2]


def close_by_appointment(api, order_id, day="2026-11-25"):
    api.step("tech2", order_id, "accept")
    return api.step(
        "tech2",
        order_id,
        "close",
        closure_category="repair",
        outcome="appointment",
        cause="客户不在家",
        solution="约定上门时间",
        result="待上门处理",
        appointment_date=day,
        appointment_half_day="am",
    )


def days_later(api, days, minutes=0):
    """Stand the clock `days` after T0; the tokens of T0 have expired by then."""
    at(days * 24 * 60 + minutes)
    api.log_in_again()


def test_a_closed_order_leaves_the_phone_days_after_closing_and_comes_back_when_reopened(api):
    from settings import settings
    from sync.housekeeping import upkeep

    keep = settings.sync_closed_order_days  # 3 by default
    at(0)
    closed, working = assigned(api), assigned(api)
    close_by_appointment(api, closed)
    cursor = pull(api)["cursor"]

    days_later(api, keep, minutes=-1)  # not yet: the phone keeps the closed job
    run(upkeep())
    assert pull(api, cursor=cursor)["removed"] == []
    assert {o["id"] for o in pull(api)["orders"]} == {closed, working}

    days_later(api, keep, minutes=1)
    # A fresh snapshot leaves it out at once, before housekeeping has sent any removal.
    assert {o["id"] for o in pull(api)["orders"]} == {working}
    assert pull(api, cursor=cursor)["removed"] == []
    run(upkeep())
    gone = pull(api, cursor=cursor)
    assert gone["removed"] == [closed] and gone["orders"] == []
    assert [(r["id"], r["reason"], r["assignee_name"]) for r in gone["removals"]] == [
        (closed, "closed", None)
    ]
    assert {o["id"] for o in pull(api)["orders"]} == {working}
    run(upkeep())  # removed once, not again every hour
    assert pull(api, cursor=gone["cursor"])["removed"] == []
    # The office still sees it, closed, with its technician.
    detail = api.get("dispatcher", f"/api/work-orders/{closed}").json()
    assert detail["state"] == "closed" and detail["assignee"]["id"] == api.world.uid("tech2")

    # Reopened and dispatched again: back on the phone; closed again, it leaves again later.
    api.step("dispatcher", closed, "reopen", reason="客户回访表示仍然断网")
    api.step("dispatcher", closed, "dispatch", assignee_id=api.world.uid("tech2"))
    back = pull(api, cursor=gone["cursor"])
    assert [(o["id"], o["state"]) for o in back["orders"]] == [(closed, "dispatched")]
    close_by_appointment(api, closed, day="2026-12-20")
    days_later(api, 2 * keep, minutes=2)
    run(upkeep())
    assert pull(api, cursor=back["cursor"])["removed"] == [closed]
