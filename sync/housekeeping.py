"""Background upkeep of the sync tables, run in the app's lifespan."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta

import structlog
from litestar import Litestar

from settings import settings
from sync.pull import purge_tombstones

log = structlog.get_logger("fieldservice.sync")
PURGE_EVERY_SECONDS = 3600


async def _purge_forever() -> None:
    retention = timedelta(days=settings.sync_tombstone_days)
    while True:
        try:
            purged = await purge_tombstones(retention)
            if purged:
                log.info("purged sync tombstones", count=purged, retention_days=settings.sync_tombstone_days)
        except Exception as exc:  # a bad hour must not stop the upkeep of the next
            log.error("sync tombstone purge failed", error=repr(exc))
        await asyncio.sleep(PURGE_EVERY_SECONDS)


@contextlib.asynccontextmanager
async def sync_housekeeping(app: Litestar) -> AsyncIterator[None]:
    task = asyncio.create_task(_purge_forever())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
