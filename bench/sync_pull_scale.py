"""Benchmark 1: an incremental pull for a technician with 30 orders, in a database of 10,000
orders and in one of 1,000,000 (PostgreSQL). Goal: median at 1 M <= 1.3 x median at 10 k.

    .venv/bin/python bench/sync_pull_scale.py [--small 10000] [--large 1000000] [--rounds 200]

Both databases are built in the same run, the same way apart from their size:
- tests/world.py's world plus 60 customers; `tech2` gets 30 repair orders through the services
  (created by the agent, dispatched, a third urged, a third with a dispatcher's note), last, so
  they carry the newest sync versions;
- every other order is bulk-inserted with SQL (generate_series): 95 % closed, 5 % dispatched,
  assigned round-robin to one of N/500 other technicians, old sync versions, with their history
  (create, dispatch and close events), an "add" scope change each and, for the closed ones, the
  technician's close mutation (sync_mutation) through one device per technician (the bulk load
  skips FK triggers for its own session and rebuilds secondary indexes after: rows are valid by
  construction);
- then VACUUM ANALYZE.

Two servers (uvicorn, one worker each, APP_MODE=production) run side by side, one per database,
and are measured interleaved (the order alternates every round), so noise hits both alike. Each
round, for each database: the dispatcher adds a note to one of tech2's orders (POST
/api/work-orders/{id}/note), then tech2's device pulls with the cursor of its previous pull
(`changed`: one order comes back), then pulls again with the new cursor (`no change`). Latency is
the client's wall time for the request (Accept-Encoding: gzip, client_id set, as the PWA does),
over a keep-alive loopback connection. The EXPLAIN (ANALYZE, BUFFERS) of the pull's three
queries, as sync/pull.py builds them, is printed for both sizes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time

from sync_common import (
    RawClient,
    bound,
    database,
    dumps,
    log,
    login,
    median,
    percentile,
    remove,
    seed_day,
    seed_world,
    server,
    temp_workdir,
)

CLIENT = "bench-phone-tech2"


async def bulk_orders(url: str, world, count: int) -> dict:
    """`count` historical orders of other technicians, with SQL. Returns what was inserted."""
    import asyncpg

    connection = await asyncpg.connect(url)
    try:
        technicians = max(20, count // 500)
        customers = max(100, count // 20)
        team, area, community, road = (
            world.teams["REPAIR-2W"],
            world.area,
            world.community,
            world.road,
        )
        agent, dispatcher = world.uid("agent"), world.uid("dispatcher")
        base_version = await connection.fetchval("SELECT version FROM sync_clock")
        await connection.execute(
            """INSERT INTO staff_user (username, display_name, role, password_hash, team, area, phone, active, created_at)
               SELECT 'hist' || g, '历史维修' || g, 'technician', 'x', $1, $2, '', true, now() - interval '2 years'
               FROM generate_series(1, $3) g""",
            team,
            area,
            technicians,
        )
        first_tech = await connection.fetchval(
            "SELECT min(id) FROM staff_user WHERE username LIKE 'hist%'"
        )
        await connection.execute(
            """INSERT INTO customer (account_no, name, phone, tier, network, area, community, road, address)
               SELECT 'H' || lpad(g::text, 9, '0'), '历史客户' || g, '137' || lpad(g::text, 8, '0'), 'ordinary',
                      'two_way', $1, $2, $3, '锦江区春熙路' || g || '号' || (g % 30 + 1) || '栋'
               FROM generate_series(1, $4) g""",
            area,
            community,
            road,
            customers,
        )
        first_customer = await connection.fetchval(
            "SELECT min(id) FROM customer WHERE account_no LIKE 'H%'"
        )
        started = time.perf_counter()
        # Bulk-load speed: the rows are valid by construction (every reference points at a row made
        # above), so this session skips the FK triggers; secondary indexes are dropped and rebuilt
        # after the load (constraint indexes stay). The planner sees the same indexes either way.
        await connection.execute("SET session_replication_role = replica")
        await connection.execute("SET maintenance_work_mem = '256MB'")
        indexes = await connection.fetch(
            """SELECT indexname, indexdef FROM pg_indexes i WHERE schemaname = 'public' AND tablename = ANY($1::text[])
               AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)""",
            ["work_order", "work_order_event", "sync_scope_change", "sync_mutation"],
        )
        for index in indexes:
            await connection.execute(f'DROP INDEX "{index["indexname"]}"')
        # Orders: created over the last ~years, one every 30 s of history, versions 1..count above the clock.
        await connection.execute(
            """INSERT INTO work_order (code, kind, source, priority, customer, area, community, road, address,
                   contact_name, contact_phone, description, agent_remark, remark_flagged, urge_count, state,
                   assignee, team, first_contact_owner, created_by, created_at, updated_at, version, closure,
                   closed_at, clock_next_due, clock_next_risk, clock_breached, sync_version)
               SELECT 'HX' || lpad(g::text, 10, '0'), 'repair', 'call_centre', 'normal', $1 + g % $2, $3, $4, $5,
                      '锦江区春熙路' || g % 1000 || '号', '历史客户' || g % $2, '137' || lpad((g % $2)::text, 8, '0'),
                      '宽带断网,光猫LOS灯红', '', false, 0,
                      CASE WHEN g % 20 = 0 THEN 'dispatched' ELSE 'closed' END,
                      $6 + g % $7, $8, $9, $10, t.at, t.at + interval '3 hours',
                      CASE WHEN g % 20 = 0 THEN 2 ELSE 3 END,
                      CASE WHEN g % 20 = 0 THEN NULL ELSE
                        '{"closure_category":"repair","outcome":"resolved","method":"on_site","cause":"光猫死机","solution":"重启光猫","result":"已恢复上网","expects_append":false}'::json END,
                      CASE WHEN g % 20 = 0 THEN NULL ELSE t.at + interval '3 hours' END,
                      NULL, NULL, 0, $11 + g
               FROM generate_series(1, $12) g,
                    LATERAL (SELECT now() - (($12 - g) * interval '30 seconds') - interval '1 day' AS at) t""",
            first_customer,
            customers,
            area,
            community,
            road,
            first_tech,
            technicians,
            team,
            dispatcher,
            agent,
            base_version,
            count,
        )
        await connection.execute(
            """INSERT INTO work_order_event (work_order, seq, action, actor, actor_role, payload, server_time,
                   device_time, effective_time, time_flag, state_before, state_after)
               SELECT id, 1, 'create', created_by, 'agent',
                      json_build_object('kind', 'repair', 'source', 'call_centre', 'customer_id', customer,
                                        'description', description, 'clock_class', 'normal', 'code', code),
                      created_at, NULL, created_at, '', '', 'new' FROM work_order WHERE code LIKE 'HX%'"""
        )
        await connection.execute(
            """INSERT INTO work_order_event (work_order, seq, action, actor, actor_role, payload, server_time,
                   device_time, effective_time, time_flag, state_before, state_after)
               SELECT w.id, 2, 'dispatch', w.first_contact_owner, 'dispatcher',
                      json_build_object('assignee_id', w.assignee, 'assignee_name', u.display_name, 'team_id', w.team),
                      w.created_at + interval '4 minutes', NULL, w.created_at + interval '4 minutes', '', 'new', 'dispatched'
               FROM work_order w JOIN staff_user u ON u.id = w.assignee WHERE w.code LIKE 'HX%'"""
        )
        await connection.execute(
            """INSERT INTO work_order_event (work_order, seq, action, actor, actor_role, payload, server_time,
                   device_time, effective_time, time_flag, state_before, state_after)
               SELECT id, 3, 'close', assignee, 'technician', closure, closed_at, closed_at - interval '1 minute',
                      closed_at - interval '1 minute', '', 'on_site', 'closed'
               FROM work_order WHERE code LIKE 'HX%' AND state = 'closed'"""
        )
        await connection.execute(
            """INSERT INTO sync_scope_change (version, "user", work_order, change, at)
               SELECT sync_version, assignee, id, 'add', created_at FROM work_order WHERE code LIKE 'HX%'"""
        )
        await connection.execute(
            """INSERT INTO sync_client (client_id, "user", last_mutation_id, created_at, last_push_at)
               SELECT 'hist-phone-' || id, id, 0, created_at, now() FROM staff_user WHERE username LIKE 'hist%'"""
        )
        await connection.execute(
            """INSERT INTO sync_mutation (client, mutation_id, name, args, device_time, server_time, status,
                   reason_key, reason_params, work_order, version)
               SELECT c.id, row_number() OVER (PARTITION BY w.assignee ORDER BY w.id), 'close',
                      json_build_object('order_id', w.id, 'closure_category', 'repair', 'outcome', 'resolved'),
                      w.closed_at - interval '1 minute', w.closed_at, 'applied', '', '{}'::json, w.id, w.sync_version
               FROM work_order w JOIN sync_client c ON c."user" = w.assignee
               WHERE w.code LIKE 'HX%' AND w.state = 'closed'"""
        )
        await connection.execute(
            """UPDATE sync_client c SET last_mutation_id = m.last FROM
               (SELECT client, max(mutation_id) AS last FROM sync_mutation GROUP BY client) m WHERE m.client = c.id"""
        )
        loaded = time.perf_counter() - started
        for index in indexes:
            await connection.execute(index["indexdef"])
        await connection.execute("RESET session_replication_role")
        await connection.execute(
            "UPDATE sync_clock SET version = (SELECT max(sync_version) FROM work_order)"
        )
        return {
            "technicians": technicians,
            "customers": customers,
            "load_seconds": round(loaded, 1),
            "index_seconds": round(time.perf_counter() - started - loaded, 1),
        }
    finally:
        await connection.close()


async def vacuum_analyze(url: str) -> dict:
    import asyncpg

    connection = await asyncpg.connect(url)
    try:
        await connection.execute("VACUUM ANALYZE")
        counts = {
            table: await connection.fetchval(f"SELECT count(*) FROM {table}")
            for table in ("work_order", "work_order_event", "sync_scope_change", "sync_mutation")
        }
        size = await connection.fetchval(
            "SELECT pg_size_pretty(pg_database_size(current_database()))"
        )
        return {**counts, "size": size}
    finally:
        await connection.close()


async def seed(url: str, orders: int) -> tuple[list[int], dict]:
    async with bound(url):
        world = await seed_world()
        facts = await bulk_orders(url, world, orders - 30)
        started = time.perf_counter()
        mine = await seed_day(world, "tech2", 30)
        facts["service_seconds"] = round(time.perf_counter() - started, 1)
    facts.update(await vacuum_analyze(url))
    return mine, facts


async def explain(url: str, tech_id: int, since: int) -> dict[str, str]:
    """EXPLAIN (ANALYZE, BUFFERS) of the pull's queries as sync/pull.py builds them (Piccolo)."""
    import asyncpg

    from db.engine import bind, engine_from_url
    from db.sync_tables import SyncClient, SyncClock, SyncMutation, SyncScopeChange
    from db.tables import WorkOrder
    from services.work_orders import service as orders
    from sync.protocol import Cursor
    from sync.pull import orders_after

    bind(engine_from_url(url))
    connection = await asyncpg.connect(url)
    try:
        clock = await connection.fetchval("SELECT version FROM sync_clock")
        client = await connection.fetchval(
            "SELECT id FROM sync_client WHERE client_id = $1", CLIENT
        )
        queries = {
            "clock": SyncClock.select().first(),
            "candidates": WorkOrder.select(*orders.ORDER_COLUMNS)
            .where(
                (WorkOrder.assignee == tech_id)
                & orders_after(Cursor(since, since))
                & (WorkOrder.sync_version <= clock)
            )
            .order_by(WorkOrder.sync_version, WorkOrder.id)
            .limit(101),
            "removed": SyncScopeChange.select(SyncScopeChange.work_order).where(
                (SyncScopeChange.user == tech_id)
                & (SyncScopeChange.change == "remove")
                & (SyncScopeChange.version > since)
                & (SyncScopeChange.version <= clock)
            ),
            "client": SyncClient.select(SyncClient.id, SyncClient.user)
            .where(SyncClient.client_id == CLIENT)
            .first(),
            "results": SyncMutation.select()
            .where(
                (SyncMutation.client == client)
                & (SyncMutation.version > since)
                & (SyncMutation.version <= clock)
            )
            .order_by(SyncMutation.mutation_id),
        }
        plans = {}
        for name, query in queries.items():
            sql = str(query)
            rows = await connection.fetch(
                f"EXPLAIN (ANALYZE, BUFFERS, TIMING OFF, SUMMARY ON) {sql}"
            )
            plans[name] = "\n".join(r[0] for r in rows)
        return plans
    finally:
        await connection.close()


