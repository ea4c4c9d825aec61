"""Stamping changes with sync versions, inside the writer's transaction.

Every write that a device may need to see takes the next version as (nearly) its last statement:
`UPDATE sync_clock SET version = version + 1`. The row lock it takes is held until commit, so
versions are handed out in commit order and a reader that first reads the clock and then the rows
up to it never misses a change that commits late (docs/sync-protocol.md, "Cursors").

A push applies many mutations in one transaction: inside `deferred()` the changes are collected
and stamped with a single version at the end, so the clock's row lock is held for the last few
statements of the batch, not for the whole of it.

Every order change passes through here, so here the dispatchers' consoles are told of it (events/).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from db.sync_tables import SyncClock, SyncScopeChange
from db.tables import WorkOrder
from events import publisher as events


async def next_version() -> int:
    rows = await SyncClock.update({SyncClock.version: SyncClock.version + 1}, force=True).returning(
        SyncClock.version
    )
    return rows[0]["version"]


@dataclass
class Pending:
    """Changes collected in a deferred transaction, stamped together at its end."""

    orders: set[int] = field(default_factory=set)
    scopes: list[tuple[int, int | None, int | None]] = field(default_factory=list)
    other_rows: bool = False  # rows of the caller's own (mutation outcomes) wait for the version
    version: int = 0  # set when stamped

    def mark(self) -> int:
        return len(self.scopes)

    def rollback_to(self, mark: int) -> None:
        """A savepoint was rolled back: its scope changes never happened. (Its orders may stay
        in the set: stamping an unchanged order only makes devices fetch it again.)"""
        del self.scopes[mark:]


_pending: ContextVar[Pending | None] = ContextVar("sync_pending", default=None)


async def order_changed(order_id: int, before: int | None = None, after: int | None = None) -> None:
    """An order's document changed (and, when `before` differs from `after`, it left one
    technician's scope and entered another's). Stamped now, or at the end of a deferred batch."""
    pending = _pending.get()
    if pending is not None:
        pending.orders.add(order_id)
        if before != after:
            pending.scopes.append((order_id, before, after))
        return
    await _stamp(await next_version(), {order_id}, [(order_id, before, after)] if before != after else [])


@asynccontextmanager
async def deferred() -> AsyncIterator[Pending]:
    """Collect the changes of the block; stamp them with one version when it ends without error.
    Use inside a write transaction."""
    pending = Pending()
    token = _pending.set(pending)
    try:
        yield pending
    finally:
        _pending.reset(token)
    if pending.orders or pending.scopes or pending.other_rows:
        pending.version = await next_version()
        await _stamp(pending.version, pending.orders, pending.scopes)


async def _stamp(version: int, orders: set[int], scopes: list[tuple[int, int | None, int | None]]) -> None:
    if orders:
        stamped = await WorkOrder.update({WorkOrder.sync_version: version}).where(
            WorkOrder.id.is_in(sorted(orders))
        ).returning(*events.ORDER_COLUMNS)
        await events.orders_changed(stamped)  # and the consoles hear of it when this commits
    rows = []
    for order_id, before, after in scopes:
        if before is not None:
            rows.append(SyncScopeChange(version=version, user=before, work_order=order_id, change="remove"))
        if after is not None:
            rows.append(SyncScopeChange(version=version, user=after, work_order=order_id, change="add"))
    if rows:
        await SyncScopeChange.insert(*rows)


async def reference_changed() -> None:
    """Policies or the calendar changed: every device gets the reference data again."""
    version = await next_version()
    await SyncClock.update({SyncClock.reference_version: version}, force=True)
