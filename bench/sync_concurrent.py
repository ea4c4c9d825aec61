"""Benchmark 5: 200 simulated technicians syncing concurrently on loopback against PostgreSQL:
throughput, p50 and p99 latency per request. Goal: p99 <= 100 ms.

    .venv/bin/python bench/sync_concurrent.py [--technicians 200] [--orders 3] [--seconds 20]
                                              [--workers 2] [--think 0] [--paced-think 10[,5,...]]
                                              [--phases loop,paced,pulls]

tests/world.py's world plus `--technicians` repair technicians, each with `--orders` orders
created and dispatched through the services. The app runs as in production under uvicorn with
`--workers 2` (the machine has 2 cores; PostgreSQL and the simulated phones share them). Every
technician logs in and pulls its snapshot first (not measured). Then each runs, on its own
keep-alive connection, for `--seconds`:

    pull (cursor) -> push 3 mutations -> pull (cursor) -> think

Mutations follow the work: accept, contact, arrive on each order, then notes and recorded work
with materials. Latency is the phone's wall time per request (raw asyncio HTTP/1.1 client in this
process, uvloop, Accept-Encoding: gzip). Phases, in one run (`--phases` picks some):

1. `loop`: think time `--think` (0: the loop of the brief, back to back: a saturation test);
2. `paced`: think time uniform in [0, 2 x `--paced-think`] s, a technician syncing every ~10 s;
   several think times give a capacity curve: the load at which p99 passes 100 ms;
3. `pulls only`: the loop without the push (a reference: what the writers cost the readers).

Each reports requests/s, p50, p99 (all requests, and pull / push apart), errors, and what the
app's PostgreSQL sessions were doing (pg_stat_activity sampled every 0.25 s: active, idle, idle in
transaction, waiting on a lock).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import random
import time
from collections.abc import Awaitable, Callable

from sync_common import (
    PASSWORD,
    STROKES,
    RawClient,
    add_technicians,
    bound,
    database,
    dumps,
    log,
    percentile,
    remove,
    seed_world,
    server,
    temp_workdir,
)


async def seed(url: str, technicians: int, orders: int) -> list[tuple[str, list[int]]]:
    from domain.lifecycle import Action
    from domain.vocabulary import Kind
    from services.work_orders import schemas as s
    from services.work_orders import service

    async with bound(url):
        world = await seed_world(customers=200)
        callers = await add_technicians(world, technicians)
        customers = [v for k, v in world.customers.items() if k.startswith("c")]
        agent, dispatcher = world.users["agent"], world.users["dispatcher"]
        gate = asyncio.Semaphore(6)

        async def day(n: int, tech) -> tuple[str, list[int]]:
            ids = []
            for k in range(orders):
                async with gate:
                    order = await service.create_order(
                        agent,
                        s.CreateOrder(
                            kind=Kind.repair,
                            customer_id=customers[(n * orders + k) % len(customers)],
                            description="宽带断网",
                        ),
                    )
                    await service.retrying(
                        lambda order=order: service.apply_step(
                            dispatcher, order.id, Action.dispatch, s.Dispatch(assignee_id=tech.id)
                        )
                    )
                ids.append(order.id)
            return tech.username, ids

        return await asyncio.gather(*[day(n, tech) for n, tech in enumerate(callers)])


def plan(order_ids: list[int]) -> list[tuple[str, dict]]:
    """The technician's work, in order: the state steps of every order, then notes and work."""
    steps = [(name, {"order_id": o}) for o in order_ids for name in ("accept", "contact", "arrive")]
    extra = [
        ("add_note", {"text": "已到现场,正在排查"}),
        (
            "record_work",
            {
                "work_done": "更换皮线",
                "labour_hours": 0.5,
                "materials": [{"code": "FIBER", "quantity": 8}],
            },
        ),
        ("add_note", {"text": "客户确认恢复"}),
        (
            "capture_signature",
            {
                "signer_name": "客户本人",
                "relation": "account_holder",
                "strokes": STROKES,
                "satisfaction": 5,
            },
        ),
    ]
    for n in range(400):
        name, args = extra[n % len(extra)]
        steps.append((name, {"order_id": order_ids[n % len(order_ids)], **args}))
    return steps


