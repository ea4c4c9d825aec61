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
from push.background import background, pause
from push.sender import Outcome, Verdict, retry_delay
from push.worker import claim_due
from reach import records
from reach.channels import OutboxChannel, channels
from settings import settings

log = structlog.get_logger("fieldservice.reach")
BATCH = 100
CLAIMED_COLUMNS = (
    ReachOutbox.id,
    ReachOutbox.channel,
    ReachOutbox.address,
    ReachOutbox.attempts,
    ReachOutbox.notice,
    ReachOutbox.notice.notice.as_alias("notice_type"),
    ReachOutbox.notice.params.as_alias("params"),
    ReachOutbox.notice.work_order.as_alias("work_order"),
)


class Sender:
    """The outbox channels, their HTTP session and their pauses, for the life of a worker."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self.session = session
        self.channels: dict[str, OutboxChannel] = {
            name: c
            for name, c in channels().items()
            if hasattr(c, "send")  # type: ignore[misc]
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
        rows = await claim_due(
            ReachOutbox,
            CLAIMED_COLUMNS,
            now,
            claimant,
            BATCH,
            ReachOutbox.channel.is_in(open_channels),
        )
        per_channel: dict[str, list[dict]] = {}
        for row in rows:
            per_channel.setdefault(row["channel"], []).append(row)
        await asyncio.gather(
            *(self._send_in_turn(name, mine, now, claimant) for name, mine in per_channel.items())
        )
        return len(rows)

    async def _send_in_turn(
        self, name: str, rows: list[dict], now: datetime, claimant: str
    ) -> None:
        channel = self.channels[name]
        for row in rows:
            paused = self.paused_until.get(name)
            if paused and paused > now:  # rate limited earlier in this round: wait, unsent
                await ReachOutbox.update(
                    {
                        ReachOutbox.next_attempt_at: paused,
                        ReachOutbox.attempts: ReachOutbox.attempts - 1,
                    }
                ).where((ReachOutbox.id == row["id"]) & (ReachOutbox.claim == claimant))
                continue
            notice = {
                "notice": row["notice_type"],
                "params": row["params"],
                "work_order": row["work_order"],
            }
            outcome = await channel.send(self.session, row["address"], notice)
            await self._mark(row, outcome, now, claimant)

    async def _mark(self, row: dict, outcome: Outcome, now: datetime, claimant: str) -> None:
        mine = (ReachOutbox.id == row["id"]) & (ReachOutbox.claim == claimant)
        code = outcome.error.split(" ", 1)[0][:64]
        if outcome.verdict == Verdict.sent:
            at = servertime.now()
            await ReachOutbox.update(
                {ReachOutbox.state: "sent", ReachOutbox.sent_at: at, ReachOutbox.last_status: code}
            ).where(mine)
            await records.sent([row["notice"]], row["channel"], at)
        elif outcome.verdict == Verdict.retry:
            delay = retry_delay(row["attempts"], outcome.retry_after, now)
            if outcome.retry_after:  # the provider's rate limit: the whole channel waits
                self.paused_until[row["channel"]] = now + delay
                log.warning(
                    "channel rate limited", channel=row["channel"], seconds=delay.total_seconds()
                )
            await ReachOutbox.update(
                {
                    ReachOutbox.next_attempt_at: now + delay,
                    ReachOutbox.last_status: code,
                    ReachOutbox.last_error: outcome.error,
                }
            ).where(mine)
        else:
            log.warning(
                "channel refused", channel=row["channel"], outbox=row["id"], error=outcome.error
            )
            await ReachOutbox.update(
                {
                    ReachOutbox.state: "failed",
                    ReachOutbox.last_status: code,
                    ReachOutbox.last_error: outcome.error,
                }
            ).where(mine)
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


async def serve(stop: asyncio.Event) -> None:
    """Escalate, alert and send until `stop` is set (ops.background starts it again after a failure)."""
    async with open_sender() as sender:
        while not stop.is_set():
            if await round_(sender) < BATCH:
                await pause(stop, settings.push_poll_seconds)


@asynccontextmanager
async def reach_worker(app: Litestar) -> AsyncIterator[None]:
    """The app's lifespan part (PUSH_WORKER=0 leaves it off, like the push sender)."""
    if not settings.push_worker:
        yield
        return
    async with background("reach-worker", serve):
        yield
