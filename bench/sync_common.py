"""Plumbing shared by the sync benchmarks (bench/sync_*.py, results in docs/benchmarks.md).

Each benchmark makes its own database (a SQLite file in a temp dir, or a PostgreSQL database it
creates and drops on 127.0.0.1:5432), migrates it with `cli.py migrate`, seeds it in-process through
the services (or bulk SQL for the million-order case), then runs the app as in production: uvicorn
in a subprocess on a loopback port, APP_MODE=production. Argon2 is made cheap (ARGON2_TIME_COST=1,
ARGON2_MEMORY_KIB=1024) because the benchmarks log many technicians in; logins are never measured
with the sync requests.

Also here: a raw HTTP/1.1 keep-alive client (cheap enough that the load generator is never the
bottleneck on 2 cores) and a counting HTTP proxy (wire bytes and requests, each direction, exactly
as sent), used to measure our protocol and CouchDB's the same way.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("ARGON2_TIME_COST", "1")
os.environ.setdefault("ARGON2_MEMORY_KIB", "1024")
os.environ.setdefault("APP_MODE", "production")
os.environ.setdefault("PICCOLO_CONF", "piccolo_conf")
from tests.app_server import free_port, uvicorn_command  # noqa: E402 (ROOT on the path first)

PYTHON = sys.executable
# The server to create benchmark databases on (each run creates and drops its own database).
PG_ADMIN_URL = os.environ.get(
    "BENCH_POSTGRES_URL",
    os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"),
)
PASSWORD = "correct horse battery"  # tests/world.py's
STROKES = [[[10 + i, 20 + i % 3, i * 16] for i in range(12)], [[40, 30, 0], [60, 45, 30]]]


def log(*parts: Any) -> None:
    print(*parts, file=sys.stderr, flush=True)


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


# ---- databases ------------------------------------------------------------------------------


async def pg_admin(*statements: str, url: str = PG_ADMIN_URL) -> None:
    import asyncpg

    connection = await asyncpg.connect(url)
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


def migrate(url: str) -> None:
    env = {**os.environ, "DATABASE_URL": url}
    done = subprocess.run(
        [PYTHON, "cli.py", "migrate"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if done.returncode != 0 or "fail" in done.stdout.lower():
        raise RuntimeError(f"migration failed on {url}:\n{done.stdout}\n{done.stderr}")


@contextmanager
def database(kind: str, tag: str, workdir: Path, admin_url: str = PG_ADMIN_URL) -> Iterator[str]:
    """A fresh, migrated database (on PostgreSQL, on the server of `admin_url`); yields its
    DATABASE_URL and drops it afterwards."""
    if kind == "sqlite":
        url = f"sqlite:///{workdir / f'{tag}.db'}"
        migrate(url)
        yield url
        return
    name = f"bench_sync_{tag}_{os.getpid()}"
    url = f"{admin_url.rsplit('/', 1)[0]}/{name}"
    asyncio.run(
        pg_admin(
            f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
            f'CREATE DATABASE "{name}"',
            url=admin_url,
        )
    )
    try:
        migrate(url)
        yield url
    finally:
        asyncio.run(pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', url=admin_url))


@asynccontextmanager
async def bound(url: str) -> AsyncIterator[Any]:
    """Bind every table to `url` in this process (with a pool on PostgreSQL) for seeding."""
    from piccolo.engine.postgres import PostgresEngine

    from db.engine import bind, engine_from_url, prepare
    from services.policies.service import ensure_default_policies

    engine = engine_from_url(url)
    bind(engine)
    await prepare(engine)
    if isinstance(engine, PostgresEngine):
        await engine.start_connection_pool(min_size=1, max_size=8)
    try:
        await ensure_default_policies()
        yield engine
    finally:
        if isinstance(engine, PostgresEngine):
            await engine.close_connection_pool()


# ---- seeding --------------------------------------------------------------------------------


async def seed_world(customers: int = 60):
    """tests/world.py's world (areas, teams, one account per role incl. tech2, materials ONU/STB/
    FIBER) plus `customers` two-way ordinary customers for the technicians' days."""
    from db.tables import Customer
    from tests.world import build_world

    world = await build_world()
    rows = await Customer.insert(
        *[
            Customer(
                account_no=f"0288{n:06d}",
                name=f"客户{n:04d}",
                phone=f"1390000{n:04d}",
                tier="ordinary",
                network="two_way",
                area=world.area,
                community=world.community,
                road=world.road,
                address=f"锦江区春熙路{n + 10}号{n % 30 + 1}栋{n % 6 + 1}单元{n % 20 + 1}0{n % 4 + 1}",
            )
            for n in range(customers)
        ]
    )
    world.customers.update({f"c{n}": row["id"] for n, row in enumerate(rows)})
    return world


