"""Stamping changes with sync versions, as the last statements of the writer's transaction.

Every write that a device may need to see takes the next version at the end of its transaction:
`UPDATE sync_clock SET version = version + 1`. The row lock it takes is held until commit, so
versions are handed out in commit order and a reader that first reads the clock and then the rows
up to it never misses a change that commits late (docs/sync-protocol.md, "Cursors").

Locks are taken in one order by every writer: the orders first (in id order), the clock last.
A change is therefore only noted where it happens (`order_changed`); the transaction's changes
are stamped together with one version when its block ends (db.engine.closing), after locking the
orders stamped. A writer that took the clock first and then wanted an order row would deadlock
with a push batch holding that order and waiting for the clock.

A push applies many mutations in one transaction: inside `deferred()` its changes are stamped at
the end of the block instead, so that the batch knows its version for the outcomes it writes next.

Every order change passes through here, so here the dispatchers' consoles are told of it (events/).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

import servertime
from db.engine import closing, current_engine, is_sqlite, locked, write_transaction
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
    """Changes noted in a transaction (or a deferred block), stamped together at its end."""

    orders: set[int] = field(default_factory=set)
    scopes: list[tuple[int, int | None, int | None]] = field(default_factory=list)
    other_rows: bool = False  # rows of the caller's own (mutation outcomes) wait for the version
    reference: bool = False  # policies or the calendar changed
    version: int = 0  # set when stamped

    def mark(self) -> int:
        return len(self.scopes)

    def rollback_to(self, mark: int) -> None:
        """A savepoint was rolled back: its scope changes never happened. (Its orders may stay
        in the set: stamping an unchanged order only makes devices fetch it again.)"""
        del self.scopes[mark:]

    async def finish(self) -> None:
        """Lock the orders (in id order), then take the version: the clock is the last lock."""
        if not (self.orders or self.scopes or self.other_rows or self.reference):
            return
        ids = sorted(self.orders)
        if ids and not is_sqlite(current_engine()):
            await locked(
                WorkOrder.select(WorkOrder.id)
                .where(WorkOrder.id.is_in(ids))
                .order_by(WorkOrder.id),
                WorkOrder,
            )
        self.version = await next_version()
        if ids:
            stamped = (
                await WorkOrder.update({WorkOrder.sync_version: self.version})
                .where(WorkOrder.id.is_in(ids))
                .returning(*events.ORDER_COLUMNS)
            )
            await events.orders_changed(stamped)  # and the consoles hear of it when this commits
        rows = []
        at = servertime.now()  # the retention window is counted on the server's clock
        for order_id, before, after in self.scopes:
            if before is not None:
                rows.append(
                    SyncScopeChange(
                        version=self.version,
                        user=before,
                        work_order=order_id,
                        change="remove",
                        at=at,
                    )
                )
            if after is not None:
                rows.append(
                    SyncScopeChange(
                        version=self.version, user=after, work_order=order_id, change="add", at=at
                    )
                )
        if rows:
            await SyncScopeChange.insert(*rows)
        if self.reference:
            await SyncClock.update({SyncClock.reference_version: self.version}, force=True)


_deferred: ContextVar[Pending | None] = ContextVar("sync_pending", default=None)


async def order_changed(order_id: int, before: int | None = None, after: int | None = None) -> None:
    """An order's document changed (and, when `before` differs from `after`, it left one
    technician's scope and entered another's). Stamped when the write transaction (or the
    deferred block) ends; outside a transaction this change is one."""
    pending = _deferred.get() or closing("sync", Pending)
    if pending is None:
        async with write_transaction():
            await order_changed(order_id, before, after)
        return
    pending.orders.add(order_id)
    if before != after:
        pending.scopes.append((order_id, before, after))


async def reference_changed() -> None:
    """Policies or the calendar changed: every device gets the reference data again."""
    pending = _deferred.get() or closing("sync", Pending)
    if pending is None:
        async with write_transaction():
            await reference_changed()
        return
    pending.reference = True


@asynccontextmanager
async def deferred() -> AsyncIterator[Pending]:
    """Collect the changes of the block; stamp them with one version when it ends without error.
    Use inside a write transaction."""
    pending = Pending()
    token = _deferred.set(pending)
    try:
        yield pending
    finally:
        _deferred.reset(token)
    await pending.finish()
