"""A branch day, compressed, through the production path: nginx (deploy/nginx-fieldservice.conf,
HTTPS) in front of `--processes` app processes on PostgreSQL, photos on S3 (moto's server on
loopback), pushes to a fake push service (tests/fake_push.py), with faults mid-run. Results in
docs/benchmarks.md.

    .venv/bin/python bench/branch_day.py [--technicians 2000] [--minutes 5] [--compression 12]
                                         [--processes 3] [--orders 2] [--per-order 6]
                                         [--faults kill,postgres,s3] [--s3-down 30]
                                         [--generators 2]

The load, in compressed time (`--compression` 12: an hour of the day in 5 minutes):
- technicians: each phone has an outbox of its day's steps on its orders (accept, contact,
  arrive, a photo, notes, recorded work, a signature: bench/sync_common.py::day_mutations); every
  30 s of branch time it pushes up to 3 of them (with `first_unsettled`) and pulls with its cursor.
  A push that fails (the process died under it, 502) stays unsettled and is sent again. Each phone
  also uploads one photo over tus at a random moment, resuming from the server's offset whenever
  a part fails, and is subscribed to web push. The phones are driven by `--generators`
  processes of their own (one Python process cannot make 2,000 phones' requests);
- agents create orders at a real branch's rate: 1 M orders a year is 114 an hour on average, the
  morning peak 3x that (342 an hour); a dispatcher dispatches each to a technician (a push);
- consoles: `--consoles` dispatchers' event streams, reconnecting when a stream ends.
Faults (`--faults`): `kill` = kill -9 of one app process at 30 % of the day (app processes that
end are started again 2 s later, as systemd's Restart=always does); `postgres` = PostgreSQL stopped at 50 % and started 3 s later
(the run always has a server of its own, tests/private_postgres.py, never the shared one); `s3` = the S3 endpoint down
for `--s3-down` seconds from 60 %.
Afterwards every phone drains its outbox and finishes its photo, and the run checks: every
mutation applied or rejected (with a reason) exactly once (one outcome row per id, the client's
last id = its outbox), every planned note once in its order's history, every created order stored
once, every photo stored once (one blob row, three objects in S3) and ready on its order, every
queued push sent and received (or dropped unsent, its notice superseded or seen), every console
streaming at the end and resynced after the restart.
Reports throughput, p50/p99 per endpoint, errors per endpoint, the CPU time of PostgreSQL, the
app processes, nginx and the load generators, PostgreSQL's wait events (sampled from
pg_stat_activity) and the load average.
A run that ends well removes its work directory (in the system's temp directory, `branch-day-*`).
A failed one keeps it, and prints the end of nginx's error log and of each app process's log.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import functools
import json
import logging
import multiprocessing
import os
import random
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sync_common import (
    ROOT,
    add_technicians,
    bound,
    database,
    day_mutations,
    free_port,
    log,
    percentile,
    seed_day,
    seed_world,
)

sys.path.insert(0, str(ROOT))
ORDERS_PER_HOUR_PEAK = 1_000_000 / 365 / 24 * 3  # the morning peak: 3x the mean of 1 M a year
SYNC_PERIOD_S = 30  # a phone with the app open syncs every 30 s of branch time
# The day's end: how long phones go on sending what they hold. A saturated day of 2,000 phones
# ends with most of them holding something and every one sending at once.
DRAIN_S = 600
FAULTS = ("kill", "postgres", "s3")
TUS = {"Tus-Resumable": "1.0.0"}
PUSH_SUBJECT = "mailto:ops@branch.example"
BUCKET = "evidence"


@dataclass
class Report:
    requests: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    created: int = 0
    create_failed: int = 0  # no answer: the order may or may not exist (no idempotency key)
    console_events: int = 0
    console_reconnects: int = 0
    consoles_streaming_at_end: int = 0
    faults: dict[str, float] = field(
        default_factory=dict
    )  # fault -> seconds into the day it struck
    consoles_resynced: int = (
        0  # consoles that got a resync (or a fresh stream) after the PostgreSQL restart
    )
    photos_stored: int = 0
    pushes_sent: int = 0
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)
    # CPU-seconds over the day and its end, by who spent them (cpu_seconds): where the machine went
    cpu_s: dict[str, float] = field(default_factory=dict)
    waits: Counter = field(default_factory=Counter)  # pg_stat_activity samples of active backends
    load_average: list[float] = field(default_factory=list)
    workdir: Path | None = None  # the run's logs and files: removed when the run ends well

    def timed(self, endpoint: str, started: float, ok: bool) -> None:
        if ok:
            self.requests[endpoint].append(time.perf_counter() - started)
        else:
            self.errors[endpoint] += 1

    def summary(self) -> dict:
        total = sum(len(v) for v in self.requests.values())
        return {
            "seconds": round(self.seconds, 1),
            "requests": total,
            "requests_per_s": round(total / self.seconds, 1),
            "endpoints": {
                k: {
                    "n": len(v),
                    "p50_ms": round(percentile(v, 0.5) * 1000, 1),
                    "p99_ms": round(percentile(v, 0.99) * 1000, 1),
                    "errors": self.errors.get(k, 0),
                }
                for k, v in sorted(self.requests.items())
            },
            "orders_created": self.created,
            "creates_unanswered": self.create_failed,
            "console_events": self.console_events,
            "console_reconnects": self.console_reconnects,
            "consoles_streaming_at_end": self.consoles_streaming_at_end,
            "consoles_resynced": self.consoles_resynced,
            "faults_at_s": {k: round(v, 1) for k, v in self.faults.items()},
            "photos_stored": self.photos_stored,
            "pushes_sent": self.pushes_sent,
            "cpu_s": {k: round(v, 1) for k, v in self.cpu_s.items()},
            "postgres_waits": dict(self.waits.most_common(12)),
            "load_average": self.load_average,
            "problems": self.problems,
        }


def cpu_seconds(roots: set[int]) -> float:
    """CPU time (user + system) so far of the processes `roots` and those they forked (for a
    PostgreSQL server's postmaster: its backends, checkpointer, walwriter, …; for nginx's master:
    its workers), nobody else's. A process that has ended no longer counts."""
    total, tick = 0, os.sysconf("SC_CLK_TCK")
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        rest = stat[stat.rindex(")") + 2 :].split()
        if int(pid) in roots or int(rest[1]) in roots:
            total += int(rest[11]) + int(rest[12])
    return total / tick


