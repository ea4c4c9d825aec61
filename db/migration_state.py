"""Which of the code's migrations the database has not run yet.

Piccolo records each migration it ran as a row (name = the migration's ID, app_name) of the
`migration` table. The code knows its migrations from migrations/; the database is current when
every one of them has a row. A database with migrations the code does not know (a newer release
migrated it first) is current for this code: migrations are additive.
"""

from __future__ import annotations

import sqlite3
from functools import cache

import asyncpg
from piccolo.apps.migrations.commands.base import BaseMigrationManager

from db.engine import current_engine
from db.piccolo_app import APP_CONFIG


@cache
def known_migrations() -> tuple[str, ...]:
    manager = BaseMigrationManager()
    modules = manager.get_migration_modules(APP_CONFIG.resolved_migrations_folder_path)
    return tuple(manager.get_migration_ids(modules))


async def pending_migrations() -> list[str]:
    """The IDs of the code's migrations not yet run on the database, oldest first."""
    try:
        rows = await current_engine().run_ddl(
            f"SELECT name FROM migration WHERE app_name = '{APP_CONFIG.app_name}'"
        )
    except (sqlite3.OperationalError, asyncpg.UndefinedTableError):  # never migrated at all
        return list(known_migrations())
    ran = {row["name"] for row in rows}
    return [name for name in known_migrations() if name not in ran]


class NotMigrated(RuntimeError):
    def __init__(self, pending: list[str]) -> None:
        super().__init__(
            f"the database is not migrated: {len(pending)} migration(s) not run (first {pending[0]}); "
            "run `python cli.py migrate` against it, then start the app again"
        )


async def require_migrated() -> None:
    """Start-up refuses to serve against a database older than the code."""
    pending = await pending_migrations()
    if pending:
        raise NotMigrated(pending)
