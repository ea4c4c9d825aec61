"""The sender: a background task in the app's lifespan that drains the outbox.

Each round claims the due rows (moving them one lease ahead), sends them, then marks them. A
sender that dies between claim and mark leaves rows that come due again when the lease runs out,
so a crash or a restart loses nothing; at worst a push arrives twice, and the second replaces the
first on the phone (same topic, same tag). Several app processes may each run a sender: a row is
claimed by exactly one of them.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import structlog
from litestar import Litestar
from piccolo.columns import Column
from piccolo.columns.combination import Combinable
from piccolo.table import Table

import servertime
from db.push_tables import PushOutbox, PushSubscription
from domain import notifications as rules
from domain.reach import Channel
from push.background import background, pause
from push.outbox import warn_of_clocks
from push.sender import CONNECTIONS, Outcome, PushSender, Verdict, open_sender, retry_delay
from push.vapid import server_key
from reach import records as reach
from settings import settings

log = structlog.get_logger("fieldservice.push")
TZ = ZoneInfo(settings.timezone)
LEASE = timedelta(seconds=60)  # longer than a send can take (its timeout is 10 s)
BATCH = 200
CLOCK_SCAN_EVERY = timedelta(seconds=30)
PURGE_EVERY = timedelta(hours=1)
KEEP_DONE = timedelta(days=7)  # sent, failed and expired rows stay this long for inspection

CLAIMED_COLUMNS = (
    PushOutbox.id,
    PushOutbox.notice,
    PushOutbox.params,
    PushOutbox.work_order,
    PushOutbox.topic,
    PushOutbox.urgency,
    PushOutbox.ttl_seconds,
    PushOutbox.created_at,
    PushOutbox.attempts,
    PushOutbox.subscription,
    PushOutbox.subscription.endpoint.as_alias("endpoint"),
    PushOutbox.subscription.p256dh.as_alias("p256dh"),
    PushOutbox.subscription.auth.as_alias("auth"),
    PushOutbox.subscription.language.as_alias("language"),
    PushOutbox.reach_notice,
)


async def claim_due(
    table: type[Table],
    columns: Sequence,
    now: datetime,
    claimant: str,
    limit: int,
    where: Combinable | None = None,
    first: Column | None = None,
) -> list[dict]:
    """Take up to `limit` due rows of an outbox table (push_outbox, reach_outbox), the soonest
    due first (or in the order of `first`), and return them in that order. The update re-checks
    that each row is still due, so of two senders racing for a row only one gets it back from
    RETURNING."""
    due_now = (table.state == "pending") & (table.next_attempt_at <= now)
    if where is not None:
        due_now &= where
    due = (
        await table.select(table.id)
        .where(due_now)
        .order_by(first or table.next_attempt_at)
        .limit(limit)
    )
    if not due:
        return []
    taken = (
        await table.update(
            {
                table.next_attempt_at: now + LEASE,
                table.claim: claimant,
                table.attempts: table.attempts + 1,
            }
        )
        .where(table.id.is_in([r["id"] for r in due]) & due_now)
        .returning(table.id)
    )
    if not taken:
        return []
    rows = (
        await table.select(*columns)
        .where(table.id.is_in([r["id"] for r in taken]))
        .output(load_json=True)
    )
    place = {r["id"]: i for i, r in enumerate(due)}
    return sorted(rows, key=lambda r: place[r["id"]])


async def claim(now: datetime, claimant: str, limit: int = BATCH) -> list[dict]:
    return await claim_due(PushOutbox, CLAIMED_COLUMNS, now, claimant, limit)


async def _send(sender: PushSender, row: dict, now: datetime) -> Outcome | None:
    """None: the notification outlived its TTL before it could be sent."""
    ttl_left = row["ttl_seconds"] - int((now - row["created_at"]).total_seconds())
    if ttl_left <= 0:
        return None
    data = rules.payload(
        rules.NoticeType(row["notice"]),
        row["params"],
        row["topic"],
        row["work_order"],
        row["language"],
        TZ,
        row["reach_notice"],
    )
    return await sender.send(
        row["endpoint"], row["p256dh"], row["auth"], data, ttl_left, row["urgency"], row["topic"]
    )


async def _mark(row: dict, outcome: Outcome | None, now: datetime, claimant: str) -> None:
    mine = (PushOutbox.id == row["id"]) & (PushOutbox.claim == claimant)
    if row["reach_notice"] and (
        outcome is None or outcome.verdict in (Verdict.gone, Verdict.failed)
    ):
        await reach.escalate_now(
            row["reach_notice"], now
        )  # this device will not get it: try the next channel
    if outcome is None:
        await PushOutbox.update({PushOutbox.state: "expired"}).where(mine)
    elif outcome.verdict == Verdict.gone:
        # The browser dropped the subscription: forget it, and with it (cascade) every push still
        # queued for it. If the device registered a new endpoint meanwhile, send there instead.
        forgotten = (
            await PushSubscription.delete()
            .where(
                (PushSubscription.id == row["subscription"])
                & (PushSubscription.endpoint == row["endpoint"])
            )
            .returning(PushSubscription.id)
        )
        if not forgotten:
            await PushOutbox.update(
                {PushOutbox.next_attempt_at: now, PushOutbox.last_status: outcome.status}
            ).where(mine)
    elif outcome.verdict == Verdict.retry:
        await PushOutbox.update(
            {
                PushOutbox.next_attempt_at: now
                + retry_delay(row["attempts"], outcome.retry_after, now),
                PushOutbox.last_status: outcome.status,
                PushOutbox.last_error: outcome.error,
            }
        ).where(mine)
    elif outcome.verdict == Verdict.failed:
        log.warning("push refused", outbox=row["id"], status=outcome.status, error=outcome.error)
        await PushOutbox.update(
            {
                PushOutbox.state: "failed",
                PushOutbox.last_status: outcome.status,
                PushOutbox.last_error: outcome.error,
            }
        ).where(mine)


async def deliver_due(sender: PushSender, now: datetime | None = None) -> int:
    """One round: claim, send (CONNECTIONS at a time), mark. Returns how many rows it handled."""
    now = now or servertime.now()
    claimant = secrets.token_hex(8)
    rows = await claim(now, claimant)
    gate = asyncio.Semaphore(CONNECTIONS)

    async def send(row: dict) -> Outcome | None:
        async with gate:
            return await _send(sender, row, now)

    outcomes = await asyncio.gather(*(send(row) for row in rows))
    sent = [
        row["id"]
        for row, outcome in zip(rows, outcomes, strict=True)
        if outcome and outcome.verdict == Verdict.sent
    ]
    if sent:  # the common case, in one statement
        at = servertime.now()
        marked = (
            await PushOutbox.update({PushOutbox.state: "sent", PushOutbox.sent_at: at})
            .where(PushOutbox.id.is_in(sent) & (PushOutbox.claim == claimant))
            .returning(PushOutbox.reach_notice)
        )
        await reach.sent(
            {r["reach_notice"] for r in marked if r["reach_notice"]}, Channel.webpush, at
        )
    for row, outcome in zip(rows, outcomes, strict=True):
        if not (outcome and outcome.verdict == Verdict.sent):
            await _mark(row, outcome, now, claimant)
    return len(rows)


async def purge(now: datetime) -> None:
    await PushOutbox.delete().where(
        (PushOutbox.state != "pending") & (PushOutbox.created_at < now - KEEP_DONE)
    )


async def serve(stop: asyncio.Event) -> None:
    """Until `stop` is set: deliver whatever is due, scan the clocks every 30 s, purge old rows
    hourly (ops.background starts it again after a failure)."""
    async with open_sender() as sender:
        next_scan = next_purge = servertime.now()
        while not stop.is_set():
            busy = await deliver_due(sender) >= BATCH
            now = servertime.now()
            if now >= next_scan:
                await warn_of_clocks(now)
                next_scan = now + CLOCK_SCAN_EVERY
            if now >= next_purge:
                await purge(now)
                next_purge = now + PURGE_EVERY
            if not busy:  # a full batch means more is waiting: go on at once
                await pause(stop, settings.push_poll_seconds)


@asynccontextmanager
async def push_sender(app: Litestar) -> AsyncIterator[None]:
    """The app's lifespan part for the sender (PUSH_WORKER=0 leaves it off: tests drive it)."""
    if not settings.push_worker:
        yield
        return
    # A subject py-vapid refuses would fail every push: refuse to start instead.
    (await server_key()).sign({"aud": "https://push.invalid", "sub": settings.push_vapid_subject})
    async with background("push-sender", serve):
        yield