class AppProcess:
    def __init__(self, url: str, workdir: Path, env: dict[str, str], args: tuple[str, ...]) -> None:
        self.port, self.url, self.workdir, self.env = free_port(), url, workdir, env
        self.args = args  # uvicorn's, beyond those every run has
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        from tests.app_server import uvicorn_command

        log_file = open(self.workdir / f"app-{self.port}.log", "ab")
        self.process = subprocess.Popen(
            uvicorn_command(self.port, "--log-level", "warning", "--no-access-log", *self.args),
            cwd=ROOT,
            env={**os.environ, **self.env, "DATABASE_URL": self.url},
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self) -> None:
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

    async def supervise(self, until: float) -> None:
        """As systemd's Restart=always, RestartSec=2 (deploy/fieldservice@.service): a process
        that ended (killed, or refused to start while PostgreSQL was down) is started again."""
        while time.monotonic() < until:
            if self.process.poll() is not None:
                log(
                    f"app process on port {self.port} ended ({self.process.returncode}): starting it again"
                )
                await asyncio.sleep(2)
                self.start()
            await asyncio.sleep(0.5)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()


def with_photo(outbox: list[dict], upload_id: str) -> list[dict]:
    """The day's outbox with a photo attached to the first order once on site (after `arrive`),
    ids renumbered: the phone attaches the photo by the upload id it chose before uploading."""
    at = next(i for i, m in enumerate(outbox) if m["name"] == "arrive") + 1
    photo = {
        "name": "attach_photo",
        "args": {
            "order_id": outbox[at - 1]["args"]["order_id"],
            "upload_id": upload_id,
            "kind": "after",
            "caption": "分支器更换后",
        },
        "device_time": outbox[at - 1]["device_time"],
    }
    return [{**m, "id": n} for n, m in enumerate([*outbox[:at], photo, *outbox[at:]], start=1)]


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


async def call(
    http, report: Report, endpoint: str, method: str, url: str, ok: tuple[int, ...], **kwargs
):
    """One request, timed under `endpoint`; the response if its status is one of `ok`, else None."""
    started = time.perf_counter()
    try:
        response = await http.request(method, url, **kwargs)
    except Exception:
        response = None
    good = response is not None and response.status_code in ok
    report.timed(endpoint, started, good)
    return response if good else None


