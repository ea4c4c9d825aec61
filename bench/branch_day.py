"""A branch day, compressed, through the production path: nginx (deploy/nginx-fieldservice.conf,
HTTPS) in front of `--processes` app processes on PostgreSQL, with one process killed (`kill -9`)
mid-run and started again (as systemd's Restart=always does). Results in docs/benchmarks.md.

    .venv/bin/python bench/branch_day.py [--technicians 2000] [--minutes 5] [--compression 12]
                                         [--processes 3] [--orders 2] [--per-order 6]

The load, in compressed time (`--compression` 12: an hour of the day in 5 minutes):
- technicians: each phone has an outbox of its day's steps on its orders (accept, contact,
  arrive, notes, recorded work, a signature: bench/sync_common.py::day_mutations); every 30 s
  of branch time it pushes up to 3 of them (with `first_unsettled`) and pulls with its cursor.
  A push that fails (the process died under it, 502) stays unsettled and is sent again;
- agents create orders at a real branch's rate: 1 M orders a year is 114 an hour on average, the
  morning peak 3x that (342 an hour); a dispatcher dispatches each to a technician;
- consoles: `--consoles` dispatchers' event streams, reconnecting when a stream ends.
Afterwards every phone drains its outbox, and the run checks: every mutation applied or rejected
exactly once (one outcome row per id, the client's last id = its outbox), every planned note
once in its order's history, every created order stored once, every console back on a stream.
Reports throughput, p50/p99 per endpoint, errors per endpoint, and PostgreSQL's CPU time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import ssl
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from sync_common import (
    PYTHON, ROOT, add_technicians, bound, database, day_mutations, free_port, log, percentile, seed_day, seed_world,
)

sys.path.insert(0, str(ROOT))
ORDERS_PER_HOUR_PEAK = 1_000_000 / 365 / 24 * 3  # the morning peak: 3x the mean of 1 M a year
SYNC_PERIOD_S = 30  # a phone with the app open syncs every 30 s of branch time


@dataclass
class Report:
    requests: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    created: int = 0
    create_failed: int = 0  # no answer: the order may or may not exist (no idempotency key)
    console_events: int = 0
    console_reconnects: int = 0
    consoles_streaming_at_end: int = 0
    killed_at: float = 0.0
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)
    postgres_cpu_s: float = 0.0

    def timed(self, endpoint: str, started: float, ok: bool) -> None:
        if ok:
            self.requests[endpoint].append(time.perf_counter() - started)
        else:
            self.errors[endpoint] += 1

    def summary(self) -> dict:
        total = sum(len(v) for v in self.requests.values())
        return {
            "seconds": round(self.seconds, 1), "requests": total, "requests_per_s": round(total / self.seconds, 1),
            "endpoints": {k: {"n": len(v), "p50_ms": round(percentile(v, 0.5) * 1000, 1),
                              "p99_ms": round(percentile(v, 0.99) * 1000, 1), "errors": self.errors.get(k, 0)}
                          for k, v in sorted(self.requests.items())},
            "orders_created": self.created, "creates_unanswered": self.create_failed,
            "console_events": self.console_events, "console_reconnects": self.console_reconnects,
            "consoles_streaming_at_end": self.consoles_streaming_at_end, "killed_at_s": round(self.killed_at, 1),
            "postgres_cpu_s": round(self.postgres_cpu_s, 1), "problems": self.problems,
        }


def postgres_cpu_seconds() -> float:
    """CPU time (user + system) of every PostgreSQL process on this machine so far."""
    total, tick = 0, os.sysconf("SC_CLK_TCK")
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        name, rest = stat[stat.index("(") + 1:stat.rindex(")")], stat[stat.rindex(")") + 2:].split()
        if name.startswith("postgres"):
            total += int(rest[11]) + int(rest[12])
    return total / tick


class AppProcess:
    def __init__(self, url: str, workdir: Path, env: dict[str, str]) -> None:
        self.port, self.url, self.workdir, self.env = free_port(), url, workdir, env
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        log_file = open(self.workdir / f"app-{self.port}.log", "ab")
        self.process = subprocess.Popen(
            [PYTHON, "-m", "uvicorn", "app:app", "--host", "127.0.0.1", "--port", str(self.port), "--log-level",
             "warning", "--no-access-log", "--timeout-graceful-shutdown", "2"],
            cwd=ROOT, env={**os.environ, **self.env, "DATABASE_URL": self.url}, stdout=log_file, stderr=subprocess.STDOUT)

    def wait_ready(self) -> None:
        import httpx

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/readyz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.2)
        raise RuntimeError(f"app process on {self.port} did not become ready")

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()


class Phone:
    def __init__(self, username: str, token: str, outbox: list[dict]) -> None:
        self.username, self.token, self.outbox = username, token, outbox
        self.client_id = f"phone-{username}"
        self.settled = 0  # every id up to here is settled
        self.cursor: str | None = None

    @property
    def done(self) -> bool:
        return self.settled >= len(self.outbox)

    async def sync(self, http, report: Report, batch: int = 3) -> None:
        headers = {"Authorization": f"Bearer {self.token}"}
        if not self.done:
            mutations = self.outbox[self.settled:self.settled + batch]
            started = time.perf_counter()
            try:
                response = await http.post("/api/sync/push", headers=headers, json={
                    "client_id": self.client_id, "first_unsettled": self.settled + 1, "mutations": mutations})
                ok = response.status_code == 200
            except Exception:
                ok = False
            report.timed("push", started, ok)
            if ok:
                self.settled = max(self.settled, response.json()["last_mutation_id"])
        started = time.perf_counter()
        try:
            params = {"client_id": self.client_id, **({"cursor": self.cursor} if self.cursor else {})}
            response = await http.get("/api/sync/pull", headers=headers, params=params)
            ok = response.status_code == 200
        except Exception:
            ok = False
        report.timed("pull", started, ok)
        if ok:
            self.cursor = response.json()["cursor"]


async def technician(phone: Phone, http, period: float, until: float, report: Report) -> None:
    await asyncio.sleep(random.uniform(0, period))  # phones are not in step
    while time.monotonic() < until:
        await phone.sync(http, report)
        await asyncio.sleep(period)


async def agents(http, tokens: dict[str, str], world, technicians: list[str], rate: float, until: float, report: Report) -> None:
    """Orders created at `rate` a second (Poisson), each dispatched at once."""
    agent, dispatcher = ({"Authorization": f"Bearer {tokens[u]}"} for u in ("agent", "dispatcher"))
    while time.monotonic() < until:
        await asyncio.sleep(random.expovariate(rate))
        started = time.perf_counter()
        try:
            response = await http.post("/api/work-orders", headers=agent, json={
                "kind": "repair", "customer_id": world.customers["ordinary"], "description": "宽带断网,光猫LOS灯红"})
            ok = response.status_code == 201
        except Exception:
            ok = False
        report.timed("create order", started, ok)
        if not ok:
            report.create_failed += 1
            continue
        report.created += 1
        order_id, assignee = response.json()["id"], world.uid(random.choice(technicians))
        for _ in range(10):  # a step is safe to send again: a second dispatch of the same is refused (409)
            started = time.perf_counter()
            try:
                step = await http.post(f"/api/work-orders/{order_id}/dispatch", headers=dispatcher, json={"assignee_id": assignee})
                ok = step.status_code in (200, 409)
            except Exception:
                ok = False
            report.timed("dispatch", started, ok)
            if ok:
                break
            await asyncio.sleep(1)


async def console(http, token: str, until: float, report: Report) -> None:
    """A dispatcher's event stream through nginx, opened again whenever it ends (its process
    died); streaming still when the day ends."""
    while time.monotonic() < until:
        try:
            async with http.stream("GET", "/api/events", headers={"Authorization": f"Bearer {token}"},
                                   timeout=None) as response:
                if response.status_code != 200:
                    await asyncio.sleep(1)
                    continue
                async for line in response.aiter_lines():
                    if line.startswith("event:"):
                        report.console_events += 1
                    if time.monotonic() >= until:
                        report.consoles_streaming_at_end += 1
                        return
        except Exception:
            pass
        report.console_reconnects += 1
        await asyncio.sleep(1)


async def check(url: str, phones: list[Phone], planned_notes: dict[int, int], orders_before: int, report: Report) -> None:
    from db.sync_tables import SyncClient, SyncMutation
    from db.tables import WorkOrder, WorkOrderEvent

    async with bound(url):
        clients = {r["client_id"]: r for r in await SyncClient.select(SyncClient.id, SyncClient.client_id, SyncClient.last_mutation_id)}
        for phone in phones:
            client = clients.get(phone.client_id)
            if client is None or client["last_mutation_id"] != len(phone.outbox):
                report.problems.append(f"{phone.client_id}: last id {client and client['last_mutation_id']} of {len(phone.outbox)}")
                continue
            outcomes = await SyncMutation.select(SyncMutation.mutation_id).where(SyncMutation.client == client["id"])
            ids = sorted(r["mutation_id"] for r in outcomes)
            if ids != list(range(1, len(phone.outbox) + 1)):
                report.problems.append(f"{phone.client_id}: outcomes for {len(ids)} ids, {len(set(ids))} distinct, of {len(phone.outbox)}")
        for order_id, count in planned_notes.items():
            notes = await WorkOrderEvent.count().where((WorkOrderEvent.work_order == order_id) & (WorkOrderEvent.action == "note"))
            if notes != count:
                report.problems.append(f"order {order_id}: {notes} notes, {count} planned")
        stored = await WorkOrder.count() - orders_before
        if not report.created <= stored <= report.created + report.create_failed:
            report.problems.append(f"{stored} orders stored, {report.created} created (+{report.create_failed} unanswered)")


async def day(args: argparse.Namespace, url: str, workdir: Path) -> Report:
    import httpx

    from db.tables import WorkOrder
    from tests.proxy import Nginx

    async with bound(url):
        world = await seed_world()
        technicians = await add_technicians(world, args.technicians)
        outboxes = {}
        for tech in technicians:
            orders = await seed_day(world, tech.username, args.orders, variety=False)
            outboxes[tech.username] = day_mutations(orders, args.per_order)
        orders_before = await WorkOrder.count()
    planned_notes: dict[int, int] = defaultdict(int)
    for outbox in outboxes.values():
        for m in outbox:
            planned_notes[m["args"]["order_id"]] += m["name"] == "add_note"
    metrics_dir = workdir / "metrics"
    metrics_dir.mkdir()
    env = {"APP_MODE": "production", "PUSH_WORKER": "0", "EVENTS_KEEPALIVE_SECONDS": "1", "EVIDENCE_DIR": str(workdir / "evidence"),
           "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir), "ARGON2_TIME_COST": "1", "ARGON2_MEMORY_KIB": "1024"}
    processes = [AppProcess(url, workdir, env) for _ in range(args.processes)]
    for process in processes:
        process.start()
    for process in processes:
        process.wait_ready()
    report = Report()
    try:
        with Nginx(workdir, [p.port for p in processes]) as proxy:
            tls = ssl.create_default_context(cafile=str(proxy.cert))
            limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
            async with httpx.AsyncClient(base_url=proxy.url, verify=tls, timeout=30, limits=limits) as http:
                tokens = {}
                for username in ["agent", "dispatcher", "dispatcher2", "supervisor", *outboxes]:
                    response = await http.post("/api/auth/login", json={"username": username, "password": "correct horse battery"})
                    tokens[username] = response.json()["token"]
                phones = [Phone(u, tokens[u], outbox) for u, outbox in outboxes.items()]
                period = SYNC_PERIOD_S / args.compression
                rate = ORDERS_PER_HOUR_PEAK * args.compression / 3600
                cpu_before, started = postgres_cpu_seconds(), time.monotonic()
                until = started + args.minutes * 60
                consoles = [asyncio.create_task(console(http, tokens[u], until, report))
                            for u in (["dispatcher", "dispatcher2", "supervisor"] * args.consoles)[:args.consoles]]
                work = [asyncio.create_task(technician(p, http, period, until, report)) for p in phones]
                work.append(asyncio.create_task(agents(http, tokens, world, list(outboxes), rate, until, report)))
                await asyncio.sleep(args.minutes * 60 / 2)
                victim = processes[0]
                log(f"kill -9 the app process on port {victim.port}")
                victim.kill()
                report.killed_at = time.monotonic() - started
                await asyncio.sleep(3)  # systemd's RestartSec
                victim.start()
                await asyncio.gather(*work)
                # The day's end: every phone sends what it still holds.
                deadline = time.monotonic() + 120
                while not all(p.done for p in phones) and time.monotonic() < deadline:
                    await asyncio.gather(*(p.sync(http, report, batch=50) for p in phones if not p.done))
                report.seconds = time.monotonic() - started
                report.postgres_cpu_s = postgres_cpu_seconds() - cpu_before
                await asyncio.gather(*consoles)
                if report.consoles_streaming_at_end < args.consoles:
                    report.problems.append(f"{report.consoles_streaming_at_end} of {args.consoles} consoles streaming at the end")
    finally:
        for process in processes:
            process.stop()
    await check(url, phones, planned_notes, orders_before, report)
    return report


def run(argv: list[str] | None = None) -> Report:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--technicians", type=int, default=2000)
    parser.add_argument("--minutes", type=float, default=5)
    parser.add_argument("--compression", type=float, default=12)
    parser.add_argument("--processes", type=int, default=3)
    parser.add_argument("--orders", type=int, default=2)
    parser.add_argument("--per-order", type=int, default=6)
    parser.add_argument("--consoles", type=int, default=3)
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="branch-day-"))
    with database("postgres", "branch_day", workdir) as url:
        return asyncio.run(day(args, url, workdir))


if __name__ == "__main__":
    print(json.dumps(run().summary(), indent=2, ensure_ascii=False))
