"""The reach worker: a background task in the app's lifespan (beside the push sender, and off with
it: PUSH_WORKER=0) that drains reach_outbox (WeCom, SMS), escalates undelivered notices to their
next channel and alerts the dispatchers of unseen ones, every PUSH_POLL_SECONDS.

reach_outbox rows are claimed with a lease like push_outbox rows (push.worker.claim_due), oldest
first, so a restart loses nothing. Each channel sends its rows one after another. A provider's limit
for the whole app pauses its channel (the rest of its rows wait until then, nothing is sent
meanwhile; the row that drew it goes after them); a limit for one mobile number holds back only
that number's row, longer each time; other trouble is retried with the push sender's backoff.

An SMS is sent at most once: it is marked `sending` before the provider hears of it, and one whose
lease runs out so marked (the worker died or hung mid-send) or whose answer never came is `unknown`,
never sent again; the notice goes on as if it failed (the next channel, else the dispatchers'
alert). WeCom drops duplicates itself, so its rows are simply sent again after the lease."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta

import aiohttp
import structlog
from litestar import Litestar
from piccolo.columns.combination import Combinable

import servertime
from db.engine import write_transaction
from db.reach_tables import ReachOutbox
from push.background import background, pause
from push.sender import BACKOFF_FIRST, Outcome, Verdict, retry_delay
from push.worker import LEASE, claim_due
from reach import records
from reach.channels import OutboxChannel, channels
from settings import settings

log = structlog.get_logger("fieldservice.reach")
BATCH = 100
# The first wait of a number over its provider's limit (their shortest window is a minute).
NUMBER_LIMIT_FIRST = timedelta(minutes=1)
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
            # Oldest first: a row held back by a pause keeps its place in line (its next attempt,
            # moved to the pause's end, would put it behind every row queued meanwhile).
            first=ReachOutbox.id,
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
            if not channel.resend_safe and not await _sending(row, claimant):
                continue  # its lease ran out before its turn: another worker holds it now
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
            wait_from = now
            if outcome.retry_after:  # the app's limit: the channel waits, then this row the longest
                wait_from = now + retry_delay(row["attempts"], outcome.retry_after, now)
                self.paused_until[row["channel"]] = wait_from
                log.warning("channel rate limited", channel=row["channel"], until=wait_from)
            # One number's limit (a minute, an hour, a day) holds back only its row, from a minute.
            first = NUMBER_LIMIT_FIRST if outcome.recipient_limited else BACKOFF_FIRST
            next_attempt = wait_from + retry_delay(row["attempts"], None, now, first)
            await ReachOutbox.update(
                {
                    ReachOutbox.state: "pending",
                    ReachOutbox.next_attempt_at: next_attempt,
                    ReachOutbox.last_status: code,
                    ReachOutbox.last_error: outcome.error,
                }
            ).where(mine & ReachOutbox.state.is_in(["pending", "sending"]))
        else:  # refused for good, or perhaps sent (unknown: an SMS is never sent twice)
            await _give_up(
                mine,
                "unknown" if outcome.verdict == Verdict.unknown else "failed",
                code,
                outcome.error,
                now,
            )


async def _give_up(where: Combinable, state: str, status: str, error: str, now: datetime) -> int:
    """These rows will not be sent (again): their notices go on to the next channel at once (the
    dispatchers' alert, when none is left). Returns rows given up."""
    async with write_transaction():
        rows = (
            await ReachOutbox.update(
                {
                    ReachOutbox.state: state,
                    ReachOutbox.last_status: status,
                    ReachOutbox.last_error: error,
                }
            )
            .where(where)
            .returning(ReachOutbox.id, ReachOutbox.channel, ReachOutbox.notice)
        )
        for row in rows:
            log.warning(
                "send given up", channel=row["channel"], outbox=row["id"], state=state, error=error
            )
            await records.escalate_now(row["notice"], now)
    return len(rows)


async def _sending(row: dict, claimant: str) -> bool:
    """Mark the row as being sent, before the provider hears of it (a new lease from now).
    False: the row is no longer this worker's."""
    return bool(
        await ReachOutbox.update(
            {ReachOutbox.state: "sending", ReachOutbox.next_attempt_at: servertime.now() + LEASE}
        )
        .where(
            (ReachOutbox.id == row["id"])
            & (ReachOutbox.claim == claimant)
            & (ReachOutbox.state == "pending")
        )
        .returning(ReachOutbox.id)
    )


async def give_up_lost_sends(now: datetime | None = None) -> int:
    """Rows whose lease ran out while being sent: the worker died or hung after the provider may
    have taken the message. Not sent again (`unknown`); their notices go on as if the send
    failed. Returns rows given up."""
    now = now or servertime.now()
    lost = (ReachOutbox.state == "sending") & (ReachOutbox.next_attempt_at <= now)
    if not await ReachOutbox.exists().where(lost):  # the common round: no write lock taken
        return 0
    return await _give_up(
        lost, "unknown", "lease", "the sender stopped mid-send: sent or not, unknown", now
    )


async def round_(sender: Sender, now: datetime | None = None) -> int:
    """Everything the worker does once: give up lost sends and escalate (so a new channel sends
    in this round), alert, send."""
    await give_up_lost_sends(now)
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
