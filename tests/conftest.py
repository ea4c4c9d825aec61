"""Test set-up: every test that touches the database runs once on SQLite and once on PostgreSQL.

SQLite: the schema is migrated once into a template file, copied for each test.
PostgreSQL: TEST_POSTGRES_URL (default: the local `test` database) is migrated once per session
and truncated before each test. When it is unreachable the PostgreSQL variants are skipped, unless
REQUIRE_POSTGRES=1 (CI), which turns that into a failure.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from pathlib import Path

os.environ["DB_POOL"] = "0"  # test code and the app (in the test client's thread) share no pool
os.environ["APP_MODE"] = "production"
os.environ["PUSH_WORKER"] = "0"  # tests that need the push sender start it themselves
os.environ.setdefault("ARGON2_TIME_COST", "1")
os.environ.setdefault("ARGON2_MEMORY_KIB", "1024")

import asyncpg  # noqa: E402
import pytest  # noqa: E402
from piccolo.engine.postgres import PostgresEngine  # noqa: E402
from piccolo.engine.sqlite import SQLiteEngine  # noqa: E402

import servertime  # noqa: E402
from db.engine import bind, tables  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
# TEST_POSTGRES_URL names a server and a database to connect to; each test session creates its own
# database beside it (so parallel runs never share tables) and drops it at the end.
ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
SESSION_DATABASE = f"fieldservice_test_{os.getpid()}"
POSTGRES_URL = f"{ADMIN_URL.rsplit('/', 1)[0]}/{SESSION_DATABASE}"
REQUIRE_POSTGRES = os.environ.get("REQUIRE_POSTGRES") == "1"
ENGINES = ["sqlite", "postgres"]
# Minutes each, where most files take seconds: collected first, so that pytest-xdist (run with
# --no-loadscope-reorder) starts them at once rather than ending the run waiting on them.
LONGEST_FILES = ("test_sync_simulation.py", "test_sync_simulation_postgres.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: item.path.name not in LONGEST_FILES)  # stable: the rest keep order


def migrate(database_url: str) -> None:
    env = {**os.environ, "DATABASE_URL": database_url}
    result = subprocess.run(
        [sys.executable, "cli.py", "migrate"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if result.returncode != 0 or "fail" in result.stdout.lower():
        raise RuntimeError(
            f"migrations failed on {database_url}:\n{result.stdout}\n{result.stderr}"
        )


async def _admin(*statements: str) -> None:
    """Statements on the PostgreSQL server itself (databases made and dropped), in one connection."""
    connection = await asyncpg.connect(ADMIN_URL, timeout=5)
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    migrate(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_ready():
    try:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{SESSION_DATABASE}"'))
        asyncio.run(_admin(f'CREATE DATABASE "{SESSION_DATABASE}"'))
    except (TimeoutError, OSError, asyncpg.PostgresError) as exc:
        if REQUIRE_POSTGRES:
            pytest.fail(
                f"PostgreSQL is required (REQUIRE_POSTGRES=1) but unreachable at {ADMIN_URL}: {exc}"
            )
        pytest.skip(f"PostgreSQL unreachable at {ADMIN_URL}: {exc}")
    migrate(POSTGRES_URL)
    yield POSTGRES_URL
    asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{SESSION_DATABASE}" WITH (FORCE)'))


def _truncate_postgres() -> None:
    names = ", ".join(f'"{t._meta.tablename}"' for t in tables())

    async def truncate() -> None:
        connection = await asyncpg.connect(POSTGRES_URL)
        try:
            await connection.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
            # The single-row tables the migrations seed.
            await connection.execute(
                "INSERT INTO sync_clock (version) VALUES (0); INSERT INTO sync_purge (version) VALUES (0)"
            )
        finally:
            await connection.close()

    asyncio.run(truncate())


@pytest.fixture(params=ENGINES)
def engine_name(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def db(engine_name: str, request: pytest.FixtureRequest, tmp_path: Path):
    """A migrated, empty database on the parametrised engine, bound to every table."""
    if engine_name == "sqlite":
        path = tmp_path / "test.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        engine = SQLiteEngine(path=str(path), timeout=30)
    else:
        request.getfixturevalue("postgres_ready")
        _truncate_postgres()
        engine = PostgresEngine(config={"dsn": POSTGRES_URL})
    bind(engine)
    from services.policies.service import ensure_default_policies

    asyncio.run(ensure_default_policies())
    yield engine
    servertime.travel_to(None)


def run(awaitable):
    """Run database code (a coroutine or a Piccolo query) from a synchronous test."""

    async def wait():
        return await awaitable

    return asyncio.run(wait())


@pytest.fixture
def world(db):
    from tests.world import build_world

    return run(build_world())


@pytest.fixture
def client(db):
    from litestar.testing import TestClient

    from app import create_app

    with TestClient(create_app(), raise_server_exceptions=False) as test_client:
        yield test_client


class Api:
    """The HTTP API as a given user sees it."""

    def __init__(self, client, world) -> None:
        self.client = client
        self.world = world
        self._tokens: dict[str, str] = {}

    def token(self, username: str) -> str:
        if username not in self._tokens:
            from tests.world import PASSWORD

            response = self.client.post(
                "/api/auth/login", json={"username": username, "password": PASSWORD}
            )
            assert response.status_code == 200, response.text
            self._tokens[username] = response.json()["token"]
        return self._tokens[username]

    def log_in_again(self) -> None:
        """After standing the clock past the tokens' lifetime."""
        self._tokens.clear()

    def headers(self, username: str, lang: str | None = None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.token(username)}"}
        if lang:
            headers["Accept-Language"] = lang
        return headers

    def get(self, username: str, path: str, **kwargs):
        return self.client.get(
            path, headers=self.headers(username, kwargs.pop("lang", None)), **kwargs
        )

    def post(self, username: str, path: str, json=None, **kwargs):
        return self.client.post(
            path,
            json=json if json is not None else {},
            headers=self.headers(username, kwargs.pop("lang", None)),
            **kwargs,
        )

    def create(self, username: str = "agent", **fields) -> dict:
        body = {
            "kind": "repair",
            "customer_id": self.world.customers["ordinary"],
            "description": "宽带断网",
            **fields,
        }
        response = self.post(username, "/api/work-orders", body)
        assert response.status_code == 201, response.text
        return response.json()

    def step(self, username: str, order_id: int, step: str, expect: int = 200, **body) -> dict:
        response = self.post(username, f"/api/work-orders/{order_id}/{step}", body)
        assert response.status_code == expect, response.text
        return response.json()


@pytest.fixture
def api(client, world) -> Api:
    return Api(client, world)