class Device:
    def __init__(self, label: str, base: str, token: str, dispatcher: str, orders: list[int]):
        host, port = base.removeprefix("http://").split(":")
        self.label, self.orders = label, orders
        self.http = RawClient(host, int(port))
        self.office = RawClient(host, int(port))
        self.auth = {"Authorization": f"Bearer {token}", "Accept-Encoding": "gzip"}
        self.dispatch_auth = {
            "Authorization": f"Bearer {dispatcher}",
            "Content-Type": "application/json",
        }
        self.cursor: str | None = None
        self.changed: list[float] = []
        self.unchanged: list[float] = []
        self.notes = 0

    async def pull(self) -> tuple[float, dict]:
        path = f"/api/sync/pull?client_id={CLIENT}" + (
            f"&cursor={self.cursor}" if self.cursor else ""
        )
        started = time.perf_counter()
        status, _, body = await self.http.request("GET", path, self.auth)
        elapsed = time.perf_counter() - started
        assert status == 200, body[:300]
        answer = json.loads(body)
        assert not answer["more"] and not answer["reset"]
        self.cursor = answer["cursor"]
        return elapsed, answer

    async def change_one(self) -> int:
        order_id = self.orders[self.notes % len(self.orders)]
        self.notes += 1
        status, _, body = await self.office.request(
            "POST",
            f"/api/work-orders/{order_id}/note",
            self.dispatch_auth,
            dumps({"text": f"调度备注{self.notes}"}),
        )
        assert status in (200, 201), body[:300]
        return order_id

    async def round(self) -> None:
        order_id = await self.change_one()
        elapsed, answer = await self.pull()
        assert [o["id"] for o in answer["orders"]] == [order_id], answer["orders"]
        self.changed.append(elapsed)
        elapsed, answer = await self.pull()
        assert answer["orders"] == [] and answer["reference"] is None
        self.unchanged.append(elapsed)