async def add_technicians(world, count: int, prefix: str = "bt") -> list:
    """`count` more repair technicians (REPAIR-2W), as accounts that can log in."""
    from domain.vocabulary import Role
    from services.auth.schemas import Caller
    from services.auth.service import create_user

    team = world.teams["REPAIR-2W"]
    callers = []
    for n in range(count):
        username = f"{prefix}{n:04d}"
        user_id = await create_user(
            username, f"维修{n:04d}", Role.technician, PASSWORD, team, world.area
        )
        caller = Caller(
            id=user_id,
            username=username,
            display_name=f"维修{n:04d}",
            role="technician",
            team_id=team,
            area_id=world.area,
        )
        world.users[username] = caller
        callers.append(caller)
    return callers


DESCRIPTIONS = [
    "宽带断网,光猫LOS灯红",
    "电视无信号,机顶盒提示E102",
    "网速慢,晚高峰掉线",
    "新装宽带上门调测",
    "光猫更换后无法拨号",
    "楼道分支器故障,整栋无信号",
]


async def seed_day(world, technician: str, count: int, variety: bool = True) -> list[int]:
    """`count` repair orders created by the agent and dispatched to `technician` through the
    services, as a day's work arrives. With `variety`, a third also carry an urge and a third a
    dispatcher's note, so documents have histories of 2-3 events like a real day."""
    from domain.lifecycle import Action
    from domain.vocabulary import Kind
    from services.work_orders import schemas as s
    from services.work_orders import service

    agent, dispatcher = world.users["agent"], world.users["dispatcher"]
    tech = world.users[technician]
    customers = [v for k, v in world.customers.items() if k.startswith("c")] or [
        world.customers["ordinary"]
    ]
    ids = []
    for n in range(count):
        order = await service.create_order(
            agent,
            s.CreateOrder(
                kind=Kind.repair,
                customer_id=customers[(len(ids) * 7 + n) % len(customers)],
                description=DESCRIPTIONS[n % len(DESCRIPTIONS)],
                agent_remark="客户白天上班,请18点后联系" if n % 4 == 0 else "",
            ),
        )
        await service.retrying(
            lambda order=order: service.apply_step(
                dispatcher, order.id, Action.dispatch, s.Dispatch(assignee_id=tech.id)
            )
        )
        if variety and n % 3 == 1:
            await service.retrying(
                lambda order=order: service.apply_step(agent, order.id, Action.urge, s.Step())
            )
        if variety and n % 3 == 2:
            await service.retrying(
                lambda order=order: service.apply_step(
                    dispatcher, order.id, Action.note, s.Note(text="客户来电改约,优先处理")
                )
            )
        ids.append(order.id)
    return ids


def day_mutations(
    order_ids: list[int],
    per_order: int,
    start_id: int = 1,
    when: datetime | None = None,
    skip: int = 0,
) -> list[dict]:
    """A realistic offline queue over the orders, one order at a time as a technician works:
    accept, contact, arrive, then notes, recorded work with materials (codes of the catalogue)
    and a signature with small strokes, cycling until `per_order` mutations per order (after the
    first `skip` of that plan, for a later batch on the same orders)."""
    when = when or datetime.now(UTC) - timedelta(minutes=30)
    tail = [
        ("add_note", {"text": "已到楼道,分支器接头氧化"}),
        (
            "record_work",
            {
                "work_done": "更换分支器一个,重做接头",
                "labour_hours": 0.5,
                "materials": [{"code": "FIBER", "quantity": 12}, {"code": "ONU", "quantity": 1}],
            },
        ),
        ("add_note", {"text": "客户确认上网正常,电视信号恢复"}),
        (
            "capture_signature",
            {
                "signer_name": "客户本人",
                "relation": "account_holder",
                "strokes": STROKES,
                "satisfaction": 5,
            },
        ),
        (
            "record_work",
            {
                "work_done": "整理入户线缆",
                "labour_hours": 0.25,
                "materials": [{"code": "STB", "quantity": 1}],
            },
        ),
        ("add_note", {"text": "旧光猫已回收"}),
    ]
    plan = [("accept", {}), ("contact", {"note": "已电话联系客户"}), ("arrive", {})]
    while len(plan) < skip + per_order:
        plan.append(tail[(len(plan) - 3) % len(tail)])
    plan = plan[skip : skip + per_order]
    mutations = []
    for order_id in order_ids:
        for name, args in plan:
            mutation_id = start_id + len(mutations)
            mutations.append(
                {
                    "id": mutation_id,
                    "name": name,
                    "args": {"order_id": order_id, **args},
                    "device_time": (when + timedelta(seconds=mutation_id)).isoformat(),
                }
            )
    return mutations


