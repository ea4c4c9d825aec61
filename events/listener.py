"""The hub in the app's lifespan, and on PostgreSQL the one connection per process that LISTENs
for every process's events.

The listening connection is its own (not from the pool: a pooled connection is handed back and
reset). When it is lost (PostgreSQL restarted, the network cut) the listener reconnects with
backoff; whatever was published meanwhile is lost, so every subscriber gets a `resync` and fetches
again. A silently dead connection is found by a ping every LISTENER_PING_SECONDS.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import structlog
from litestar import Litestar

import settings as config
from db.engine import current_engine, is_sqlite
from events import hub as hubs
from events.hub import Hub
from events.publisher import CHANNEL

log = structlog.get_logger("fieldservice.events")
RETRY_FIRST_SECONDS = 0.5
RETRY_MAX_SECONDS = 30.0
LISTENER_PING_SECONDS = 30.0
CONNECT_TIMEOUT_SECONDS = 10.0
STARTUP_WAIT_SECONDS = 10.0  # how long start-up waits for the first connection before serving


class Listener:
    def __init__(self, hub: Hub, connect: dict[str, Any]) -> None:
        self._hub = hub
        self._connect = connect
        self._task: asyncio.Task | None = None
        self.tried = asyncio.Event()  # the first connection attempt is over, for better or worse
        self.connections = 0  # made so far (a reconnection makes it 2, 3, …)

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run())
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(STARTUP_WAIT_SECONDS):
                await self.tried.wait()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        delay = RETRY_FIRST_SECONDS
        while True:
            made = self.connections
            try:
                await self._listen()
            except Exception as exc:  # whatever went wrong, the listener must come back
                log.warning("event listener connection failed", error=repr(exc))
            finally:
                self.tried.set()
            if self.connections > made:  # it had worked: the backoff starts again
                delay = RETRY_FIRST_SECONDS
            await asyncio.sleep(delay)
            delay = min(delay * 2, RETRY_MAX_SECONDS)

    async def _listen(self) -> None:
        """One connection's life: listen until it is lost."""
        connection = await asyncpg.connect(**self._connect, timeout=CONNECT_TIMEOUT_SECONDS)
        lost = asyncio.Event()
        try:
            connection.add_termination_listener(lambda _connection: lost.set())
            await connection.add_listener(CHANNEL, self._notified)
            self.connections += 1
            if self.connections > 1:
                log.info("event listener reconnected")
            # Anything published while nobody here was listening is gone: fetch again.
            self._hub.resync()
            self.tried.set()
            while not lost.is_set():
                try:
                    async with asyncio.timeout(LISTENER_PING_SECONDS):
                        await lost.wait()
                except TimeoutError:
                    async with asyncio.timeout(CONNECT_TIMEOUT_SECONDS):
                        await connection.execute("SELECT 1")
            log.warning("event listener connection lost")
        finally:
            connection.terminate()

    def _notified(self, _connection: Any, _pid: int, _channel: str, payload: str) -> None:
        self._hub.deliver([payload])


@contextlib.asynccontextmanager
async def live_events(app: Litestar) -> AsyncIterator[None]:
    """The process's hub, and on PostgreSQL its listener, for the app's lifetime."""
    hub = Hub(config.settings.events_queue_size)
    engine = current_engine()
    listener = None if is_sqlite(engine) else Listener(hub, engine.config)
    if listener is not None:
        await listener.start()
    hubs.install(hub)
    try:
        yield
    finally:
        hubs.install(None)
        hub.close()
        if listener is not None:
            await listener.stop()
