"""The offline-day simulation (tests/sync_simulation.py) on SQLite: each schedule on a copy of a
world built once."""

from __future__ import annotations

import asyncio
import shutil

from piccolo.engine.sqlite import SQLiteEngine

import servertime
from db.engine import bind
from tests.sync_simulation import (
    EXAMPLES,
    build_simulated_world,
    play_from_template,
    run_schedules,
)
from tests.test_work_orders import T0


def test_simulated_offline_days_on_sqlite(tmp_path, sqlite_template):
    template = tmp_path / "world.db"
    shutil.copy(sqlite_template, template)
    bind(SQLiteEngine(path=str(template)))
    servertime.travel_to(T0)
    asyncio.run(build_simulated_world())

    def run_example(steps):
        path = tmp_path / "example.db"
        shutil.copy(template, path)

        def restart():  # a new process: nothing survives but the database file
            bind(SQLiteEngine(path=str(path), timeout=30))

        restart()
        try:
            asyncio.run(play_from_template(steps, restart))
        finally:
            servertime.travel_to(None)

    run_schedules(EXAMPLES, run_example)
