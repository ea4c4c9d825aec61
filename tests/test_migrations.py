"""Migrations run forwards on an empty database, on both engines, and give the tables the code uses."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from db.engine import tables
from tests.conftest import ADMIN_URL, SESSION_DATABASE, _admin, migrate


def test_sqlite_empty_database_migrates_forwards(tmp_path):
    import sqlite3

    path = tmp_path / "fresh.db"
    migrate(f"sqlite:///{path}")
    migrate(f"sqlite:///{path}")  # a second run finds nothing to do
    with sqlite3.connect(path) as connection:
        names = {
            row[0]
            for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
        }
        triggers = {
            row[0]
            for row in connection.execute("SELECT name FROM sqlite_master WHERE type='trigger'")
        }
    assert {t._meta.tablename for t in tables()} <= names
    assert {
        "work_order_event_no_update",
        "work_order_event_no_delete",
        "audit_entry_no_update",
    } <= triggers


def test_postgres_empty_database_migrates_forwards(postgres_ready):
    database = f"{SESSION_DATABASE}_migration_check"  # this test session's own
    url = f"{ADMIN_URL.rsplit('/', 1)[0]}/{database}"

    async def table_names() -> set[str]:
        connection = await asyncpg.connect(url)
        try:
            rows = await connection.fetch(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
            )
            return {r["tablename"] for r in rows}
        finally:
            await connection.close()

    asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
    asyncio.run(_admin(f'CREATE DATABASE "{database}"'))
    try:
        migrate(url)
        migrate(url)
        assert {t._meta.tablename for t in tables()} <= asyncio.run(table_names())
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))


def test_audit_trail_refuses_changes(db):
    """Order histories are checked through the API in test_work_orders; the audit trail here."""
    from db.tables import AuditEntry
    from tests.conftest import run

    run(AuditEntry.insert(AuditEntry(action="policy.set", target="dispatch/*/normal")))
    with pytest.raises(Exception, match="append-only"):
        run(AuditEntry.update({AuditEntry.target: "forged"}, force=True))
    with pytest.raises(Exception, match="append-only"):
        run(AuditEntry.delete(force=True))
    assert run(AuditEntry.select(AuditEntry.target))[0]["target"] == "dispatch/*/normal"