class Phone:
    def __init__(
        self, username: str, token: str, outbox: list[dict], photo_seed: int, upload_id: str
    ) -> None:
        self.username, self.token, self.outbox = username, token, outbox
        self.client_id = f"phone-{username}"
        self.settled = 0  # every id up to here is settled
        self.cursor: str | None = None
        self.photo_seed, self.upload_id, self.upload_url = photo_seed, upload_id, None
        self.photo_due = 0.0  # time.monotonic() from which the phone uploads its photo
        self.photo_done = False

    @functools.cached_property
    def photo(self) -> bytes:
        """Made on first use, in the load generator's process that drives the phone (a phone is
        sent there without it: 2,000 photos are 200 MB)."""
        from tests.photos import photo

        return photo("JPEG", (320, 240), seed=self.photo_seed, noise=True)

    @property
    def done(self) -> bool:
        return self.settled >= len(self.outbox) and self.photo_done

    async def sync(self, http, report: Report, batch: int = 3) -> None:
        headers = {"Authorization": f"Bearer {self.token}"}
        if not self.photo_done and time.monotonic() >= self.photo_due:
            await self.upload(http, report)
        if self.settled < len(self.outbox):
            mutations = self.outbox[self.settled : self.settled + batch]
            response = await call(
                http,
                report,
                "push",
                "POST",
                "/api/sync/push",
                (200,),
                headers=headers,
                json={
                    "client_id": self.client_id,
                    "first_unsettled": self.settled + 1,
                    "mutations": mutations,
                },
            )
            if response is not None:
                self.settled = max(self.settled, response.json()["last_mutation_id"])
        params = {"client_id": self.client_id, **({"cursor": self.cursor} if self.cursor else {})}
        response = await call(
            http, report, "pull", "GET", "/api/sync/pull", (200,), headers=headers, params=params
        )
        if response is not None:
            self.cursor = response.json()["cursor"]

    async def upload(self, http, report: Report) -> None:
        """One try at the photo over tus, as the PWA's client does: create it (the same id again
        is the same upload), ask the server's offset, send the rest. A failure waits for the next sync."""
        headers = {"Authorization": f"Bearer {self.token}", **TUS}
        if self.upload_url is None:
            created = await call(
                http,
                report,
                "upload create",
                "POST",
                "/api/uploads/",
                (201,),
                headers={
                    **headers,
                    "Upload-Length": str(len(self.photo)),
                    "Upload-Metadata": f"filename {b64('after.jpg')},id {b64(self.upload_id)}",
                },
            )
            if created is None:
                return
            self.upload_url = created.headers["location"]
        head = await call(
            http, report, "upload offset", "HEAD", self.upload_url, (200,), headers=headers
        )
        if head is None:
            return
        offset = int(head.headers["upload-offset"])
        if offset == len(self.photo):  # counted in full only once stored
            self.photo_done = True
            return
        sent = await call(
            http,
            report,
            "upload patch",
            "PATCH",
            self.upload_url,
            (204,),
            content=self.photo[offset:],
            headers={
                **headers,
                "Upload-Offset": str(offset),
                "Content-Type": "application/offset+octet-stream",
            },
        )
        self.photo_done = sent is not None and int(sent.headers["upload-offset"]) == len(self.photo)


async def technician(phone: Phone, http, period: float, until: float, report: Report) -> None:
    await asyncio.sleep(random.uniform(0, period))  # phones are not in step
    while time.monotonic() < until:
        await phone.sync(http, report)
        await asyncio.sleep(period)


