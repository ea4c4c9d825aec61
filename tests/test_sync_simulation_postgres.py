"""The offline-day simulation (tests/sync_simulation.py) on PostgreSQL: each schedule on a database
created from a template of the world (fewer schedules: each copies a database)."""

from __future__ import annotations

import asyncio
import os

from piccolo.engine.postgres import PostgresEngine

import servertime
from db.engine import bind
from tests.conftest import ADMIN_URL, POSTGRES_URL, _admin
from tests.sync_simulation import (
    EXAMPLES,
    play_from_template,
    run_schedules,
    truncate_and_build_world,
)
from tests.test_work_orders import T0


def test_simulated_offline_days_on_postgres(postgres_ready):
    world_db, example_db = (
        f"fieldservice_sim_world_{os.getpid()}",
        f"fieldservice_sim_example_{os.getpid()}",
    )
    server = ADMIN_URL.rsplit("/", 1)[0]

    asyncio.run(
        _admin(
            f'DROP DATABASE IF EXISTS "{world_db}" WITH (FORCE)',
            f'CREATE DATABASE "{world_db}" TEMPLATE "{POSTGRES_URL.rsplit("/", 1)[1]}"',
        )
    )
    bind(PostgresEngine(config={"dsn": f"{server}/{world_db}"}))
    servertime.travel_to(T0)
    asyncio.run(truncate_and_build_world())
    examples = max(1, EXAMPLES // 10)  # each example copies a database: fewer, slower schedules

    def run_example(steps):
        asyncio.run(
            _admin(
                f'DROP DATABASE IF EXISTS "{example_db}" WITH (FORCE)',
                f'CREATE DATABASE "{example_db}" TEMPLATE "{world_db}"',
            )
        )

        def restart():
            bind(PostgresEngine(config={"dsn": f"{server}/{example_db}"}))

        restart()
        try:
            asyncio.run(play_from_template(steps, restart))
        finally:
            servertime.travel_to(None)

    try:
        run_schedules(examples, run_example)
    finally:
        asyncio.run(
            _admin(
                f'DROP DATABASE IF EXISTS "{example_db}" WITH (FORCE)',
                f'DROP DATABASE IF EXISTS "{world_db}" WITH (FORCE)',
            )
        )
