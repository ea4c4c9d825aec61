"""The database engine: built from DATABASE_URL, one transaction helper for both engines."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Protocol, TypeVar
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
        path = url[len("sqlite:///") :]
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


class Closing(Protocol):
    """Work a write transaction ends with: its last statements, run just before it commits."""

    async def finish(self) -> None: ...

    def mark(self) -> int: ...

    def rollback_to(self, mark: int) -> None:
        """A savepoint was rolled back: forget what was added since `mark`."""


@dataclass
class _Transaction:
    committed: list[Callable[[], None]] = field(default_factory=list)  # after commit
    closing: dict[str, Closing] = field(default_factory=dict)  # last statements, before commit


# The write transaction open in this context (None: not in one).
_open: ContextVar[_Transaction | None] = ContextVar("write_transaction", default=None)


@asynccontextmanager
async def write_transaction() -> AsyncIterator[None]:
    """A transaction that will write.

    SQLite must take the write lock up front (BEGIN IMMEDIATE): a deferred transaction that reads
    and then writes fails with "database is locked" when another writer got in between.
    PostgreSQL has no such mode; its concurrent writers are serialised by row versions and unique keys.
    Inside another write transaction it is part of that one, which commits for both.
    """
    if _open.get() is not None:
        yield
        return
    engine = current_engine()
    transaction = _Transaction()
    token = _open.set(transaction)
    try:
        if is_sqlite(engine):
            async with engine.transaction(transaction_type=TransactionType.immediate):
                yield
                await _close(transaction)
        else:
            async with engine.transaction():
                yield
                await _close(transaction)
    finally:
        _open.reset(token)
    for (
        callback
    ) in transaction.committed:  # reached only when the block ended without error: committed
        callback()


async def _close(transaction: _Transaction) -> None:
    for closing in transaction.closing.values():
        await closing.finish()


def after_commit(callback: Callable[[], None]) -> None:
    """Run `callback` when the current write transaction commits, never if it rolls back (nor if
    the savepoint around this call does). Outside a write transaction: now."""
    transaction = _open.get()
    if transaction is None:
        callback()
    else:
        transaction.committed.append(callback)


C = TypeVar("C", bound=Closing)


def closing(key: str, make: Callable[[], C]) -> C | None:
    """The current write transaction's `key` work (made by `make` at the first asking), finished as
    the transaction's last statements, once its block has ended without error. None outside a write
    transaction. (db.changes stamps a transaction's changes so: the sync clock's lock is the last
    one a writer takes.)"""
    transaction = _open.get()
    if transaction is None:
        return None
    if key not in transaction.closing:
        transaction.closing[key] = make()
    return transaction.closing[key]  # type: ignore[return-value]


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
    point = await current_engine().current_transaction.get().savepoint()
    transaction = _open.get()
    committed = len(transaction.committed) if transaction else 0
    marks = {key: work.mark() for key, work in transaction.closing.items()} if transaction else {}
    try:
        yield
    except BaseException:
        await point.rollback_to()
        if transaction is not None:
            del transaction.committed[committed:]
            for key in list(transaction.closing):
                if key in marks:
                    transaction.closing[key].rollback_to(marks[key])
                else:  # begun inside the savepoint: none of it happened
                    del transaction.closing[key]
        raise
    await point.release()


def is_unique_violation(exc: BaseException) -> bool:
    """Both drivers' words for "that key already exists"."""
    if isinstance(exc, asyncpg.UniqueViolationError):
        return True
    return isinstance(exc, sqlite3.IntegrityError) and "UNIQUE" in str(exc)


# PostgreSQL going away: shutting down or restarting (57P01-57P03), the connection cut or closed
# under a query, or refused while the server is down.
_CONNECTION_LOST = (
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.CannotConnectNowError,
    asyncpg.PostgresConnectionError,
    ConnectionError,
)


def is_connection_lost(exc: BaseException) -> bool:
    """The database could not be reached, or the connection went while a request used it (a
    restart, a failover): the request may succeed when sent again in a few seconds. The pool
    replaces closed connections by itself."""
    while exc is not None:
        if isinstance(exc, _CONNECTION_LOST):
            return True
        if isinstance(exc, asyncpg.InterfaceError) and "connection is closed" in str(exc):
            return True
        # An idle pooled connection that got PostgreSQL's shutdown notice is stuck consuming that
        # error until its socket closes; a query on it meets this instead of a closed connection.
        if isinstance(exc, asyncpg.InternalClientError) and "another operation" in str(exc):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def is_lock_conflict(exc: BaseException) -> bool:
    """PostgreSQL aborted the transaction to break a deadlock (40P01) or a serialisation conflict
    (40001): nothing of it was written, and running it again may well succeed."""
    return isinstance(exc, (asyncpg.DeadlockDetectedError, asyncpg.SerializationError))


async def ping() -> None:
    from db.tables import Area

    await Area.raw("SELECT 1")


def tables() -> list[type[Table]]:
    from db.piccolo_app import APP_CONFIG

    return list(APP_CONFIG.table_classes)
