"""Background upkeep of the sync scopes and tables, run in the app's lifespan."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta

import structlog
from litestar import Litestar

from settings import settings
from sync.pull import expire_closed_orders, purge_tombstones

log = structlog.get_logger("fieldservice.sync")
UPKEEP_EVERY_SECONDS = 3600


async def upkeep() -> None:
    """One round: closed orders past the expiry leave their technicians' scope (a removal each),
    then removals older than the retention window are forgotten. A failure is logged, never
    raised: a bad hour must not stop the upkeep of the next."""
    try:
        expired = await expire_closed_orders(settings.sync_closed_order_days)
        if expired:
            log.info(
                "closed orders left scope",
                count=expired,
                after_days=settings.sync_closed_order_days,
            )
    except Exception as exc:
        log.error("closed order expiry failed", error=repr(exc))
    try:
        purged = await purge_tombstones(timedelta(days=settings.sync_tombstone_days))
        if purged:
            log.info(
                "purged sync tombstones", count=purged, retention_days=settings.sync_tombstone_days
            )
    except Exception as exc:
        log.error("sync tombstone purge failed", error=repr(exc))


async def _upkeep_forever() -> None:
    while True:
        await upkeep()
        await asyncio.sleep(UPKEEP_EVERY_SECONDS)


@contextlib.asynccontextmanager
async def sync_housekeeping(app: Litestar) -> AsyncIterator[None]:
    task = asyncio.create_task(_upkeep_forever())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
