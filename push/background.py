"""Loops that live as long as an app process (the push sender, the reach worker): started in the
app's lifespan, started again after a failure (the database restarting, say), and given a few
seconds at shutdown to finish the round in flight. A round cut short loses nothing: the outboxes'
leases bring its rows due again."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import structlog

from settings import settings

log = structlog.get_logger("fieldservice.background")
SHUTDOWN_GRACE_SECONDS = 5

Serve = Callable[[asyncio.Event], Awaitable[None]]


async def pause(stop: asyncio.Event, seconds: float) -> None:
    """Wait `seconds`, or less if `stop` is set meanwhile (a loop's idle wait)."""
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except TimeoutError:
        pass


async def supervise(name: str, serve: Serve, stop: asyncio.Event) -> None:
    """Run `serve(stop)` until `stop` is set; a failure is logged and, after a poll interval,
    `serve` starts again."""
    while not stop.is_set():
        try:
            await serve(stop)
        except Exception:
            log.exception("background loop failed; starting again", loop=name)
            await pause(stop, settings.push_poll_seconds)


@asynccontextmanager
async def background(name: str, serve: Serve) -> AsyncIterator[None]:
    """Run `serve` under `supervise` for the life of the block (a lifespan part)."""
    stop = asyncio.Event()
    task = asyncio.create_task(supervise(name, serve, stop), name=name)
    try:
        yield
    finally:
        stop.set()
        try:
            await asyncio.wait_for(task, timeout=SHUTDOWN_GRACE_SECONDS)
        except (TimeoutError, asyncio.CancelledError):
            pass