class Phone:
    def __init__(self, port: int, username: str, order_ids: list[int]):
        self.username = username
        self.http = RawClient("127.0.0.1", port)
        self.client_id = f"bench-phone-{username}"
        self.plan = plan(order_ids)
        self.sent = 0
        self.cursor: str | None = None
        self.headers: dict[str, str] = {}

    async def login(self) -> None:
        status, _, body = await self.http.request(
            "POST",
            "/api/auth/login",
            {"Content-Type": "application/json"},
            dumps({"username": self.username, "password": PASSWORD}),
        )
        assert status == 200, body
        self.headers = {
            "Authorization": f"Bearer {json.loads(body)['token']}",
            "Accept-Encoding": "gzip",
        }
        await self.pull(None)

    async def pull(self, record) -> None:
        path = f"/api/sync/pull?client_id={self.client_id}" + (
            f"&cursor={self.cursor}" if self.cursor else ""
        )
        started = time.perf_counter()
        status, _, body = await self.http.request("GET", path, self.headers)
        elapsed = time.perf_counter() - started
        if status == 200:
            self.cursor = json.loads(body)["cursor"]
        if record is not None:
            record("pull", elapsed, status)

    async def push(self, record, count: int = 3) -> None:
        batch = [
            {
                "id": self.sent + i + 1,
                "name": name,
                "args": args,
                "device_time": time.strftime(
                    "%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(time.time() - 5)
                ),
            }
            for i, (name, args) in enumerate(self.plan[self.sent : self.sent + count])
        ]
        started = time.perf_counter()
        status, _, body = await self.http.request(
            "POST",
            "/api/sync/push",
            {**self.headers, "Content-Type": "application/json"},
            dumps({"client_id": self.client_id, "mutations": batch}),
        )
        elapsed = time.perf_counter() - started
        if status == 200:
            answer = json.loads(body)
            self.sent = answer["last_mutation_id"]
            record("push", elapsed, status, [r["status"] for r in answer["results"]])
        else:
            record("push", elapsed, status)


async def sample_waits(url: str, stop: asyncio.Event) -> collections.Counter:
    """What the app's PostgreSQL sessions are doing, sampled every 0.25 s (pg_stat_activity)."""
    import asyncpg

    seen: collections.Counter = collections.Counter()
    connection = await asyncpg.connect(url)
    try:
        while not stop.is_set():
            rows = await connection.fetch(
                """SELECT state, coalesce(wait_event_type, '-') AS type, coalesce(wait_event, '-') AS event
                   FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"""
            )
            for r in rows:
                seen[f"{r['state']}/{r['type']}:{r['event']}"] += 1
            seen["samples"] += 1
            try:
                await asyncio.wait_for(stop.wait(), 0.25)
            except TimeoutError:
                pass
    finally:
        await connection.close()
    return seen