# ---- the server -----------------------------------------------------------------------------


@dataclass
class Server:
    base: str
    port: int
    process: subprocess.Popen
    logfile: Path

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.logfile.read_text(errors="replace").splitlines()[-lines:])


@contextmanager
def server(
    url: str,
    workdir: Path,
    app: str = "app:app",
    workers: int = 1,
    env: dict | None = None,
    name: str = "server",
) -> Iterator[Server]:
    """uvicorn in a subprocess on a free loopback port, as in production (APP_MODE=production),
    its log in workdir/<name>.log. Waits for /healthz."""
    import httpx

    port = free_port()
    logfile = workdir / f"{name}.log"
    full_env = {
        **os.environ,
        "DATABASE_URL": url,
        "APP_MODE": "production",
        "PYTHONPATH": str(ROOT),
        "ARGON2_TIME_COST": "1",
        "ARGON2_MEMORY_KIB": "1024",
        **(env or {}),
    }
    command = uvicorn_command(port, "--log-level", "warning", "--no-access-log", app=app)
    if workers > 1:
        command += ["--workers", str(workers)]
    with open(logfile, "wb") as out:
        process = subprocess.Popen(
            command, cwd=ROOT, env=full_env, stdout=out, stderr=subprocess.STDOUT
        )
    handle = Server(f"http://127.0.0.1:{port}", port, process, logfile)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"server exited:\n{handle.tail()}")
            try:
                if httpx.get(f"{handle.base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"server did not start:\n{handle.tail()}")
            time.sleep(0.1)
        yield handle
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def login(base: str, username: str, password: str = PASSWORD) -> str:
    import httpx

    response = httpx.post(
        f"{base}/api/auth/login", json={"username": username, "password": password}, timeout=30
    )
    response.raise_for_status()
    return response.json()["token"]


# ---- a raw HTTP/1.1 client ------------------------------------------------------------------


class RawClient:
    """One keep-alive HTTP/1.1 connection with asyncio streams: a few microseconds of Python per
    request, so a load generator built on it is not the bottleneck (httpx costs ~10x more)."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.reconnects = 0

    async def connect(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            try:
                await self.writer.wait_closed()
            except OSError:
                pass
            self.writer = None

    async def request(
        self, method: str, path: str, headers: dict[str, str] | None = None, body: bytes = b""
    ) -> tuple[int, dict[str, str], bytes]:
        """One exchange. A keep-alive connection the server closed meanwhile (uvicorn drops idle
        ones after 5 s) is reopened and the request sent again, as HTTP clients do (a sync push
        may be resent: it is applied exactly once)."""
        reused = self.writer is not None
        try:
            return await self._exchange(method, path, headers, body)
        except (asyncio.IncompleteReadError, ConnectionError):
            if not reused:
                raise
            await self.close()
            self.reconnects += 1
            return await self._exchange(method, path, headers, body)

    async def _exchange(
        self, method: str, path: str, headers: dict[str, str] | None, body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        if self.writer is None:
            await self.connect()
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        if body or method in ("POST", "PUT", "PATCH"):
            lines.append(f"Content-Length: {len(body)}")
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        return await read_response(self.reader, method)


async def read_head(reader: asyncio.StreamReader) -> tuple[bytes, str, dict[str, str]]:
    raw = await reader.readuntil(b"\r\n\r\n")
    text = raw.decode("latin-1")
    first, *rest = text.split("\r\n")
    headers: dict[str, str] = {}
    for line in rest:
        if ":" in line:
            key, _, value = line.partition(":")
            headers[key.strip().lower()] = value.strip()
    return raw, first, headers


async def read_body(reader: asyncio.StreamReader, headers: dict[str, str]) -> tuple[bytes, bytes]:
    """(raw bytes as framed on the wire, decoded body) for a Content-Length or chunked message."""
    if "chunked" in headers.get("transfer-encoding", "").lower():
        raw, body = bytearray(), bytearray()
        while True:
            size_line = await reader.readuntil(b"\r\n")
            raw += size_line
            size = int(size_line.split(b";")[0].strip(), 16)
            if size == 0:  # then optional trailers, and an empty line
                while True:
                    line = await reader.readuntil(b"\r\n")
                    raw += line
                    if line == b"\r\n":
                        return bytes(raw), bytes(body)
            chunk = await reader.readexactly(size + 2)
            raw += chunk
            body += chunk[:-2]
    length = int(headers.get("content-length", "0") or 0)
    data = await reader.readexactly(length) if length else b""
    return data, data


async def read_response(
    reader: asyncio.StreamReader, method: str
) -> tuple[int, dict[str, str], bytes]:
    _, first, headers = await read_head(reader)
    status = int(first.split(" ", 2)[1])
    if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
        return status, headers, b""
    _, body = await read_body(reader, headers)
    if headers.get("content-encoding") == "gzip":
        body = gzip.decompress(body)
    return status, headers, body


# ---- a counting proxy -----------------------------------------------------------------------


@dataclass
class Exchange:
    method: str
    target: str
    status: int
    request_bytes: int  # head + body, exactly as sent
    response_bytes: int
    response_body_bytes: int  # as framed on the wire (compressed if it was)
    content_encoding: str


@dataclass
class CountingProxy:
    """An HTTP/1.1 proxy on a loopback port in front of one upstream server, in its own thread:
    forwards every byte unchanged and records each request/response exchange (sizes as on the
    wire, headers included). Both protocols of the comparison are measured through it."""

    upstream_port: int
    upstream_host: str = "127.0.0.1"
    exchanges: list[Exchange] = field(default_factory=list)
    connections: int = 0
    port: int = 0

    def __post_init__(self) -> None:
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        self._ready.wait(10)

    def _run(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._loop.run_until_complete(self._serve())

    async def _serve(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()
        async with self._server:
            try:
                await self._server.serve_forever()
            except asyncio.CancelledError:
                pass

    async def _handle(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            up_r, up_w = await asyncio.open_connection(self.upstream_host, self.upstream_port)
        except OSError:
            client_w.close()
            return
        try:
            while True:
                try:
                    head, first, headers = await read_head(client_r)
                except (asyncio.IncompleteReadError, ConnectionError):
                    break
                method, target = first.split(" ")[:2]
                raw_body, _ = await read_body(client_r, headers)
                up_w.write(head + raw_body)
                await up_w.drain()
                rhead, rfirst, rheaders = await read_head(up_r)
                status = int(rfirst.split(" ", 2)[1])
                if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
                    rbody = b""
                elif (
                    "content-length" in rheaders
                    or "chunked" in rheaders.get("transfer-encoding", "").lower()
                ):
                    rbody, _ = await read_body(up_r, rheaders)
                else:  # delimited by close
                    rbody = await up_r.read()
                # Recorded before the client can see the response, so a reader never misses it.
                self.exchanges.append(
                    Exchange(
                        method,
                        target,
                        status,
                        len(head) + len(raw_body),
                        len(rhead) + len(rbody),
                        len(rbody),
                        rheaders.get("content-encoding", ""),
                    )
                )
                client_w.write(rhead + rbody)
                await client_w.drain()
                if (
                    rheaders.get("connection", "").lower() == "close"
                    or headers.get("connection", "").lower() == "close"
                ):
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            for w in (up_w, client_w):
                try:
                    w.close()
                except Exception:  # noqa: BLE001 - closing a dead socket
                    pass

    def reset(self) -> None:
        self.exchanges = []
        self.connections = 0

    def take(self) -> list[Exchange]:
        taken, self.exchanges = self.exchanges, []
        return taken

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._server.close)


def totals(exchanges: list[Exchange]) -> dict[str, int]:
    return {
        "requests": len(exchanges),
        "up": sum(e.request_bytes for e in exchanges),
        "down": sum(e.response_bytes for e in exchanges),
        "bytes": sum(e.request_bytes + e.response_bytes for e in exchanges),
    }


def dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def temp_workdir(prefix: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=prefix))


def remove(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
