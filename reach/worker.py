"""The reach worker: a background task in the app's lifespan (beside the push sender, and off with
it: PUSH_WORKER=0) that drains reach_outbox (WeCom, SMS), escalates undelivered notices to their
next channel and alerts the dispatchers of unseen ones, every PUSH_POLL_SECONDS.

reach_outbox rows are claimed with a lease like push_outbox rows (push.worker.claim_due), so a
restart loses nothing. Each channel sends its rows one after another: a provider that answers
"rate limited" pauses its channel (the rest of its rows wait until then, nothing is sent meanwhile),
and refusals are retried with the push sender's backoff."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime

import aiohttp
import structlog
from litestar import Litestar

import servertime
from db.reach_tables import ReachOutbox
from push.sender import Outcome, Verdict, retry_delay
from push.worker import claim_due, pause
from reach import records
from reach.channels import OutboxChannel, channels
from settings import settings

log = structlog.get_logger("fieldservice.reach")
BATCH = 100
SHUTDOWN_GRACE_SECONDS = 5
O = ReachOutbox
CLAIMED_COLUMNS = (
    O.id, O.channel, O.address, O.attempts, O.notice, O.notice.notice.as_alias("notice_type"),
    O.notice.params.as_alias("params"), O.notice.work_order.as_alias("work_order"),
)


class Sender:
    """The outbox channels, their HTTP session and their pauses, for the life of a worker."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self.session = session
        self.channels: dict[str, OutboxChannel] = {
            name: c for name, c in channels().items() if hasattr(c, "send")  # type: ignore[misc]
        }
        self.paused_until: dict[str, datetime] = {}

    async def deliver_due(self, now: datetime | None = None) -> int:
        """One round: claim the due rows of the channels not paused, send each channel's in
        turn, mark them. Returns rows handled."""
        now = now or servertime.now()
        open_channels = [c for c in self.channels if self.paused_until.get(c, now) <= now]
        if not open_channels:
            return 0
        claimant = secrets.token_hex(8)
        rows = await claim_due(O, CLAIMED_COLUMNS, now, claimant, BATCH, O.channel.is_in(open_channels))
        per_channel: dict[str, list[dict]] = {}
        for row in rows:
            per_channel.setdefault(row["channel"], []).append(row)
        await asyncio.gather(*(self._send_in_turn(name, mine, now, claimant) for name, mine in per_channel.items()))
        return len(rows)

    async def _send_in_turn(self, name: str, rows: list[dict], now: datetime, claimant: str) -> None:
        channel = self.channels[name]
        for row in rows:
            paused = self.paused_until.get(name)
            if paused and paused > now:  # rate limited earlier in this round: wait, unsent
                await O.update({O.next_attempt_at: paused, O.attempts: O.attempts - 1}).where(
                    (O.id == row["id"]) & (O.claim == claimant))
                continue
            notice = {"notice": row["notice_type"], "params": row["params"], "work_order": row["work_order"]}
            outcome = await channel.send(self.session, row["address"], notice)
            await self._mark(row, outcome, now, claimant)

    async def _mark(self, row: dict, outcome: Outcome, now: datetime, claimant: str) -> None:
        mine = (O.id == row["id"]) & (O.claim == claimant)
        code = outcome.error.split(" ", 1)[0][:64]
        if outcome.verdict == Verdict.sent:
            at = servertime.now()
            await O.update({O.state: "sent", O.sent_at: at, O.last_status: code}).where(mine)
            await records.sent([row["notice"]], row["channel"], at)
        elif outcome.verdict == Verdict.retry:
            delay = retry_delay(row["attempts"], outcome.retry_after, now)
            if outcome.retry_after:  # the provider's rate limit: the whole channel waits
                self.paused_until[row["channel"]] = now + delay
                log.warning("channel rate limited", channel=row["channel"], seconds=delay.total_seconds())
            await O.update({O.next_attempt_at: now + delay, O.last_status: code, O.last_error: outcome.error}).where(mine)
        else:
            log.warning("channel refused", channel=row["channel"], outbox=row["id"], error=outcome.error)
            await O.update({O.state: "failed", O.last_status: code, O.last_error: outcome.error}).where(mine)
            await records.escalate_now(row["notice"], now)


async def round_(sender: Sender, now: datetime | None = None) -> int:
    """Everything the worker does once: escalate (so a new channel sends in this round), alert, send."""
    await records.escalate_due(now)
    await records.alert_due(now)
    return await sender.deliver_due(now)


@asynccontextmanager
async def open_sender() -> AsyncIterator[Sender]:
    async with aiohttp.ClientSession() as session:
        yield Sender(session)


async def run(stop: asyncio.Event) -> None:
    while not stop.is_set():
        try:
            async with open_sender() as sender:
                while not stop.is_set():
                    if await round_(sender) < BATCH:
                        await pause(stop, settings.push_poll_seconds)
        except Exception:
            log.exception("reach worker failed; starting again")
            await pause(stop, settings.push_poll_seconds)


@asynccontextmanager
async def reach_worker(app: Litestar) -> AsyncIterator[None]:
    """The app's lifespan part (PUSH_WORKER=0 leaves it off, like the push sender)."""
    if not settings.push_worker:
        yield
        return
    stop = asyncio.Event()
    task = asyncio.create_task(run(stop), name="reach-worker")
    try:
        yield
    finally:
        stop.set()
        try:
            await asyncio.wait_for(task, timeout=SHUTDOWN_GRACE_SECONDS)
        except (TimeoutError, asyncio.CancelledError):
            pass

