"""The probes a process manager and a proxy ask, and start-up against a database the code is
newer than."""

from __future__ import annotations

import os
import subprocess
import sys

import asyncpg
import pytest

from api.reference import controller as reference_controller
from db.migration_state import NotMigrated, known_migrations
from tests.conftest import ROOT, run

pytestmark = pytest.mark.db


def _forget_last_migration(db) -> str:
    """As if the newest migration had not run yet (a release deployed before `cli.py migrate`)."""
    last = known_migrations()[-1]
    run(db.run_ddl(f"DELETE FROM migration WHERE name = '{last}'"))
    return last


def _remember(db, name: str) -> None:
    run(
        db.run_ddl(
            f"INSERT INTO migration (name, app_name, ran_on) VALUES ('{name}', 'fieldservice', CURRENT_TIMESTAMP)"
        )
    )


def test_a_migrated_database_is_ready(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ok", "database": "ok"}


def test_a_migration_not_run_makes_the_process_unready_and_start_up_refuse(db, client):
    from litestar.testing import TestClient

    from app import create_app

    name = _forget_last_migration(db)
    try:
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["pending_migrations"] == 1
        assert client.get("/healthz").status_code == 200  # alive still: nothing to restart
        with pytest.raises(ExceptionGroup) as refused:  # the lifespan's task group carries it out
            with TestClient(create_app()):
                pass
        assert refused.group_contains(NotMigrated, match="cli.py migrate", depth=None)
    finally:
        _remember(db, name)
    assert client.get("/readyz").status_code == 200


def test_uvicorn_refuses_to_serve_an_empty_database_and_says_why(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}", "PUSH_WORKER": "0"}
    started = subprocess.run(
        [sys.executable, "-m", "uvicorn", "app:app", "--host", "127.0.0.1", "--port", "0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert started.returncode != 0
    assert "the database is not migrated" in started.stderr
    assert "python cli.py migrate" in started.stderr


@pytest.mark.parametrize(
    "lost",
    [
        lambda: asyncpg.AdminShutdownError("terminating connection due to administrator command"),
        lambda: asyncpg.CannotConnectNowError("the database system is starting up"),
        lambda: ConnectionRefusedError(111, "Connect call failed"),
        lambda: asyncpg.InterfaceError(
            "cannot call Transaction.rollback(): the underlying connection is closed"
        ),
        lambda: asyncpg.InternalClientError(
            "cannot switch to state 12; another operation (2) is in progress"
        ),
    ],
)
def test_a_database_going_away_mid_request_is_a_503_to_retry_not_an_internal_error(
    api, monkeypatch, lost
):
    """PostgreSQL restarting: the request that met it is answered 503 with Retry-After (the
    phones and the console send it again), a problem detail in the caller's language."""

    async def restarting():
        raise lost()

    monkeypatch.setattr(reference_controller, "reference_data", restarting)
    response = api.get("tech2", "/api/reference")
    assert response.status_code == 503 and response.headers["retry-after"] == "2"
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "server.database_unavailable"
    monkeypatch.undo()
    assert api.get("tech2", "/api/reference").status_code == 200
