"""Web push delivery (issue 6): how fast the sender empties the outbox, and how long a technician
waits between a dispatch and the push reaching the push service.

    .venv/bin/python bench/push_delivery.py [--database sqlite|postgres] [--pushes 2000] [--rounds 3] [--dispatches 200]

The app runs as in production: uvicorn in a subprocess, the sender in its lifespan (PUSH_WORKER=1,
default poll interval). The push service is tests/fake_push.py in this process, on loopback: it
verifies every VAPID JWT and decrypts every body before answering 201, so "delivered" means
delivered intact.

1. Throughput: `--pushes` notifications (ten devices of one technician) committed to the outbox in
   one transaction; pushes per second = (N - 1) / (last receipt - first receipt). Median of rounds.
2. Latency: `--dispatches` orders created and dispatched over HTTP one after another, each at a
   random moment (0-1 s after the previous push arrived, so not in step with the sender's poll);
   from sending POST /api/work-orders/{id}/dispatch to the decrypted push arriving. Goal p99 <= 5 s.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("ARGON2_TIME_COST", "1")  # the bench's accounts; logins are not measured
os.environ.setdefault("ARGON2_MEMORY_KIB", "1024")
from tests.app_server import free_port, uvicorn_command  # noqa: E402 (ROOT on the path first)

SUBJECT = "mailto:bench@example.com"
DEVICES = 10


def database_url(kind: str, workdir: Path) -> tuple[str, str | None]:
    """(url, admin url to drop it with) for a fresh database."""
    if kind == "sqlite":
        return f"sqlite:///{workdir / 'bench.db'}", None
    admin = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
    return f"{admin.rsplit('/', 1)[0]}/bench_push_{os.getpid()}", admin


async def postgres_admin(admin_url: str, statement: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(admin_url)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--pushes", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--dispatches", type=int, default=200)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="push-bench-"))
    url, admin = database_url(args.database, workdir)
    if admin:
        name = url.rsplit("/", 1)[1]
        asyncio.run(postgres_admin(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        asyncio.run(postgres_admin(admin, f'CREATE DATABASE "{name}"'))
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "APP_MODE": "production",
        "PUSH_WORKER": "1",
        "PUSH_ENDPOINT_ORIGINS": "http://127.0.0.1:*",
        "PUSH_VAPID_SUBJECT": SUBJECT,
    }
    subprocess.run(
        [sys.executable, "cli.py", "migrate"], cwd=ROOT, env=env, check=True, capture_output=True
    )
    try:
        run_bench(args, url, env)
    finally:
        if admin:
            asyncio.run(
                postgres_admin(
                    admin, f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'
                )
            )


def run_bench(args: argparse.Namespace, url: str, env: dict[str, str]) -> None:
    import httpx

    from db.engine import bind, engine_from_url, write_transaction
    from domain.notifications import NoticeType, Notification, Urgency
    from push.outbox import enqueue
    from tests.fake_push import FakePushService
    from tests.world import PASSWORD, build_world

    bind(engine_from_url(url))
    from services.policies.service import ensure_default_policies

    asyncio.run(ensure_default_policies())
    world = asyncio.run(build_world())
    port = free_port()
    server = subprocess.Popen(
        uvicorn_command(port, "--log-level", "warning"),
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        with (
            FakePushService(subject=SUBJECT) as push,
            httpx.Client(base_url=base, timeout=30) as http,
        ):
            for _ in range(100):
                try:
                    if http.get("/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            tokens = {
                user: http.post(
                    "/api/auth/login", json={"username": user, "password": PASSWORD}
                ).json()["token"]
                for user in ("agent", "dispatcher", "tech2", "tech2b")
            }

            def call(user: str, method: str, path: str, json: dict | None = None) -> dict:
                response = http.request(
                    method, path, json=json, headers={"Authorization": f"Bearer {tokens[user]}"}
                )
                assert response.status_code < 300, response.text
                return response.json()

            push.server_key = call("tech2", "GET", "/api/push/vapid-public-key")["public_key"]
            call(
                "tech2", "POST", "/api/push/subscriptions", push.subscriber().subscription("phone")
            )
            devices = [push.subscriber() for _ in range(DEVICES)]
            for n, device in enumerate(devices):
                call(
                    "tech2b", "POST", "/api/push/subscriptions", device.subscription(f"device-{n}")
                )
            flood = {d.token for d in devices}

            # 1. throughput
            note = Notification(
                recipient=world.uid("tech2b"),
                type=NoticeType.assigned,
                topic="wo-1",
                urgency=Urgency.high,
                ttl_seconds=3600,
                params={
                    "code": "GD20261123000001",
                    "kind": "repair",
                    "area": "锦江片区",
                    "due": "2026-11-23T02:30:00+00:00",
                    "urges": 0,
                },
            )

            async def commit_flood() -> None:
                async with write_transaction():
                    await enqueue([note] * (args.pushes // DEVICES))

            rates = []
            for _ in range(args.rounds):
                before = len(push.deliveries)
                asyncio.run(commit_flood())
                committed = time.time()
                arrived = push.wait_for(before + args.pushes, timeout=600)[before:]
                times = sorted(d.received_at for d in arrived if d.token in flood)
                assert len(times) == args.pushes and not push.errors, (len(times), push.errors[:3])
                rates.append((len(times) - 1) / (times[-1] - times[0]))
                print(
                    f"  round: {len(times)} pushes, first after {times[0] - committed:.2f} s, "
                    f"{rates[-1]:.0f} pushes/s",
                    flush=True,
                )

            # 2. latency
            latencies = []
            for _ in range(args.dispatches):
                order = call(
                    "agent",
                    "POST",
                    "/api/work-orders",
                    {
                        "kind": "repair",
                        "customer_id": world.customers["ordinary"],
                        "description": "宽带断网",
                    },
                )
                # Dispatches come when they come, not in step with the sender's poll.
                time.sleep(random.uniform(0, 1))
                before = len(push.deliveries)
                sent = time.time()
                call(
                    "dispatcher",
                    "POST",
                    f"/api/work-orders/{order['id']}/dispatch",
                    {"assignee_id": world.uid("tech2")},
                )
                [delivery] = push.wait_for(before + 1, timeout=30)[before:]
                assert (
                    delivery.message["order"] == order["id"]
                    and delivery.message["type"] == "assigned"
                )
                latencies.append(delivery.received_at - sent)
            assert not push.errors, push.errors[:3]
    finally:
        server.terminate()
        server.wait(timeout=10)

    print(f"database: {args.database}; sender poll interval {env.get('PUSH_POLL_SECONDS', '1')} s")
    print(
        f"throughput: {args.pushes} pushes x {args.rounds} rounds, encrypted, signed, verified and decrypted: "
        f"median {statistics.median(rates):.0f} pushes/s (rounds: {', '.join(f'{r:.0f}' for r in rates)})"
    )
    print(
        f"assignment -> push delivered: {len(latencies)} dispatches over HTTP: "
        f"median {statistics.median(latencies):.3f} s, p99 {percentile(latencies, 0.99):.3f} s, "
        f"max {max(latencies):.3f} s (goal p99 <= 5 s: {'met' if percentile(latencies, 0.99) <= 5 else 'MISSED'})"
    )


if __name__ == "__main__":
    main()
