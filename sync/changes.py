"""Stamping changes with sync versions, inside the writer's transaction.

Every write that a device may need to see takes the next version as (nearly) its last statement:
`UPDATE sync_clock SET version = version + 1`. The row lock it takes is held until commit, so
versions are handed out in commit order and a reader that first reads the clock and then the rows
up to it never misses a change that commits late (docs/sync-protocol.md, "Cursors").
"""

from __future__ import annotations

from db.sync_tables import SyncClock, SyncScopeChange
from db.tables import WorkOrder


async def next_version() -> int:
    rows = await SyncClock.update({SyncClock.version: SyncClock.version + 1}, force=True).returning(
        SyncClock.version
    )
    return rows[0]["version"]


async def touch_order(order_id: int) -> int:
    """The order's document changed without a lifecycle step (a photo attached or arrived)."""
    version = await next_version()
    await WorkOrder.update({WorkOrder.sync_version: version}).where(WorkOrder.id == order_id)
    return version


async def reference_changed() -> None:
    """Policies or the calendar changed: every device gets the reference data again."""
    version = await next_version()
    await SyncClock.update({SyncClock.reference_version: version}, force=True)


async def record_scope(version: int, order_id: int, before: int | None, after: int | None) -> None:
    """An order left one technician's scope and/or entered another's."""
    if before == after:
        return
    rows = []
    if before is not None:
        rows.append(SyncScopeChange(version=version, user=before, work_order=order_id, change="remove"))
    if after is not None:
        rows.append(SyncScopeChange(version=version, user=after, work_order=order_id, change="add"))
    await SyncScopeChange.insert(*rows)