async def measure(devices: list[Device], rounds: int, warmup: int) -> None:
    for device in devices:
        await device.pull()  # the snapshot
        (
            status,
            _,
            body,
        ) = await device.http.request(  # the device exists server-side, as after its first push
            "POST",
            "/api/sync/push",
            {**device.auth, "Content-Type": "application/json"},
            dumps({"client_id": CLIENT, "mutations": []}),
        )
        assert status == 200, body
    for n in range(warmup + rounds):
        ordered = devices if n % 2 == 0 else devices[::-1]
        for device in ordered:
            await device.round()
        if n == warmup - 1:
            for device in devices:
                device.changed.clear()
                device.unchanged.clear()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    args = parser.parse_args()

    workdir = temp_workdir("bench-pull-scale-")
    sizes = [
        ("10k" if args.small == 10_000 else str(args.small), args.small),
        ("1M" if args.large == 1_000_000 else str(args.large), args.large),
    ]
    try:
        with (
            database("postgres", "pull_small", workdir) as small_url,
            database("postgres", "pull_large", workdir) as large_url,
        ):
            urls = {sizes[0][0]: small_url, sizes[1][0]: large_url}
            mine, facts = {}, {}
            for label, count in sizes:
                started = time.perf_counter()
                mine[label], facts[label] = asyncio.run(seed(urls[label], count))
                log(f"seeded {label}: {facts[label]} in {time.perf_counter() - started:.1f} s")
            with (
                server(small_url, workdir, name="small") as small,
                server(large_url, workdir, name="large") as large,
            ):
                servers = {sizes[0][0]: small, sizes[1][0]: large}
                devices = [
                    Device(
                        label,
                        servers[label].base,
                        login(servers[label].base, "tech2"),
                        login(servers[label].base, "dispatcher"),
                        mine[label],
                    )
                    for label, _ in sizes
                ]
                started = time.perf_counter()
                asyncio.run(measure(devices, args.rounds, args.warmup))
                log(f"measured {args.rounds} rounds in {time.perf_counter() - started:.1f} s")
                since = {d.label: int(d.cursor.split(".")[1]) - 2 for d in devices}
                plans = {
                    label: asyncio.run(
                        explain(urls[label], asyncio.run(_tech_id(urls[label])), since[label])
                    )
                    for label, _ in sizes
                }
            report(devices, facts, plans, args)
    finally:
        remove(workdir)