async def simulate(
    phones: list[Phone], seconds: float, think: float, paced: bool, url: str, push: bool = True
) -> dict:
    samples: dict[str, list[float]] = collections.defaultdict(list)
    statuses: collections.Counter = collections.Counter()
    outcomes: collections.Counter = collections.Counter()

    def record(kind: str, elapsed: float, status: int, results: list[str] | None = None) -> None:
        if status == 200:
            samples[kind].append(elapsed)
        statuses[(kind, status)] += 1
        outcomes.update(results or [])

    deadline = time.perf_counter() + seconds
    cycles = 0

    async def technician(phone: Phone) -> None:
        nonlocal cycles
        if paced:  # spread the first syncs over the think time, as phones would be
            await asyncio.sleep(random.uniform(0, 2 * think))
        while time.perf_counter() < deadline:
            await phone.pull(record)
            if push:
                await phone.push(record)
                await phone.pull(record)
            cycles += 1
            if think:
                await asyncio.sleep(random.uniform(0, 2 * think) if paced else think)

    stop = asyncio.Event()
    sampler = asyncio.create_task(sample_waits(url, stop))
    started = time.perf_counter()
    await asyncio.gather(*[technician(p) for p in phones])
    elapsed = time.perf_counter() - started
    stop.set()
    waits = await sampler
    samples_taken = waits.pop("samples", 1)
    every = samples["pull"] + samples["push"]
    return {
        "seconds": elapsed,
        "requests": sum(statuses.values()),
        "rate": sum(statuses.values()) / elapsed,
        "cycles": cycles,
        "p50": percentile(every, 0.5),
        "p99": percentile(every, 0.99),
        "pull_p50": percentile(samples["pull"], 0.5),
        "pull_p99": percentile(samples["pull"], 0.99),
        "push_p50": percentile(samples["push"], 0.5),
        "push_p99": percentile(samples["push"], 0.99),
        "errors": {f"{k} {s}": v for (k, s), v in statuses.items() if s != 200},
        "outcomes": dict(outcomes),
        # mean number of app sessions in each state/wait at a sample
        "db_sessions": {k: round(v / samples_taken, 1) for k, v in waits.most_common(6)},
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--technicians", type=int, default=200)
    parser.add_argument("--orders", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--think", type=float, default=0.0)
    parser.add_argument(
        "--paced-think",
        default="10",
        help="mean think times of the paced phase, s "
        "(comma-separated: one paced phase each, e.g. 10,5,2,1 for a capacity curve)",
    )
    parser.add_argument(
        "--phases",
        default="loop,paced,pulls",
        help="which phases to run, in order (comma-separated)",
    )
    args = parser.parse_args()
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass

    workdir = temp_workdir("bench-concurrent-")
    try:
        with database("postgres", "concurrent", workdir) as url:
            started = time.perf_counter()
            days = asyncio.run(seed(url, args.technicians, args.orders))
            log(
                f"seeded {args.technicians} technicians x {args.orders} orders in {time.perf_counter() - started:.1f} s"
            )
            with server(url, workdir, workers=args.workers, name="concurrent") as app:

                async def run() -> dict:
                    phones = [Phone(app.port, username, ids) for username, ids in days]
                    gate = asyncio.Semaphore(16)

                    async def login(phone: Phone) -> None:
                        async with gate:
                            await phone.login()

                    await asyncio.gather(*[login(p) for p in phones])
                    results = {}
                    for phase, run_phase in phases(args, phones, url):
                        results[phase] = await run_phase()
                        log(f"{phase}: {results[phase]}")
                    for phone in phones:
                        await phone.http.close()
                    return results

                results = asyncio.run(run())
        report(args, results)
    finally:
        remove(workdir)


def phases(args, phones: list[Phone], url: str) -> list[tuple[str, Callable[[], Awaitable[dict]]]]:
    """(title, run) of each phase asked for, in order; `paced` once per think time."""
    chosen = []
    for phase in args.phases.split(","):
        if phase == "loop":
            chosen.append(
                (
                    f"loop (think {args.think:g} s)",
                    lambda: simulate(phones, args.seconds, args.think, False, url),
                )
            )
        elif phase == "paced":
            for think in (float(t) for t in args.paced_think.split(",")):
                chosen.append(
                    (
                        f"paced (think U[0,{2 * think:g}] s)",
                        lambda think=think: simulate(phones, args.seconds, think, True, url),
                    )
                )
        elif phase == "pulls":
            chosen.append(
                (
                    "pulls only, no push (reference)",
                    lambda: simulate(phones, args.seconds, args.think, False, url, push=False),
                )
            )
        else:
            raise SystemExit(f"unknown phase {phase!r}: loop, paced or pulls")
    return chosen


def report(args, results: dict) -> None:
    print(
        f"# {args.technicians} technicians syncing concurrently, PostgreSQL, uvicorn --workers {args.workers}, "
        f"{args.seconds:g} s per phase; cycle = pull, push 3, pull"
    )
    print(
        f"{'phase':<34} {'req/s':>7} {'cycles':>7} {'p50 ms':>7} {'p99 ms':>7} {'pull p50/p99':>14} {'push p50/p99':>14}  goal p99 <= 100 ms"
    )
    for phase, r in results.items():
        print(
            f"{phase:<34} {r['rate']:>7.0f} {r['cycles']:>7} {r['p50'] * 1e3:>7.0f} {r['p99'] * 1e3:>7.0f} "
            f"{r['pull_p50'] * 1e3:>6.0f}/{r['pull_p99'] * 1e3:<7.0f} {r['push_p50'] * 1e3:>6.0f}/{r['push_p99'] * 1e3:<7.0f}  "
            f"{'met' if r['p99'] <= 0.1 else 'MISSED'}; errors {r['errors'] or 0}; mutations {r['outcomes']}"
        )
    print(
        "PostgreSQL sessions of the app, mean count per sample (state/wait_event_type:wait_event):"
    )
    for phase, r in results.items():
        print(f"  {phase:<34} {r['db_sessions']}")


if __name__ == "__main__":
    main()
