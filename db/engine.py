"""The database engine: built from DATABASE_URL, one transaction helper for both engines."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import AsyncIterator, TypeVar
from urllib.parse import urlparse

import asyncpg
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType
from piccolo.table import Table


def engine_from_url(url: str) -> Engine:
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        # sqlite:///relative.db or sqlite:////absolute/path.db
        path = url[len("sqlite:///"):]
        if not path:
            raise ValueError("DATABASE_URL=sqlite:///path/to/file.db needs a path")
        return SQLiteEngine(path=path, timeout=30)
    if parsed.scheme in {"postgres", "postgresql"}:
        return PostgresEngine(config={"dsn": url})
    raise ValueError(f"unsupported DATABASE_URL scheme {parsed.scheme!r}")


def is_sqlite(engine: Engine) -> bool:
    return isinstance(engine, SQLiteEngine)


def current_engine() -> Engine:
    from db.tables import WorkOrder

    return WorkOrder._meta.db


def bind(engine: Engine) -> None:
    """Point every table at `engine` (tests switch engines within one process)."""
    from db.piccolo_app import APP_CONFIG

    for table in APP_CONFIG.table_classes:
        table._meta._db = engine


async def prepare(engine: Engine) -> None:
    """Once per process start: WAL for SQLite so readers never wait for the writer."""
    if is_sqlite(engine):
        await engine._run_in_new_connection("PRAGMA journal_mode=WAL")


# Work to do once the current write transaction has committed (None: not in one).
_after_commit: ContextVar[list[Callable[[], None]] | None] = ContextVar("after_commit", default=None)


@asynccontextmanager
async def write_transaction() -> AsyncIterator[None]:
    """A transaction that will write.

    SQLite must take the write lock up front (BEGIN IMMEDIATE): a deferred transaction that reads
    and then writes fails with "database is locked" when another writer got in between.
    PostgreSQL has no such mode; its concurrent writers are serialised by row versions and unique keys.
    Inside another write transaction it is part of that one, which commits for both.
    """
    if _after_commit.get() is not None:
        yield
        return
    engine = current_engine()
    committed: list[Callable[[], None]] = []
    token = _after_commit.set(committed)
    try:
        if is_sqlite(engine):
            async with engine.transaction(transaction_type=TransactionType.immediate):
                yield
        else:
            async with engine.transaction():
                yield
    finally:
        _after_commit.reset(token)
    for callback in committed:  # reached only when the block ended without error: committed
        callback()


def after_commit(callback: Callable[[], None]) -> None:
    """Run `callback` when the current write transaction commits, never if it rolls back (nor if
    the savepoint around this call does). Outside a write transaction: now."""
    pending = _after_commit.get()
    if pending is None:
        callback()
    else:
        pending.append(callback)


Q = TypeVar("Q")


def locked(query: Q, table: type[Table]) -> Q:
    """`SELECT … FOR UPDATE OF table` on PostgreSQL: the rows stay ours until commit. SQLite's
    write transactions (BEGIN IMMEDIATE) hold the whole database already."""
    if is_sqlite(current_engine()):
        return query
    return query.lock_rows(of=(table,))  # type: ignore[attr-defined]


@asynccontextmanager
async def savepoint() -> AsyncIterator[None]:
    """A nested unit inside the current write transaction: rolled back alone when it raises."""
    transaction = current_engine().current_transaction.get()
    pending = _after_commit.get()
    mark = len(pending) if pending is not None else 0
    point = await transaction.savepoint()
    try:
        yield
    except BaseException:
        await point.rollback_to()
        if pending is not None:
            del pending[mark:]
        raise
    await point.release()


def is_unique_violation(exc: BaseException) -> bool:
    """Both drivers' words for "that key already exists"."""
    if isinstance(exc, asyncpg.UniqueViolationError):
        return True
    return isinstance(exc, sqlite3.IntegrityError) and "UNIQUE" in str(exc)


async def ping() -> None:
    from db.tables import Area

    await Area.raw("SELECT 1")


def tables() -> list[type[Table]]:
    from db.piccolo_app import APP_CONFIG

    return list(APP_CONFIG.table_classes)