async def _tech_id(url: str) -> int:
    import asyncpg

    connection = await asyncpg.connect(url)
    try:
        return await connection.fetchval("SELECT id FROM staff_user WHERE username = 'tech2'")
    finally:
        await connection.close()


def report(devices: list[Device], facts: dict, plans: dict, args) -> None:
    small, large = devices
    print(
        f"# Incremental pull, tech2 with 30 orders; PostgreSQL; {args.rounds} rounds interleaved (median, p90 in ms)"
    )
    for device in devices:
        f = facts[device.label]
        print(
            f"{device.label:>4}: work_order={f.get('work_order')} events={f.get('work_order_event')} "
            f"scope_changes={f.get('sync_scope_change')} mutations={f.get('sync_mutation')} db={f.get('size')}"
        )
    rows = [("changed (1 order)", "changed"), ("no change", "unchanged")]
    print(
        f"{'pull':<18} {small.label + ' median':>12} {small.label + ' p90':>9} {large.label + ' median':>12} {large.label + ' p90':>9} {'ratio':>7}  goal <= 1.3"
    )
    for title, attr in rows:
        a, b = getattr(small, attr), getattr(large, attr)
        ratio = median(b) / median(a)
        print(
            f"{title:<18} {median(a) * 1e3:>12.2f} {percentile(a, 0.9) * 1e3:>9.2f} {median(b) * 1e3:>12.2f} "
            f"{percentile(b, 0.9) * 1e3:>9.2f} {ratio:>7.2f}  {'met' if ratio <= 1.3 else 'MISSED'}"
        )
    for label, plan in plans.items():
        print(f"\n## EXPLAIN (ANALYZE, BUFFERS) at {label}")
        for name, text in plan.items():
            print(f"-- {name}\n{text}")


if __name__ == "__main__":
    main()
