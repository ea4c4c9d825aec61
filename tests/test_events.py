"""Live events (GET /api/events): delivered only when the writer commits, to every console of
every server process sharing the database; slow or logged-out consoles are let go."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx
import pytest

import events
import settings as config
from db.engine import savepoint, write_transaction
from db.tables import AuthToken
from events import hub as hubs
from events.hub import EndOfStream, Hub
from events.listener import live_events
from services.auth.service import token_hash
from tests.browser.conftest import Server
from tests.conftest import POSTGRES_URL, run
from tests.evidence_fixtures import LiveServer
from tests.test_accounts import NEW_PASSWORD
from tests.world import PASSWORD

CLIENT = "phone-of-tech2-0001"


# ---- a console's stream, read over real HTTP ------------------------------------------------


class Console:
    """An open event stream: messages as dicts ({"id", "event", "data"} or {"comment"})."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self._lines = response.iter_lines()

    def next(self) -> dict:
        message: dict = {}
        for line in self._lines:
            if line == "":
                if message:
                    return message
                continue
            field, _, value = line.partition(": ")
            if field == "":
                message["comment"] = value
            elif field == "data":
                message["data"] = json.loads(value)
            else:
                message[field] = value
        raise EOFError("the stream ended")

    def until(self, wanted: Callable[[dict], bool], seconds: float = 60) -> list[dict]:
        """Messages up to and including the first one `wanted`."""
        seen: list[dict] = []
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            seen.append(self.next())
            if wanted(seen[-1]):
                return seen
        raise AssertionError(f"not received in {seconds} s; got {seen}")