def clients_for(phones: int) -> tuple[int, httpx.Limits]:
    """How many HTTP clients a generator process spreads its phones over, and each one's pool.
    One pool for 2,000 phones spent the load generator's CPU matching queued requests to
    connections (httpcore's pool is quadratic in what waits), and measured that, not the server."""
    count = min(25, -(-phones // 80))  # 80 phones or more a client; 200 connections a process
    return count, httpx.Limits(max_connections=200 // count, max_keepalive_connections=200 // count)


def phones_day(
    base_url: str, cafile: str, phones: list[Phone], period: float, until: float
) -> tuple[list[tuple[int, bool]], dict, dict]:
    """One load generator process: its share of the phones through the day, then the day's end
    (every phone sends what it still holds, for up to DRAIN_S). Returns each phone's
    (settled, photo_done) and the timings and errors (time.monotonic is the same clock in
    every process of the machine, so `until` and the photos' due times hold here too)."""
    return asyncio.run(drive_phones(base_url, cafile, phones, period, until))


async def drive_phones(
    base_url: str, cafile: str, phones: list[Phone], period: float, until: float
) -> tuple[list[tuple[int, bool]], dict, dict]:
    report = Report()
    tls = ssl.create_default_context(cafile=cafile)
    count, limits = clients_for(len(phones))
    async with contextlib.AsyncExitStack() as clients:
        pools = [
            await clients.enter_async_context(
                httpx.AsyncClient(base_url=base_url, verify=tls, timeout=30, limits=limits)
            )
            for _ in range(count)
        ]
        await asyncio.gather(
            *(technician(p, pools[n % count], period, until, report) for n, p in enumerate(phones))
        )
        deadline = time.monotonic() + DRAIN_S
        while not all(p.done for p in phones) and time.monotonic() < deadline:
            await asyncio.gather(
                *(
                    p.sync(pools[n % count], report, batch=50)
                    for n, p in enumerate(phones)
                    if not p.done
                )
            )
            await asyncio.sleep(period)
    return [(p.settled, p.photo_done) for p in phones], dict(report.requests), dict(report.errors)


async def agents(
    http,
    tokens: dict[str, str],
    world,
    technicians: list[str],
    rate: float,
    until: float,
    report: Report,
) -> None:
    """Orders arriving at `rate` a second (Poisson: calls come whether or not the last one is
    done), each created by an agent and dispatched at once."""
    agent, dispatcher = ({"Authorization": f"Bearer {tokens[u]}"} for u in ("agent", "dispatcher"))

    async def order() -> None:
        response = await call(
            http,
            report,
            "create order",
            "POST",
            "/api/work-orders",
            (201,),
            headers=agent,
            json={
                "kind": "repair",
                "customer_id": world.customers["ordinary"],
                "description": "宽带断网,光猫LOS灯红",
            },
        )
        if response is None:
            report.create_failed += (
                1  # no answer: the order may or may not exist (no idempotency key)
            )
            return
        report.created += 1
        order_id, assignee = response.json()["id"], world.uid(random.choice(technicians))
        for _ in range(
            10
        ):  # a step is safe to send again: a second dispatch of the same is refused (409)
            if await call(
                http,
                report,
                "dispatch",
                "POST",
                f"/api/work-orders/{order_id}/dispatch",
                (200, 409),
                headers=dispatcher,
                json={"assignee_id": assignee},
            ):
                break
            await asyncio.sleep(1)

    calls = []
    while time.monotonic() < until:
        await asyncio.sleep(random.expovariate(rate))
        calls.append(asyncio.create_task(order()))
    await asyncio.gather(*calls)


@dataclass
class Console:
    """A dispatcher's event stream through nginx, opened again whenever it ends (its process
    died); streaming still when the day ends. `resynced_at`: when it last learnt that it must
    fetch everything again (a `resync` event, or a fresh stream after a lost one)."""

    token: str
    resynced_at: float = 0.0

    async def run(self, http, until: float, report: Report) -> None:
        while time.monotonic() < until:
            try:
                async with http.stream(
                    "GET",
                    "/api/events",
                    headers={"Authorization": f"Bearer {self.token}"},
                    timeout=None,
                ) as response:
                    if response.status_code != 200:
                        await asyncio.sleep(1)
                        continue
                    self.resynced_at = (
                        time.monotonic()
                    )  # a console fetches the board whenever it (re)connects
                    async for line in response.aiter_lines():
                        if line.startswith("event:"):
                            report.console_events += 1
                            if line.split(":", 1)[1].strip() == "resync":
                                self.resynced_at = time.monotonic()
                        if time.monotonic() >= until:
                            report.consoles_streaming_at_end += 1
                            return
            except Exception:
                pass
            report.console_reconnects += 1
            await asyncio.sleep(1)


async def sample_waits(url: str, until: float, report: Report) -> None:
    """What the active backends wait on, once a second (pg_stat_activity), plus the load average."""
    import asyncpg

    while time.monotonic() < until:
        with contextlib.suppress(Exception):  # the server may be restarting
            connection = await asyncpg.connect(url, timeout=5)
            try:
                while time.monotonic() < until:
                    for row in await connection.fetch(
                        "SELECT coalesce(wait_event_type || ':' || wait_event, 'CPU') AS wait FROM pg_stat_activity "
                        "WHERE state = 'active' AND pid <> pg_backend_pid() AND datname = current_database()"
                    ):
                        report.waits[row["wait"]] += 1
                    report.load_average.append(os.getloadavg()[0])
                    await asyncio.sleep(1)
            finally:
                await connection.close()
        await asyncio.sleep(1)
    loads = sorted(report.load_average)
    report.load_average = (
        [round(loads[0], 1), round(percentile(loads, 0.5), 1), round(loads[-1], 1)] if loads else []
    )


async def check(
    url: str,
    phones: list[Phone],
    planned_notes: dict[int, int],
    orders_before: int,
    report: Report,
    s3,
    pushes,
) -> None:
    from db.evidence_tables import EvidenceUpload, PhotoBlob
    from db.push_tables import PushOutbox
    from db.sync_tables import SyncClient, SyncMutation
    from db.tables import WorkOrder, WorkOrderEvent

    async with bound(url):
        clients = {
            r["client_id"]: r
            for r in await SyncClient.select(
                SyncClient.id, SyncClient.client_id, SyncClient.last_mutation_id
            )
        }
        for phone in phones:
            client = clients.get(phone.client_id)
            if client is None or client["last_mutation_id"] != len(phone.outbox):
                report.problems.append(
                    f"{phone.client_id}: last id {client and client['last_mutation_id']} of {len(phone.outbox)}"
                )
                continue
            outcomes = await SyncMutation.select(
                SyncMutation.mutation_id, SyncMutation.status, SyncMutation.reason_key
            ).where(SyncMutation.client == client["id"])
            ids = sorted(r["mutation_id"] for r in outcomes)
            if ids != list(range(1, len(phone.outbox) + 1)):
                report.problems.append(
                    f"{phone.client_id}: outcomes for {len(ids)} ids, {len(set(ids))} distinct, of {len(phone.outbox)}"
                )
            for outcome in outcomes:
                if outcome["status"] != "applied" and not (
                    outcome["status"] == "rejected" and outcome["reason_key"]
                ):
                    report.problems.append(
                        f"{phone.client_id} #{outcome['mutation_id']}: {outcome['status']} {outcome['reason_key']!r}"
                    )
        for order_id, count in planned_notes.items():
            notes = await WorkOrderEvent.count().where(
                (WorkOrderEvent.work_order == order_id) & (WorkOrderEvent.action == "note")
            )
            if notes != count:
                report.problems.append(f"order {order_id}: {notes} notes, {count} planned")
        stored = await WorkOrder.count() - orders_before
        if not report.created <= stored <= report.created + report.create_failed:
            report.problems.append(
                f"{stored} orders stored, {report.created} created (+{report.create_failed} unanswered)"
            )
        # Photos: each upload complete, each content one blob row and three objects (original,
        # display, thumbnail) in the bucket.
        uploads = await EvidenceUpload.select(
            EvidenceUpload.upload_id, EvidenceUpload.status, EvidenceUpload.sha256
        )
        complete = {str(u["upload_id"]): u["sha256"] for u in uploads if u["status"] == "complete"}
        for phone in phones:
            if phone.upload_id not in complete:
                report.problems.append(f"{phone.client_id}: photo {phone.upload_id} not stored")
        blobs = [b["sha256"] for b in await PhotoBlob.select(PhotoBlob.sha256)]
        keys = Counter()
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
            keys.update(o["Key"].split(".")[0] for o in page.get("Contents", []))
        report.photos_stored = len(blobs)
        if sorted(blobs) != sorted(set(complete.values())) or len(blobs) != len(phones):
            report.problems.append(
                f"{len(blobs)} photo blobs for {len(set(complete.values()))} stored contents of {len(phones)} phones"
            )
        if keys != Counter({sha: 3 for sha in blobs}):
            report.problems.append(
                f"S3 holds {sum(keys.values())} objects for {len(keys)} photos, not 3 each of {len(blobs)}"
            )
        # Pushes: every one queued was sent, and the push service received it (the same phone, the
        # same topic), unless it was dropped unsent because its notice no longer needed it: a newer
        # notice of the same order to the same person superseded it, or the person saw the order.
        rows = await PushOutbox.select(
            PushOutbox.state,
            PushOutbox.topic,
            PushOutbox.subscription.endpoint.as_alias("endpoint"),
            PushOutbox.reach_notice.superseded_at.as_alias("superseded_at"),
            PushOutbox.reach_notice.seen_at.as_alias("seen_at"),
        )
        states = Counter(r["state"] for r in rows)
        report.pushes_sent = states["sent"]
        if set(states) - {"sent", "dropped"}:
            report.problems.append(f"pushes not sent: {dict(states)}")
        if any(
            r["state"] == "dropped" and r["superseded_at"] is None and r["seen_at"] is None
            for r in rows
        ):
            report.problems.append(f"pushes dropped whose notice still needed them: {dict(states)}")
        received = {(d.token, d.headers.get("topic")) for d in pushes.deliveries}
        lost = [
            r
            for r in rows
            if r["state"] == "sent"
            and (r["endpoint"].rsplit("/", 1)[-1], r["topic"]) not in received
        ]
        if lost or pushes.errors:
            report.problems.append(
                f"{len(lost)} pushes never received; push service errors: {pushes.errors[:3]}"
            )


async def pushes_settled(url: str, seconds: float) -> None:
    """Wait (while the app processes run) until no push is waiting to be sent."""
    from db.push_tables import PushOutbox

    async with bound(url):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and await PushOutbox.count().where(
            PushOutbox.state == "pending"
        ):
            await asyncio.sleep(0.5)


@contextlib.contextmanager
def photo_store(workdir: Path):
    """moto's S3 server on loopback (in this process: its objects outlive a stop and start on the
    same port, as a real endpoint's do) with the bucket made; yields (server, client, env)."""
    import boto3
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # not a line per S3 request
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    credentials = {
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    os.environ.update(credentials)
    client = boto3.client("s3", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1")
    client.create_bucket(Bucket=BUCKET)
    env = {
        **credentials,
        "EVIDENCE_STORE": "s3",
        "EVIDENCE_S3_BUCKET": BUCKET,
        "EVIDENCE_S3_ENDPOINT": f"http://127.0.0.1:{port}",
    }
    try:
        yield server, client, env
    finally:
        server.stop()


async def seed(url: str, args: argparse.Namespace):
    from db.tables import WorkOrder

    async with bound(url):
        world = await seed_world()
        technicians = await add_technicians(world, args.technicians)
        gate = asyncio.Semaphore(6)  # the seeding pool's size, less a spare

        async def morning(username: str) -> list[dict]:
            async with gate:
                return day_mutations(
                    await seed_day(world, username, args.orders, variety=False), args.per_order
                )

        days = await asyncio.gather(*(morning(t.username) for t in technicians))
        return (
            world,
            {t.username: d for t, d in zip(technicians, days, strict=True)},
            await WorkOrder.count(),
        )


async def each(items, act, at_once: int = 24) -> list:
    """`act(item)` for every item, `at_once` at a time (logging 2,000 phones in one by one takes minutes)."""
    gate = asyncio.Semaphore(at_once)

    async def one(item):
        async with gate:
            return await act(item)

    return await asyncio.gather(*(one(item) for item in items))


async def day(args: argparse.Namespace, url: str, workdir: Path, postgres) -> Report:
    from tests.fake_push import FakePushService
    from tests.proxy import Nginx, app_keep_alive_args

    faults = set(args.faults.split(",")) - {""}
    world, outboxes, orders_before = await seed(url, args)
    log(f"seeded {len(outboxes)} technicians' days")
    uploads = {u: str(uuid.uuid4()) for u in outboxes}
    outboxes = {u: with_photo(outbox, uploads[u]) for u, outbox in outboxes.items()}
    planned_notes: dict[int, int] = defaultdict(int)
    for outbox in outboxes.values():
        for m in outbox:
            planned_notes[m["args"]["order_id"]] += m["name"] == "add_note"
    metrics_dir = workdir / "metrics"
    metrics_dir.mkdir()
    report = Report()
    with (
        photo_store(workdir) as (s3_server, s3, s3_env),
        FakePushService(PUSH_SUBJECT) as pushes,
        ProcessPoolExecutor(
            args.generators, mp_context=multiprocessing.get_context("spawn")
        ) as generators,
    ):
        env = {
            "APP_MODE": "production",
            "EVENTS_KEEPALIVE_SECONDS": "1",
            "EVIDENCE_DIR": str(workdir / "evidence"),
            "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
            "ARGON2_TIME_COST": "1",
            "ARGON2_MEMORY_KIB": "1024",
            "PUSH_WORKER": "1",
            "PUSH_ENDPOINT_ORIGINS": "http://127.0.0.1:*",
            "PUSH_VAPID_SUBJECT": PUSH_SUBJECT,
            **s3_env,
        }
        # Run as deployed behind nginx (the unit's keep-alive: nginx closes idle connections).
        processes = [
            AppProcess(url, workdir, env, app_keep_alive_args()) for _ in range(args.processes)
        ]
        for process in processes:
            process.start()
        for process in processes:
            process.wait_ready()
        try:
            with Nginx(workdir, [p.port for p in processes]) as proxy:
                tls = ssl.create_default_context(cafile=str(proxy.cert))
                # This process: log-ins, agents, dispatchers and consoles (the phones: phones_day).
                async with httpx.AsyncClient(base_url=proxy.url, verify=tls, timeout=30) as http:

                    async def log_in(username: str) -> str:
                        response = await http.post(
                            "/api/auth/login",
                            json={"username": username, "password": "correct horse battery"},
                        )
                        return response.json()["token"]

                    async def allow_notifications(username: str) -> None:
                        subscription = pushes.subscriber().subscription(f"phone-{username}")
                        response = await http.post(
                            "/api/push/subscriptions",
                            json=subscription,
                            headers={"Authorization": f"Bearer {tokens[username]}"},
                        )
                        assert response.status_code in (200, 201), response.text

                    usernames = ["agent", "dispatcher", "dispatcher2", "supervisor", *outboxes]
                    tokens = dict(zip(usernames, await each(usernames, log_in), strict=True))
                    await each(list(outboxes), allow_notifications)
                    log(f"{len(outboxes)} phones logged in and subscribed")
                    phones = [
                        Phone(u, tokens[u], outbox, n, uploads[u])
                        for n, (u, outbox) in enumerate(outboxes.items())
                    ]
                    length = args.minutes * 60
                    period = SYNC_PERIOD_S / args.compression
                    rate = ORDERS_PER_HOUR_PEAK * args.compression / 3600

                    def cpu_now() -> dict[str, float]:
                        return {
                            "postgres": cpu_seconds({postgres.postmaster()}),
                            "app processes": cpu_seconds({p.process.pid for p in processes}),
                            "nginx": cpu_seconds({proxy.process.pid}),
                            "load generators": cpu_seconds(
                                {c.pid for c in multiprocessing.active_children()}
                            ),
                            # agents, dispatchers, consoles, S3 (moto) and the push service
                            "this process": time.process_time(),
                        }

                    cpu_before, started = cpu_now(), time.monotonic()
                    until = started + length
                    for phone in phones:  # a photo taken at some moment of the day
                        phone.photo_due = started + random.uniform(0, 0.9) * length
                    consoles = [
                        Console(tokens[u])
                        for u in (["dispatcher", "dispatcher2", "supervisor"] * args.consoles)[
                            : args.consoles
                        ]
                    ]
                    streams = [asyncio.create_task(c.run(http, until, report)) for c in consoles]
                    loop = asyncio.get_running_loop()
                    shares = [phones[g :: args.generators] for g in range(args.generators)]
                    generated = [
                        loop.run_in_executor(
                            generators,
                            phones_day,
                            proxy.url,
                            str(proxy.cert),
                            share,
                            period,
                            until,
                        )
                        for share in shares
                    ]
                    work = [
                        asyncio.create_task(
                            agents(http, tokens, world, list(outboxes), rate, until, report)
                        )
                    ]
                    work.append(asyncio.create_task(sample_waits(url, until, report)))
                    work += [asyncio.create_task(p.supervise(until)) for p in processes]

                    async def at(share: float, fault: str) -> None:
                        await asyncio.sleep(max(0.0, started + share * length - time.monotonic()))
                        report.faults[fault] = time.monotonic() - started

                    if "kill" in faults:
                        await at(0.3, "kill")
                        victim = processes[0]
                        log(f"kill -9 the app process on port {victim.port}")
                        victim.kill()
                    if "postgres" in faults:
                        await at(0.5, "postgres")
                        log("PostgreSQL stopped for 3 s")
                        await asyncio.to_thread(postgres.restart, 3)
                    if "s3" in faults:
                        await at(0.6, "s3")
                        log(f"S3 endpoint down for {args.s3_down} s")
                        s3_server.stop()
                        await asyncio.sleep(args.s3_down)
                        s3_server.start()
                    await asyncio.gather(*work)
                    # The day's end (in the generators): every phone sends what it still holds.
                    for share, (states, requests, errors) in zip(
                        shares, await asyncio.gather(*generated), strict=True
                    ):
                        for phone, (settled, photo_done) in zip(share, states, strict=True):
                            phone.settled, phone.photo_done = settled, photo_done
                        for endpoint, times in requests.items():
                            report.requests[endpoint] += times
                        for endpoint, n in errors.items():
                            report.errors[endpoint] += n
                    report.seconds = time.monotonic() - started
                    # After a restart only the new server's time counts: the old one's is gone with it.
                    if "postgres" in faults:
                        cpu_before["postgres"] = 0.0
                    report.cpu_s = {k: v - cpu_before[k] for k, v in cpu_now().items()}
                    await asyncio.gather(*streams)
                    if report.consoles_streaming_at_end < args.consoles:
                        report.problems.append(
                            f"{report.consoles_streaming_at_end} of {args.consoles} consoles streaming at the end"
                        )
                    if (
                        "postgres" in faults
                    ):  # the events published while no process listened are lost: all fetch again
                        report.consoles_resynced = sum(
                            c.resynced_at > started + report.faults["postgres"] for c in consoles
                        )
                        if report.consoles_resynced < args.consoles:
                            report.problems.append(
                                f"{report.consoles_resynced} of {args.consoles} consoles resynced after the restart"
                            )
                    await pushes_settled(url, 120)
        finally:
            for process in processes:
                process.stop()
        await check(url, phones, planned_notes, orders_before, report, s3, pushes)
    return report


def run(argv: list[str] | None = None) -> Report:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--technicians", type=int, default=2000)
    parser.add_argument("--minutes", type=float, default=5)
    parser.add_argument("--compression", type=float, default=12)
    parser.add_argument("--processes", type=int, default=3)
    parser.add_argument("--orders", type=int, default=2)
    parser.add_argument("--per-order", type=int, default=6)
    parser.add_argument("--consoles", type=int, default=3)
    parser.add_argument(
        "--generators", type=int, default=2, help="load generator processes driving the phones"
    )
    parser.add_argument("--faults", default="kill", help=f"comma-separated, of {', '.join(FAULTS)}")
    parser.add_argument("--s3-down", type=float, default=30, help="seconds the S3 endpoint is down")
    args = parser.parse_args(argv)
    if set(args.faults.split(",")) - {"", *FAULTS}:
        parser.error(f"--faults: only {', '.join(FAULTS)}")
    workdir = Path(tempfile.mkdtemp(prefix="branch-day-"))
    from tests.private_postgres import PrivatePostgres

    failed = True
    try:
        # A server of the run's own: a restart would break every other run on the shared one,
        # and its CPU time is this run's alone.
        with (
            PrivatePostgres() as postgres,
            database("postgres", "branch_day", workdir, postgres.admin_url) as url,
        ):
            report = asyncio.run(day(args, url, workdir, postgres))
        report.workdir = workdir
        failed = bool(report.problems)
        return report
    finally:
        if failed:
            show_logs(workdir)
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def show_logs(workdir: Path, lines: int = 40) -> None:
    """What nginx and the app processes said of a failed run (a 502's cause is in nginx's error
    log, a traceback in an app's), on stderr; the work directory is kept whole."""
    nginx = workdir / "nginx" / "error.log"
    logs = {nginx: "nginx errors"} if nginx.exists() else {}
    logs |= {path: path.name for path in sorted(workdir.glob("app-*.log"))}
    for path, title in logs.items():
        # Not the chatter: nginx logs each closed keep-alive connection at `info`, an app process
        # each request.
        text = [
            line
            for line in path.read_text(errors="replace").splitlines()
            if "[info]" not in line and '"level":"info"' not in line
        ]
        if text:
            log("\n".join([f"---- {title} (last {lines} lines)", *text[-lines:]]))
    log(f"---- the failed run's work directory is kept: {workdir}")


if __name__ == "__main__":
    print(json.dumps(run().summary(), indent=2, ensure_ascii=False))
