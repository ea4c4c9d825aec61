"""Offline sync under a hostile network, as a hypothesis-driven simulation.

Two technicians' phones queue actions offline and sync while requests are dropped, responses are
lost, batches are duplicated and reordered, a dispatcher reassigns orders underneath them (one by
one, or many in one transaction, i.e. one sync version), the server restarts and purges its
tombstones (hours later, or within the paging grace: a cursor the server issued within the grace,
a snapshot's page included, is never answered with reset). Phones pull with page limits from 1
upward, push batches that touch every order they hold (one version for all), and stop between
pages (a snapshot interrupted, resumed later). Afterwards, once the network heals: every mutation
was applied exactly once or rejected with a reason, each phone's local copy equals its server
scope, and no note, photo or signature was lost. SYNC_SIM_EXAMPLES sets the number of schedules
per engine (CI runs thousands). The model and its checks; one test file per engine, so that
pytest-xdist runs the two engines' simulations beside each other.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import servertime
from db.engine import write_transaction
from db.evidence_tables import OrderPhoto
from db.sync_tables import SyncClient, SyncMutation
from db.tables import WorkOrder, WorkOrderEvent
from domain.lifecycle import Action
from domain.vocabulary import Kind
from services.auth.schemas import Caller
from services.work_orders import schemas as s
from services.work_orders import service
from settings import settings as config
from sync.protocol import in_scope
from sync.pull import PAGING_GRACE, pull, purge_tombstones
from sync.push import push
from sync.schemas import MutationIn, PushIn
from tests.test_work_orders import T0
from tests.world import build_world

EXAMPLES = int(os.environ.get("SYNC_SIM_EXAMPLES", "200"))
TECHS = ("tech2", "tech2b")
ORDERS = 8
STROKES = [[[0, 0, 0], [5, 5, 10], [9, 2, 20]]]


@dataclass
class Phone:
    caller: Caller
    client_id: str
    cursor: str | None = None
    cursor_issued: datetime | None = None  # when the server answered with `cursor`
    orders: dict[int, s.OrderDetail] = field(default_factory=dict)
    outbox: list[dict] = field(default_factory=list)
    created: dict[int, dict] = field(default_factory=dict)
    outcomes: dict[int, str] = field(default_factory=dict)

    def queue(self, name: str, order_id: int, **args) -> None:
        mutation_id = len(self.created) + 1
        mutation = {
            "id": mutation_id,
            "name": name,
            "args": {"order_id": order_id, **args},
            "device_time": servertime.now() - timedelta(seconds=30),
        }
        self.created[mutation_id] = mutation
        self.outbox.append(mutation)

    def drop_copy(self) -> None:
        """Reinstalled, or told to reset: a snapshot follows (the outbox stays)."""
        self.orders, self.cursor, self.cursor_issued = {}, None, None

    def batch(self, mutations: list[dict]) -> PushIn:
        return PushIn(client_id=self.client_id, mutations=[MutationIn(**m) for m in mutations])

    def acknowledge(self, answer) -> None:
        for result in answer.results:
            if result.status != "gap":
                self.outcomes[result.id] = result.status
        self.outbox = [m for m in self.outbox if m["id"] > answer.last_mutation_id]


@dataclass
class World:
    phones: list[Phone]
    dispatcher: Caller
    order_ids: list[int]
    restart: object
    # Added to the schedule's clock: purges need removals older than the paging grace.
    elapsed: timedelta = timedelta(0)


# One step of a schedule: (what, which phone, which order, how the network behaves, page limit).
STEP = st.tuples(
    st.sampled_from(
        [
            "note",
            "contact",
            "arrive",
            "sign",
            "accept",
            "work",
            "photo",
            "note_all",
            "push",
            "push",
            "pull",
            "pull",
            "snapshot",
            "reassign",
            "bulk_reassign",
            "bulk_urge",
            "reorder",
            "restart",
            "purge",
            "purge_soon",
        ]
    ),
    st.integers(0, 1),
    st.integers(0, ORDERS - 1),
    st.sampled_from(["ok", "drop_request", "drop_response", "duplicate", "one_page"]),
    st.integers(1, ORDERS + 1),
)


async def _push(phone: Phone, fate: str, mutations: list[dict] | None = None) -> None:
    mutations = phone.outbox if mutations is None else mutations
    if fate == "drop_request":
        return
    answer = await push(phone.caller, phone.batch(mutations), "zh-CN")
    if fate == "duplicate":
        assert await push(phone.caller, phone.batch(mutations), "zh-CN") == answer
    if fate != "drop_response":
        phone.acknowledge(answer)


async def _pull(phone: Phone, fate: str, limit: int = 2) -> None:
    while True:
        answer = await pull(phone.caller, phone.cursor, phone.client_id, limit, "zh-CN")
        if fate == "drop_response":
            return
        if answer.reset:
            # Only a cursor older than the paging grace may be reset: one the server just issued
            # (a snapshot's page included) resumes, however short the tombstone window.
            assert servertime.now() - phone.cursor_issued > PAGING_GRACE, "a fresh cursor reset"
            phone.drop_copy()
            continue
        for order in answer.orders:
            phone.orders[order.id] = order
        for order_id in answer.removed:
            phone.orders.pop(order_id, None)
        for result in answer.results:
            phone.outcomes[result.id] = result.status
        phone.cursor, phone.cursor_issued = answer.cursor, servertime.now()
        if not answer.more or fate == "one_page":  # one_page: interrupted between pages
            return


async def _step(
    world: World, what: str, which: int, order_index: int, fate: str, limit: int, marker: str
) -> None:
    phone = world.phones[which]
    local = sorted(phone.orders) or world.order_ids
    target = local[order_index % len(local)]
    if what == "note":
        phone.queue("add_note", target, text=f"备注{marker}")
    elif what == "sign":
        phone.queue(
            "capture_signature",
            target,
            signer_name=f"客户{marker}",
            relation="account_holder",
            strokes=STROKES,
            satisfaction=5,
        )
    elif what == "photo":
        phone.queue(
            "attach_photo", target, upload_id=str(uuid.UUID(int=int(marker) + 1)), kind="after"
        )
    elif what == "note_all":  # one batch touching every order the phone holds: one version
        for order_id in local:
            phone.queue("add_note", order_id, text=f"批量{marker}-{order_id}")
    elif what == "work":
        phone.queue("record_work", target, work_done=f"施工{marker}", labour_hours=1)
    elif what in ("contact", "arrive", "accept"):
        phone.queue(what, target)
    elif what == "push":
        await _push(phone, fate)
    elif what == "reorder" and len(phone.outbox) >= 2:
        half = len(phone.outbox) // 2
        await _push(phone, "ok", phone.outbox[half:])  # the later batch overtakes the earlier
        await _push(phone, "ok", phone.outbox[:half])
    elif what == "pull":
        await _pull(phone, fate, limit)
    elif what == "snapshot":
        phone.drop_copy()
        await _pull(phone, fate, limit)
    elif what == "reassign":
        order = (
            await WorkOrder.select(WorkOrder.assignee)
            .where(WorkOrder.id == world.order_ids[order_index])
            .first()
        )
        others = [p.caller.id for p in world.phones if p.caller.id != order["assignee"]]
        await service.retrying(
            lambda: service.apply_step(
                world.dispatcher,
                world.order_ids[order_index],
                Action.transfer,
                s.Transfer(assignee_id=others[0]),
            )
        )
    elif what in ("bulk_reassign", "bulk_urge"):
        # An office step on several orders in one transaction: one sync version for all of them.
        chosen = world.order_ids[order_index:] + world.order_ids[: limit % 3]
        await service.retrying(lambda: _bulk(world, chosen, what))
    elif what == "restart":
        world.restart()
    elif what in ("purge", "purge_soon"):
        # Time passes (hours, or less than the paging grace: the phones' cursors stay fresh),
        # and the upkeep forgets every removal older than the (shortest) window.
        passed = timedelta(hours=2) if what == "purge" else PAGING_GRACE / 3
        world.elapsed += passed
        servertime.travel_to(servertime.now() + passed)
        await purge_tombstones(timedelta(0))


async def _bulk(world: World, order_ids: list[int], what: str) -> None:
    async with write_transaction():
        for order_id in dict.fromkeys(order_ids):
            if what == "bulk_urge":
                await service.apply_step(world.dispatcher, order_id, Action.urge, s.Step())
                continue
            order = (
                await WorkOrder.select(WorkOrder.assignee).where(WorkOrder.id == order_id).first()
            )
            others = [p.caller.id for p in world.phones if p.caller.id != order["assignee"]]
            await service.apply_step(
                world.dispatcher, order_id, Action.transfer, s.Transfer(assignee_id=others[0])
            )


async def _heal_and_check(world: World) -> None:
    for phone in world.phones:
        for _ in range(len(phone.created) + 2):
            if not phone.outbox:
                break
            await _push(phone, "ok")
        assert not phone.outbox, "the outbox drains once the network is back"
        await _pull(phone, "ok", limit=1)  # the smallest page: every version split

    for phone in world.phones:
        client = (
            await SyncClient.select(SyncClient.id)
            .where(SyncClient.client_id == phone.client_id)
            .first()
        )
        rows = (
            await SyncMutation.select()
            .where(SyncMutation.client == client["id"])
            .output(load_json=True)
            if client
            else []
        )
        stored = {r["mutation_id"]: r for r in rows}
        # Exactly once: one outcome per mutation created, applied or rejected with a reason.
        assert sorted(stored) == sorted(phone.created)
        for mutation_id, row in stored.items():
            assert row["status"] in ("applied", "rejected")
            assert row["status"] == "applied" or row["reason_key"]
            assert phone.outcomes[mutation_id] == row["status"], "the phone learned every outcome"
            await _check_effect(phone.created[mutation_id], row)
        # The local copy equals the server scope (sync.protocol.in_scope).
        orders = await WorkOrder.select(
            WorkOrder.id,
            WorkOrder.version,
            WorkOrder.state,
            WorkOrder.assignee,
            WorkOrder.closed_at,
        )
        scope = [
            o
            for o in orders
            if in_scope(o, phone.caller.id, servertime.now(), config.sync_closed_order_days)
        ]
        assert {o["id"]: (o["version"], o["state"]) for o in scope} == {
            o.id: (o.version, o.state) for o in phone.orders.values()
        }


async def _check_effect(mutation: dict, row: dict) -> None:
    """A note, signature or photo is on the order once if applied, never if rejected (and then
    what was entered is kept with the rejection)."""
    args = mutation["args"]
    if mutation["name"] == "attach_photo":
        photos = await OrderPhoto.count().where(
            (OrderPhoto.work_order == args["order_id"])
            & (OrderPhoto.upload_id == args["upload_id"])
        )
        assert photos == (1 if row["status"] == "applied" else 0)
        assert row["args"]["upload_id"] == args["upload_id"]
        return
    if mutation["name"] not in ("add_note", "capture_signature"):
        return
    key, action = (
        ("text", Action.note) if mutation["name"] == "add_note" else ("signer_name", Action.sign)
    )
    events = (
        await WorkOrderEvent.select(WorkOrderEvent.payload)
        .where(
            (WorkOrderEvent.work_order == args["order_id"])
            & (WorkOrderEvent.action == action.value)
        )
        .output(load_json=True)
    )
    copies = sum(1 for e in events if e["payload"].get(key) == args[key])
    assert copies == (1 if row["status"] == "applied" else 0)
    assert row["args"][key] == args[key]


async def build_simulated_world() -> None:
    """The template every schedule starts from: the test world, and four orders dispatched
    alternately to the two technicians."""
    from services.policies.service import ensure_default_policies

    await ensure_default_policies()
    base = await build_world()
    for index in range(ORDERS):
        order = await service.create_order(
            base.users["agent"],
            s.CreateOrder(
                kind=Kind.repair,
                customer_id=base.customers["ordinary"],
                description=f"宽带故障{index}",
            ),
        )
        technician = base.users[TECHS[index % 2]]
        await service.retrying(
            lambda order=order, technician=technician: service.apply_step(
                base.users["dispatcher"],
                order.id,
                Action.dispatch,
                s.Dispatch(assignee_id=technician.id),
            )
        )


def run_schedules(examples: int, run_example) -> None:
    @given(steps=st.lists(STEP, min_size=1, max_size=24))
    @settings(
        max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    def schedules(steps):
        run_example(steps)

    schedules()


async def _play(world: World, steps) -> None:
    for number, (what, which, order_index, fate, limit) in enumerate(steps):
        servertime.travel_to(T0 + world.elapsed + timedelta(minutes=1, seconds=number))
        await _step(world, what, which, order_index, fate, limit, marker=str(number))
    await _heal_and_check(world)


async def truncate_and_build_world() -> None:
    from db.engine import tables
    from db.tables import Area

    names = ", ".join(f'"{t._meta.tablename}"' for t in tables())
    await Area.raw(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
    await Area.raw("INSERT INTO sync_clock (version) VALUES (0)")
    await Area.raw("INSERT INTO sync_purge (version) VALUES (0)")
    await build_simulated_world()


async def play_from_template(steps, restart) -> None:
    """The template holds the world; recover its ids, then play the schedule."""
    from db.tables import StaffUser

    users = {u["username"]: u for u in await StaffUser.select()}
    callers = {
        name: Caller(
            id=u["id"],
            username=name,
            display_name=u["display_name"],
            role=u["role"],
            team_id=u["team"],
            area_id=u["area"],
        )
        for name, u in users.items()
    }
    order_ids = [o["id"] for o in await WorkOrder.select(WorkOrder.id).order_by(WorkOrder.id)]
    world = World(
        [Phone(callers[n], f"phone-{n}-0001") for n in TECHS],
        callers["dispatcher"],
        order_ids,
        restart,
    )
    await _play(world, steps)