def log_in(url: str, username: str) -> str:
    response = httpx.post(
        f"{url}/api/auth/login", json={"username": username, "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    return response.json()["token"]


@contextmanager
def console(url: str, token: str, read: float = 60) -> Iterator[Console]:
    """`read`: how long a silence is waited on before the read times out."""
    headers = {"Authorization": f"Bearer {token}", "Accept-Encoding": "gzip"}
    with httpx.stream(
        "GET", f"{url}/api/events", headers=headers, timeout=httpx.Timeout(60, read=read)
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        assert "content-encoding" not in response.headers  # never held back in a compressor
        assert float(response.headers["x-keepalive-seconds"]) > 0  # how long a silence means dead
        stream = Console(response)
        assert stream.next() == {"comment": "connected"}  # subscribed from here on
        yield stream


def post(url: str, token: str, path: str, body: dict) -> dict:
    response = httpx.post(
        f"{url}{path}", json=body, headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    assert response.status_code in (200, 201), response.text
    return response.json()


def order_event(order_id: int, **fields) -> Callable[[dict], bool]:
    def wanted(message: dict) -> bool:
        data = message.get("data") or {}
        return (
            message.get("event") == "order"
            and data.get("id") == order_id
            and fields.items() <= data.items()
        )

    return wanted


def is_rejection(message: dict) -> bool:
    return message.get("event") == "sync_rejection"


@pytest.fixture
def fast_keepalive(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        config, "settings", dataclasses.replace(config.settings, events_keepalive_seconds=0.3)
    )


@pytest.fixture
def live(db, world, fast_keepalive) -> Iterator[LiveServer]:
    """The app under uvicorn in a thread of this process (its hub can be looked at)."""
    with LiveServer() as server:
        server.world = world
        yield server


def wait_for(condition: Callable[[], bool], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


# ---- delivered only on commit (both engines) ------------------------------------------------


async def _received(subscription, count: int) -> list[tuple[str, dict]]:
    got = []
    while len(got) < count:
        event = await subscription.next(5)
        assert event is not None, f"only {got} arrived"
        got.append((event.name, json.loads(event.data)))
    return got


def test_an_event_of_a_rolled_back_transaction_is_never_delivered(db):
    async def scenario() -> list[tuple[str, dict]]:
        async with live_events(None):
            subscription = hubs.current().subscribe()
            with pytest.raises(RuntimeError):
                async with write_transaction():
                    await events.publish("order", {"id": 1, "state": "rolled back"})
                    raise RuntimeError("the step failed")
            async with write_transaction():
                await events.publish("order", {"id": 2, "state": "committed"})
                with pytest.raises(RuntimeError):
                    async with savepoint():
                        await events.publish("order", {"id": 3, "state": "savepoint rolled back"})
                        raise RuntimeError("one mutation of the batch failed")
                await events.publish("sync_rejection", {"order_id": 2, "client_id": CLIENT})
            got = await _received(subscription, 2)
            assert await subscription.next(0.5) is None  # and nothing more
            return got

    assert run(scenario()) == [
        ("order", {"id": 2, "state": "committed"}),
        ("sync_rejection", {"order_id": 2, "client_id": CLIENT}),
    ]


def test_unknown_event_names_are_refused_and_big_events_become_a_resync(db):
    async def scenario() -> list[tuple[str, dict]]:
        async with live_events(None):
            subscription = hubs.current().subscribe()
            with pytest.raises(ValueError):
                await events.publish("order changed", {"id": 1})
            async with write_transaction():
                await events.publish("order", {"id": 1, "note": "长" * 4000})  # 12 000 bytes
            return await _received(subscription, 1)

    assert run(scenario()) == [("resync", {})]


# ---- over HTTP (both engines) ---------------------------------------------------------------


def test_a_step_through_the_api_reaches_a_subscribed_console(live):
    world = live.world
    dispatcher, agent = log_in(live.url, "dispatcher"), log_in(live.url, "agent")
    with console(live.url, dispatcher) as stream:
        assert hubs.current().subscribers == 1
        order = post(
            live.url,
            agent,
            "/api/work-orders",
            {
                "kind": "repair",
                "customer_id": world.customers["ordinary"],
                "description": "宽带断网",
            },
        )
        created = stream.until(order_event(order["id"]))[-1]
        assert created["data"] == {
            "id": order["id"],
            "code": order["code"],
            "state": "new",
            "version": order["version"],
            "assignee_id": None,
        }
        post(
            live.url,
            dispatcher,
            f"/api/work-orders/{order['id']}/dispatch",
            {"assignee_id": world.uid("tech2")},
        )
        dispatched = stream.until(order_event(order["id"], state="dispatched"))[-1]
        assert dispatched["data"]["assignee_id"] == world.uid("tech2")
        assert dispatched["data"]["version"] > created["data"]["version"]
        assert int(dispatched["id"]) > int(created["id"])
        # Quiet: keep-alive comments, as often as the stream said.
        assert stream.response.headers["x-keepalive-seconds"] == "0.3"
        assert stream.until(lambda m: "comment" in m, 30)[-1] == {"comment": "keep-alive"}
    wait_for(lambda: hubs.current().subscribers == 0)  # the closed stream let go of its queue


def test_offline_work_pushed_and_rejected_reaches_the_console(live):
    world = live.world
    dispatcher, agent, tech2 = (log_in(live.url, u) for u in ("dispatcher", "agent", "tech2"))
    body = {"kind": "repair", "customer_id": world.customers["ordinary"], "description": "宽带断网"}
    mine, other = (post(live.url, agent, "/api/work-orders", body)["id"] for _ in range(2))
    post(
        live.url,
        dispatcher,
        f"/api/work-orders/{mine}/dispatch",
        {"assignee_id": world.uid("tech2")},
    )
    post(
        live.url,
        dispatcher,
        f"/api/work-orders/{other}/dispatch",
        {"assignee_id": world.uid("tech2b")},
    )
    with console(live.url, dispatcher) as stream:
        now = "2030-01-01T00:00:00+08:00"
        result = post(
            live.url,
            tech2,
            "/api/sync/push",
            {
                "client_id": CLIENT,
                "mutations": [
                    {"id": 1, "name": "accept", "args": {"order_id": mine}, "device_time": now},
                    {
                        "id": 2,
                        "name": "add_note",
                        "args": {"order_id": other, "text": "楼道分支器已更换"},
                        "device_time": now,
                    },
                ],
            },
        )
        assert [r["status"] for r in result["results"]] == ["applied", "rejected"]
        seen: list[dict] = []
        for wanted in (order_event(mine, state="accepted"), is_rejection):  # in whichever order
            if not any(map(wanted, seen)):
                seen += stream.until(wanted)
        rejection = next(filter(is_rejection, seen))["data"]
        assert rejection["order_id"] == other and rejection["client_id"] == CLIENT
        assert rejection["name"] == "add_note" and rejection["reason_code"]


def test_a_console_is_let_go_when_its_token_is_revoked(live):
    token = log_in(live.url, "supervisor")
    with console(live.url, token) as stream:
        assert stream.until(lambda m: "comment" in m, 30)[-1] == {"comment": "keep-alive"}
        response = httpx.post(
            f"{live.url}/api/auth/logout", headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 204
        with pytest.raises(EOFError):
            stream.until(lambda m: False, 60)
    wait_for(lambda: hubs.current().subscribers == 0)


@pytest.fixture
def quiet(db, world, monkeypatch: pytest.MonkeyPatch) -> Iterator[LiveServer]:
    """The app with keep-alives far apart: only revocation itself can end a stream in time."""
    monkeypatch.setattr(
        config, "settings", dataclasses.replace(config.settings, events_keepalive_seconds=600)
    )
    with LiveServer() as server:
        server.world = world
        yield server


# How soon a revoked token's open stream must end (issue 14: "within a second or two"). Measured:
# ended by the time the revoking request is answered (0.04-0.09 s), across processes too, and
# still within 10 ms of that answer beside `stress-ng --cpu 4` on two cores.
REVOKED_WITHIN = 3


def ended(stream: Console, seconds: float = REVOKED_WITHIN) -> bool:
    """True when the stream ends within `seconds` (order events may still come first), False
    when it is still open then. A silent stream is waited on for its read timeout: open one that
    must stay open with `console(…, read=1)`."""
    start = time.monotonic()
    try:
        stream.until(lambda m: False, seconds)
    except EOFError:
        return time.monotonic() - start <= seconds
    except (httpx.ReadTimeout, AssertionError):
        return False
    return False


def test_a_logged_out_token_s_busy_stream_ends_at_once_not_at_a_keep_alive(quiet):
    world = quiet.world
    token, agent = log_in(quiet.url, "dispatcher"), log_in(quiet.url, "agent")
    with console(quiet.url, token) as stream:
        order = post(
            quiet.url,
            agent,
            "/api/work-orders",
            {
                "kind": "repair",
                "customer_id": world.customers["ordinary"],
                "description": "宽带断网",
            },
        )
        stream.until(order_event(order["id"]))
        assert (
            httpx.post(
                f"{quiet.url}/api/auth/logout", headers={"Authorization": f"Bearer {token}"}
            ).status_code
            == 204
        )
        post(
            quiet.url,
            agent,
            "/api/work-orders",
            {
                "kind": "repair",
                "customer_id": world.customers["ordinary"],
                "description": "电视没信号",
            },
        )
        assert ended(stream)
    wait_for(lambda: hubs.current().subscribers == 0)


def test_a_stream_ends_when_its_token_expires(quiet):
    token = log_in(quiet.url, "supervisor")
    soon = datetime.now(UTC) + timedelta(seconds=2)
    run(
        AuthToken.update({AuthToken.expires_at: soon}).where(
            AuthToken.token_hash == token_hash(token)
        )
    )
    with console(quiet.url, token) as stream:
        assert ended(stream, 2 + REVOKED_WITHIN)
    assert (
        httpx.get(
            f"{quiet.url}/api/auth/me", headers={"Authorization": f"Bearer {token}"}
        ).status_code
        == 401
    )


@pytest.mark.parametrize(
    ("action", "body"),
    [("deactivate", {}), ("reset-password", {"password": NEW_PASSWORD}), ("end-sessions", {})],
)
def test_an_admin_deactivating_resetting_or_ending_sessions_ends_all_their_streams_at_once(
    quiet, action, body
):
    admin = log_in(quiet.url, "admin")
    first, second = log_in(quiet.url, "dispatcher"), log_in(quiet.url, "dispatcher")
    with (
        console(quiet.url, first) as one,
        console(quiet.url, second) as two,
        console(quiet.url, log_in(quiet.url, "supervisor"), read=1) as bystander,
    ):
        post(quiet.url, admin, f"/api/accounts/{quiet.world.uid('dispatcher')}/{action}", body)
        assert ended(one) and ended(two)
        assert not ended(bystander, 1)


def test_logging_out_one_token_leaves_the_same_person_s_other_streams_open(quiet):
    first, second = log_in(quiet.url, "supervisor"), log_in(quiet.url, "supervisor")
    with (
        console(quiet.url, first) as stream_one,
        console(quiet.url, second, read=1) as stream_two,
    ):
        httpx.post(f"{quiet.url}/api/auth/logout", headers={"Authorization": f"Bearer {first}"})
        assert ended(stream_one)
        assert not ended(stream_two, 1)


def test_an_area_outage_and_its_notice_reach_the_console(live):
    world = live.world
    dispatcher, agent = log_in(live.url, "dispatcher"), log_in(live.url, "agent")
    repair = {
        "kind": "repair",
        "customer_id": world.customers["ordinary"],
        "description": "整栋楼电视没信号",
    }
    with console(live.url, dispatcher) as stream:
        for _ in range(3):  # the third similar repair from one place within 30 minutes
            post(live.url, agent, "/api/work-orders", repair)
        suspected = stream.until(lambda m: m.get("event") == "outage")[-1]["data"]
        assert suspected["status"] == "suspected"
        restore_by = (datetime.now(UTC) + timedelta(hours=4)).isoformat()
        post(
            live.url,
            dispatcher,
            f"/api/outages/{suspected['id']}/notices",
            {
                "reporter": "网络部 李工",
                "location": "锦华苑光节点",
                "cause": "主干光缆被挖断",
                "affected_scope": "锦华苑全部楼栋",
                "estimated_restoration": restore_by,
                "explanation": "您所在小区光缆被挖断,正在抢修,预计今天恢复。",
            },
        )
        published = stream.until(
            lambda m: m.get("event") == "outage" and m["data"]["status"] == "published"
        )
        assert published[-1]["data"]["id"] == suspected["id"]


def test_technicians_and_strangers_are_refused(api):
    for username in ("tech2", "contractor1", "backoffice"):
        response = api.get(username, "/api/events")
        assert response.status_code == 403, username
        assert response.headers["content-type"].startswith("application/problem+json")
    for headers in ({}, {"Authorization": "Bearer not-a-real-token"}):
        response = api.client.get("/api/events", headers=headers)
        assert response.status_code == 401
        assert response.headers["content-type"].startswith("application/problem+json")


# ---- the hub ---------------------------------------------------------------------------------


def test_a_console_that_falls_behind_is_dropped_with_a_resync_and_the_others_keep_up():
    async def scenario() -> None:
        hub = Hub(queue_size=3)
        stalled, keeping_up = hub.subscribe(), hub.subscribe()
        received = []
        for n in range(10):
            hub.deliver([f'order {{"id": {n}}}'])
            received.append(json.loads((await keeping_up.next(1)).data)["id"])
        assert received == list(range(10))
        # The stalled one: its backlog forgotten, told to fetch again, its stream ended.
        assert (await stalled.next(1)).name == "resync"
        with pytest.raises(EndOfStream):
            await stalled.next(1)
        assert hub.subscribers == 1

    asyncio.run(scenario())


# ---- PostgreSQL: across processes, and across a lost connection -----------------------------


@pytest.mark.parametrize("engine_name", ["postgres"])
def test_a_step_through_one_server_process_reaches_consoles_of_another(db, world, tmp_path: Path):
    servers = [Server(tmp_path, database_url=POSTGRES_URL) for _ in range(2)]
    for server in servers:
        server.env["EVENTS_KEEPALIVE_SECONDS"] = "1"
    try:
        with ThreadPoolExecutor(2) as pool:
            list(pool.map(Server.start, servers))
        a, b = (server.url for server in servers)
        agent, dispatcher = log_in(a, "agent"), log_in(a, "dispatcher")
        with (
            console(b, log_in(b, "dispatcher2")) as on_b,
            console(a, log_in(a, "supervisor")) as on_a,
        ):
            order = post(
                a,
                agent,
                "/api/work-orders",
                {
                    "kind": "repair",
                    "customer_id": world.customers["ordinary"],
                    "description": "宽带断网",
                },
            )
            post(
                a,
                dispatcher,
                f"/api/work-orders/{order['id']}/dispatch",
                {"assignee_id": world.uid("tech2")},
            )
            for stream in (on_b, on_a):
                seen = stream.until(order_event(order["id"], state="dispatched"))
                assert [m["data"]["state"] for m in seen if order_event(order["id"])(m)] == [
                    "new",
                    "dispatched",
                ]
            # And the other way round.
            post(b, log_in(b, "tech2"), f"/api/work-orders/{order['id']}/accept", {})
            on_a.until(order_event(order["id"], state="accepted"))
            on_b.until(order_event(order["id"], state="accepted"))
    finally:
        for server in servers:
            server.stop()


@pytest.mark.parametrize("engine_name", ["postgres"])
def test_a_logout_or_a_deactivation_through_one_process_ends_the_streams_on_another(
    db, world, tmp_path: Path
):
    servers = [Server(tmp_path, database_url=POSTGRES_URL) for _ in range(2)]
    for server in servers:
        server.env["EVENTS_KEEPALIVE_SECONDS"] = "600"  # only the revocation can end it in time
    try:
        with ThreadPoolExecutor(2) as pool:
            list(pool.map(Server.start, servers))
        a, b = (server.url for server in servers)
        token, admin = log_in(a, "dispatcher"), log_in(a, "admin")
        with (
            console(b, token) as stream,
            console(b, log_in(b, "dispatcher2")) as deactivated,
            console(b, log_in(b, "supervisor"), read=1) as bystander,
        ):
            assert (
                httpx.post(
                    f"{a}/api/auth/logout", headers={"Authorization": f"Bearer {token}"}
                ).status_code
                == 204
            )
            assert ended(stream)
            post(a, admin, f"/api/accounts/{world.uid('dispatcher2')}/deactivate", {})
            assert ended(deactivated)
            assert not ended(bystander, 1)
    finally:
        for server in servers:
            server.stop()


@pytest.mark.parametrize("engine_name", ["postgres"])
def test_the_listener_comes_back_after_losing_its_connection_and_consoles_fetch_again(db):
    async def scenario() -> None:
        async with live_events(None):
            subscription = hubs.current().subscribe()
            admin = await asyncpg.connect(POSTGRES_URL)
            try:
                killed = await admin.fetchval(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND query LIKE 'LISTEN %'"
                )
            finally:
                await admin.close()
            assert killed == 1
            assert (await subscription.next(10)).name == "resync"
            async with write_transaction():
                await events.publish("order", {"id": 7})
            assert json.loads((await subscription.next(10)).data) == {"id": 7}

    run(scenario())
