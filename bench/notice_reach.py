"""Reaching technicians (issue 18): from an assignment to its first delivery on each channel, and
from the escalation policy's "not seen" limit to the dispatchers' alert.

    .venv/bin/python bench/notice_reach.py [--database sqlite|postgres] [--dispatches 40] [--alerts 20]

The app runs as in production: uvicorn in a subprocess, the push sender and the reach worker in
its lifespan (default poll interval, 1 s). The remote services are on loopback in this process:
tests/fake_push.py (verifies VAPID, decrypts) for web push, tests/fake_channels.py (checks the
WeCom token and the Aliyun signature, template and parameters) for WeCom and SMS.

1. Delivery: `--dispatches` orders dispatched over HTTP one after another at random moments
   (0-1 s apart, not in step with the worker's poll) to a technician reached by web push (the
   baseline, issue 6's channel), then by WeCom, then by SMS; from sending POST …/dispatch to the
   remote service's receipt. Goal p99 <= 5 s when a channel is up.
2. Alert: the policy set to "not seen in 1 minute"; `--alerts` orders dispatched over ~10 s and
   never opened; from each one's limit (dispatch + 60 s) to its alert showing in GET
   /api/reach/alerts (polled every 200 ms, which adds up to 0.2 s). Goal: within 10 s.
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
os.environ.setdefault("ARGON2_TIME_COST", "1")
os.environ.setdefault("ARGON2_MEMORY_KIB", "1024")

from bench.push_delivery import SUBJECT, database_url, percentile, postgres_admin  # noqa: E402
from tests.app_server import free_port, uvicorn_command  # noqa: E402

MOBILE = "13800138000"
POLICY_SEEN_MINUTES = 1


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--dispatches", type=int, default=40)
    parser.add_argument("--alerts", type=int, default=20)
    args = parser.parse_args()

    from tests.fake_channels import FakeChannels

    workdir = Path(tempfile.mkdtemp(prefix="reach-bench-"))
    url, admin = database_url(args.database, workdir)
    if admin:
        name = url.rsplit("/", 1)[1]
        asyncio.run(postgres_admin(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        asyncio.run(postgres_admin(admin, f'CREATE DATABASE "{name}"'))
    with FakeChannels() as channels:
        from tests import fake_channels as fc

        env = {
            **os.environ,
            "DATABASE_URL": url,
            "APP_MODE": "production",
            "PUSH_WORKER": "1",
            "PUSH_ENDPOINT_ORIGINS": "http://127.0.0.1:*",
            "PUSH_VAPID_SUBJECT": SUBJECT,
            "WECOM_CORP_ID": fc.CORP_ID,
            "WECOM_AGENT_ID": fc.AGENT_ID,
            "WECOM_SECRET": fc.CORP_SECRET,
            "WECOM_API_BASE": channels.base,
            "SMS_PROVIDER": "aliyun",
            "SMS_ACCESS_KEY_ID": fc.KEY_ID,
            "SMS_ACCESS_KEY_SECRET": fc.KEY_SECRET,
            "SMS_SIGN_NAME": fc.SIGN_NAME,
            "SMS_TEMPLATE_ID": fc.TEMPLATE,
            "SMS_API_BASE": f"{channels.base}/aliyun",
        }
        subprocess.run(
            [sys.executable, "cli.py", "migrate"],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
        )
        try:
            run_bench(args, url, env, channels)
        finally:
            if admin:
                asyncio.run(
                    postgres_admin(
                        admin, f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'
                    )
                )


def wait_for(condition, timeout: float, step: float = 0.01):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(step)
    raise TimeoutError("the condition never held")


def run_bench(args: argparse.Namespace, url: str, env: dict[str, str], channels) -> None:
    import httpx

    from db.engine import bind, engine_from_url
    from db.tables import StaffUser
    from tests.fake_push import FakePushService
    from tests.world import PASSWORD, build_world

    bind(engine_from_url(url))
    from services.policies.service import ensure_default_policies

    asyncio.run(ensure_default_policies())
    world = asyncio.run(build_world())
    asyncio.run(
        StaffUser.update({StaffUser.phone: MOBILE}).where(StaffUser.username == "tech2b").run()
    )
    port = free_port()
    server = subprocess.Popen(
        uvicorn_command(port, "--log-level", "warning"),
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    results: dict[str, list[float]] = {}
    lags: list[float] = []
    try:
        with (
            FakePushService(subject=SUBJECT) as push,
            httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as http,
        ):
            wait_for(lambda: _healthy(http), timeout=120, step=0.1)
            tokens = {
                u: http.post("/api/auth/login", json={"username": u, "password": PASSWORD}).json()[
                    "token"
                ]
                for u in ("agent", "dispatcher", "supervisor", "tech2", "tech2b")
            }

            def call(user: str, method: str, path: str, json: dict | None = None):
                response = http.request(
                    method, path, json=json, headers={"Authorization": f"Bearer {tokens[user]}"}
                )
                assert response.status_code < 300, response.text
                return response.json() if response.content else None

            push.server_key = call("tech2", "GET", "/api/push/vapid-public-key")["public_key"]
            call(
                "tech2", "POST", "/api/push/subscriptions", push.subscriber().subscription("phone")
            )
            call("tech2", "PUT", "/api/reach/preferences", {"channels": ["webpush"]})

            def dispatch(tech: str) -> tuple[dict, float]:
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
                time.sleep(random.uniform(0, 1))  # not in step with the worker's poll
                sent = time.time()
                call(
                    "dispatcher",
                    "POST",
                    f"/api/work-orders/{order['id']}/dispatch",
                    {"assignee_id": world.uid(tech)},
                )
                return order, sent

            # 1. delivery, per channel
            phases = [
                ("webpush", "tech2", None),
                ("wecom", "tech2b", {"channels": ["wecom"], "wecom_user": "ZhouWeiXiu"}),
                ("sms", "tech2b", {"channels": ["sms"]}),
            ]
            for name, tech, preference in phases:
                if preference:
                    call(tech, "PUT", "/api/reach/preferences", preference)
                got = (
                    (lambda: push.deliveries)
                    if name == "webpush"
                    else (lambda n=name: channels.of("wecom" if n == "wecom" else "aliyun"))
                )
                results[name] = []
                for _ in range(args.dispatches):
                    before = len(got())
                    order, sent = dispatch(tech)
                    wait_for(lambda b=before, got=got: len(got()) > b, timeout=30)
                    arrived = got()[before]
                    results[name].append(
                        (arrived.received_at if name == "webpush" else arrived.at) - sent
                    )
                print(f"  {name}: median {statistics.median(results[name]):.3f} s", flush=True)

            # 2. the dispatchers' alert
            call(
                "supervisor",
                "POST",
                "/api/policies/escalation",
                {"seen_minutes": POLICY_SEEN_MINUTES, "deliver_minutes": 60},
            )
            call(
                "tech2b",
                "PUT",
                "/api/reach/preferences",
                {"channels": ["wecom"], "wecom_user": "ZhouWeiXiu"},
            )
            limits = {}
            for _ in range(args.alerts):
                order, sent = dispatch("tech2b")
                limits[order["id"]] = sent + POLICY_SEEN_MINUTES * 60
            alerted: dict[int, float] = {}
            deadline = time.monotonic() + POLICY_SEEN_MINUTES * 60 + 60
            while len(alerted) < len(limits) and time.monotonic() < deadline:
                now = time.time()
                for alert in call("dispatcher", "GET", "/api/reach/alerts"):
                    alerted.setdefault(alert["work_order"], now)
                time.sleep(0.2)
            lags = [alerted[o] - limits[o] for o in limits if o in alerted]
            assert len(lags) == len(limits), f"{len(limits) - len(lags)} alerts never came"
            assert not push.errors and not channels.errors, (push.errors[:3], channels.errors[:3])
    finally:
        server.terminate()
        server.wait(timeout=10)

    print(f"database: {args.database}; worker poll interval {env.get('PUSH_POLL_SECONDS', '1')} s")
    base = statistics.median(results["webpush"])
    for name, values in results.items():
        p99 = percentile(values, 0.99)
        print(
            f"assignment -> delivered by {name}: {len(values)} dispatches: median {statistics.median(values):.3f} s, "
            f"p99 {p99:.3f} s, max {max(values):.3f} s, median x web push {statistics.median(values) / base:.2f} "
            f"(goal p99 <= 5 s: {'met' if p99 <= 5 else 'MISSED'})"
        )
    print(
        f"policy limit -> dispatcher alert: {len(lags)} unseen assignments: median {statistics.median(lags):.3f} s, "
        f"p99 {percentile(lags, 0.99):.3f} s, max {max(lags):.3f} s after the limit "
        f"(goal within 10 s: {'met' if max(lags) <= 10 else 'MISSED'})"
    )


def _healthy(http) -> bool:
    import httpx

    try:
        return http.get("/healthz").status_code == 200
    except httpx.TransportError:
        return False


if __name__ == "__main__":
    main()
