"""A process's subscribers (open `GET /api/events` streams) and the fan-out to them.

Every subscriber has a bounded queue. A browser that falls that far behind (a stalled connection)
is dropped rather than allowed to hold memory or slow the others: its queue is emptied, it gets a
`resync` and its stream ends; the client reconnects and fetches again.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Iterable
from dataclasses import dataclass

from prometheus_client import Gauge

RESYNC_LINE = "resync {}"
# Never shown to a console: every process ends the streams opened with a revoked token
# ({"token": sha256}) or with any token of a user ({"user": id}); see events.publisher.revoked().
REVOKED = "revoked"
# Summed over the live app processes (a killed process's streams stop counting at the next scrape).
STREAMS_OPEN = Gauge(
    "fieldservice_event_streams_open", "Open GET /api/events streams", multiprocess_mode="livesum"
)


@dataclass(frozen=True)
class Event:
    id: int  # counts up per process
    name: str
    data: str  # one line of JSON


class Subscription:
    def __init__(self, hub: Hub, size: int, token_hash: str, user_id: int | None) -> None:
        self._hub = hub
        self.token_hash = token_hash
        self.user_id = user_id
        # Room for a full backlog plus the end of the stream.
        self._queue: asyncio.Queue[Event | None] = asyncio.Queue(size + 1)
        self._size = size
        self.ended = False

    async def next(self, timeout: float) -> Event | None:
        """The next event; None when `timeout` passed without one. Raises EndOfStream when the
        subscription was ended (dropped, or the server is shutting down)."""
        try:
            async with asyncio.timeout(timeout):
                event = await self._queue.get()
        except TimeoutError:
            return None
        if event is None:
            raise EndOfStream()
        return event

    def _offer(self, event: Event) -> None:
        if self.ended:
            return
        if self._queue.qsize() >= self._size:
            self._drop()
            return
        self._queue.put_nowait(event)

    def _drop(self) -> None:
        """Too far behind: forget the backlog, say "fetch again", end."""
        while not self._queue.empty():
            self._queue.get_nowait()
        self._queue.put_nowait(self._hub.event(RESYNC_LINE))
        self._end()

    def _end(self) -> None:
        if not self.ended:
            self.ended = True
            self._queue.put_nowait(None)
            self._hub.unsubscribe(self)

    def close(self) -> None:
        """The client went away."""
        self.ended = True
        self._hub.unsubscribe(self)


class EndOfStream(Exception):
    pass


class Hub:
    def __init__(self, queue_size: int) -> None:
        self._queue_size = queue_size
        self._subscribers: set[Subscription] = set()
        self._ids = itertools.count(1)
        self._loop = asyncio.get_running_loop()

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)

    def subscribe(self, token_hash: str = "", user_id: int | None = None) -> Subscription:
        """A stream opened with the token of this SHA-256, of this user (ended when either is revoked)."""
        subscription = Subscription(self, self._queue_size, token_hash, user_id)
        self._subscribers.add(subscription)
        STREAMS_OPEN.inc()
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        if subscription in self._subscribers:
            self._subscribers.remove(subscription)
            STREAMS_OPEN.dec()

    def event(self, line: str) -> Event:
        name, _, data = line.partition(" ")
        return Event(next(self._ids), name, data or "{}")

    def deliver(self, lines: Iterable[str]) -> None:
        """Fan out published lines, in order, to every subscriber. Any thread may call it."""
        try:
            here = asyncio.get_running_loop() is self._loop
        except RuntimeError:
            here = False
        if not here:
            lines = list(lines)
            self._loop.call_soon_threadsafe(self.deliver, lines)
            return
        for line in lines:
            if line.startswith(REVOKED + " "):
                self._revoke(json.loads(line.partition(" ")[2]))
                continue
            event = self.event(line)
            for subscription in list(self._subscribers):
                subscription._offer(event)

    def _revoke(self, whose: dict) -> None:
        """The token (or every token of the user) is no longer valid: its streams end now."""
        for subscription in list(self._subscribers):
            if ("token" in whose and subscription.token_hash == whose["token"]) or (
                "user" in whose and subscription.user_id == whose["user"]
            ):
                subscription._end()

    def resync(self) -> None:
        """Events may have been missed (the listening connection was lost): everyone fetches again."""
        self.deliver([RESYNC_LINE])

    def close(self) -> None:
        """The server is stopping: end every stream."""
        for subscription in list(self._subscribers):
            subscription._end()


_current: Hub | None = None


def current() -> Hub | None:
    return _current


def install(hub: Hub | None) -> None:
    global _current
    _current = hub


def release(lines: list[str]) -> None:
    """Committed events of this process (SQLite). Without a running hub nobody is listening."""
    if _current is not None:
        _current.deliver(lines)
