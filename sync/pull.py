"""Pull: everything in the caller's scope that changed after the cursor, in one round trip."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import servertime
from db import changes
from db.engine import locked, write_transaction
from db.sync_tables import SyncClient, SyncClock, SyncMutation, SyncPurge, SyncScopeChange
from db.tables import WorkOrder
from domain.vocabulary import State
from reach import records as reach
from services.auth.schemas import Caller
from services.reference.service import reference_data
from services.work_orders import service as orders
from settings import settings
from sync.protocol import Cursor, closed_cutoff, decode_cursor, must_reset
from sync.push import RESULT_COLUMNS, result_of
from sync.schemas import PullOut, Removal

DEFAULT_LIMIT = 100


async def pull(
    caller: Caller, cursor: str | None, client_id: str | None, limit: int, lang: str
) -> PullOut:
    since = decode_cursor(cursor)
    position = since or Cursor(through=0, version=0)
    # Read the clock first: every change up to it has committed (versions follow commit order),
    # so the rows read next are complete up to it.
    clock = await _clock_and_news(caller, position, client_id)
    version = clock["version"]
    if since is not None and must_reset(since, version, clock["purged"]):
        return PullOut(cursor=None, more=False, reset=True)
    if since is not None and not (
        clock["orders"]
        or clock["removals"]
        or clock["results"]
        or since.through < clock["reference_version"]
    ):
        return PullOut(cursor=Cursor(version, version).encode(), more=False)  # the common answer

    # Orders page by (sync version, id): a page may end inside a version, and the cursor resumes
    # there. Removals, outcomes and reference data come whole up to the clock with the first
    # page: a few ids, and a removal ahead of the order that comes back later is harmless.
    candidates = (
        []
        if not clock["orders"]
        else await WorkOrder.select(*orders.ORDER_COLUMNS)
        .where(
            (WorkOrder.assignee == caller.id)
            & _not_expired(servertime.now())
            & orders_after(position)
            & (WorkOrder.sync_version <= version)
        )
        .order_by(WorkOrder.sync_version, WorkOrder.id)
        .limit(limit + 1)
        .output(load_json=True)
    )
    more = len(candidates) > limit
    page = candidates[:limit]
    # The next cursor: complete up to the clock, or inside the version where the page ends.
    # Either way every removal up to the clock was delivered, so the cursor is never older
    # than the purge mark it was issued under (a snapshot's pages included).
    last = page[-1] if more else None
    next_cursor = (
        Cursor(version, last["sync_version"], last["id"]) if last else Cursor(version, version)
    )

    removed: list[int] = []
    removals: list[Removal] = []
    if since is not None and clock["removals"]:
        rows = await SyncScopeChange.select(SyncScopeChange.work_order, SyncScopeChange.at).where(
            (SyncScopeChange.user == caller.id)
            & (SyncScopeChange.change == "remove")
            & (SyncScopeChange.version > since.through)
            & (SyncScopeChange.version <= version)
        )
        upserted = {o["id"] for o in page}
        removed = sorted({r["work_order"] for r in rows} - upserted)
        removals = await _removals(caller, removed, rows)

    results = []
    if client_id and clock["results"]:
        client = (
            await SyncClient.select(SyncClient.id, SyncClient.user)
            .where(SyncClient.client_id == client_id)
            .first()
        )
        if client is not None and client["user"] == caller.id:
            rows = (
                await SyncMutation.select(*RESULT_COLUMNS)
                .where(
                    (SyncMutation.client == client["id"])
                    & (SyncMutation.version > position.through)
                    & (SyncMutation.version <= version)
                )
                .order_by(SyncMutation.mutation_id)
                .output(load_json=True)
            )
            results = [result_of(r, lang) for r in rows]

    reference_changed = since is None or since.through < clock["reference_version"]
    await reach.delivered_by_pull(caller.id, {o["id"]: o["version"] for o in page}, removed)
    return PullOut(
        cursor=next_cursor.encode(),
        more=more,
        orders=await orders.documents(caller, page),
        removed=removed,
        removals=removals,
        results=results,
        reference=await reference_data() if reference_changed else None,
    )


def orders_after(position: Cursor):
    """Orders past the cursor's key (sync version, id); written so the index on
    (assignee, sync_version) still bounds the scan."""
    return (WorkOrder.sync_version >= position.version) & (
        (WorkOrder.sync_version > position.version) | (WorkOrder.id > position.order)
    )


async def _removals(caller: Caller, removed: list[int], changes: list[dict]) -> list[Removal]:
    """Each removed order with why it left: read from the order as it stands now (who holds it,
    its state) and the time of its last scope change."""
    if not removed:
        return []
    at: dict[int, datetime] = {}
    for c in changes:
        at[c["work_order"]] = max(at.get(c["work_order"], c["at"]), c["at"])
    rows = await WorkOrder.select(
        WorkOrder.id,
        WorkOrder.code,
        WorkOrder.state,
        WorkOrder.assignee,
        WorkOrder.assignee.display_name,
    ).where(WorkOrder.id.is_in(removed))
    removals = []
    for r in rows:
        reason = _why_removed(r, caller.id)
        name = r["assignee.display_name"] if reason == "reassigned" else None
        removals.append(
            Removal(id=r["id"], code=r["code"], at=at[r["id"]], reason=reason, assignee_name=name)
        )
    return removals


def _why_removed(order: dict, user_id: int) -> str:
    if order["state"] == State.cancelled:
        return "cancelled"
    if order["state"] == State.closed:
        return "closed"
    if order["assignee"] is not None and order["assignee"] != user_id:
        return "reassigned"
    if order["state"] == State.sent_back:
        return "sent_back"
    return "unassigned"


def _not_expired(now):
    """sync.protocol.in_scope's expiry as a condition: a closed order leaves its technician's scope
    `sync_closed_order_days` after closing, whether or not housekeeping has sent its removal yet."""
    return (WorkOrder.state != State.closed.value) | (
        WorkOrder.closed_at >= closed_cutoff(now, settings.sync_closed_order_days)
    )


# The clock, the purge mark, and whether anything of the caller's changed in (cursor, clock]:
# one statement, so a pull with nothing new costs one query. Within one statement every part
# sees the same snapshot, so the rows it finds are those up to the clock it reads. (LIMIT 1:
# the one-row tables' row estimate stays 1 before they are analysed, else PostgreSQL's
# planner expects a large join and JIT-compiles the query, ~0.6 s.)
NEWS = """
SELECT c.version AS version, c.reference_version AS reference_version, p.version AS purged,
  EXISTS (SELECT 1 FROM work_order o
          WHERE o.assignee = {user} AND o.sync_version >= {version} AND o.sync_version <= c.version
            AND (o.sync_version > {version} OR o.id > {order})) AS orders,
  EXISTS (SELECT 1 FROM sync_scope_change s
          WHERE s."user" = {user} AND s.change = 'remove' AND s.version > {through} AND s.version <= c.version) AS removals,
  EXISTS (SELECT 1 FROM sync_mutation m JOIN sync_client k ON k.id = m.client
          WHERE k.client_id = {client} AND k."user" = {user}
            AND m.version > {through} AND m.version <= c.version) AS results
FROM (SELECT version, reference_version FROM sync_clock LIMIT 1) c,
     (SELECT version FROM sync_purge LIMIT 1) p
"""
# Piccolo's raw() takes positional {} placeholders, in order of appearance.
_NEWS_SQL, _NEWS_ARGS = re.sub(r"{\w+}", "{}", NEWS), re.findall(r"{(\w+)}", NEWS)


async def _clock_and_news(caller: Caller, position: Cursor, client_id: str | None) -> dict:
    values = {
        "user": caller.id,
        "version": position.version,
        "order": position.order,
        "through": position.through,
        "client": client_id or "",
    }
    return (await SyncClock.raw(_NEWS_SQL, *[values[name] for name in _NEWS_ARGS]))[0]


# However short the retention window, a removal is kept this long: a cursor the server issued
# (a snapshot's first page, say) is never answered with reset on its next page.
PAGING_GRACE = timedelta(hours=1)


async def purge_tombstones(retention: timedelta) -> int:
    """Forget removals older than the retention window (PAGING_GRACE at least); a device whose
    cursor is older must then reset (its pull answers `reset`), so no deletion is ever silently
    missed."""
    cutoff = servertime.now() - max(retention, PAGING_GRACE)
    old = (
        await SyncScopeChange.select(SyncScopeChange.version)
        .where(SyncScopeChange.at < cutoff)
        .order_by(SyncScopeChange.version, ascending=False)
        .first()
    )
    if old is None:
        return 0
    async with write_transaction():
        count = await SyncScopeChange.count().where(SyncScopeChange.version <= old["version"])
        await SyncScopeChange.delete().where(SyncScopeChange.version <= old["version"])
        await SyncPurge.update(
            {SyncPurge.version: old["version"], SyncPurge.at: servertime.now()}, force=True
        )
    return count


EXPIRE_BATCH = 500


async def expire_closed_orders(keep_days: int) -> int:
    """Orders closed more than `keep_days` ago leave their technicians' scope: each gets a removal,
    so the phones holding it delete it at their next pull (a snapshot leaves them out already).
    Returns how many left. Reopening clears the mark, so a later closing expires again."""
    total = 0
    while True:
        count = await orders.retrying(lambda: _expire_some(keep_days))
        total += count
        if count < EXPIRE_BATCH:
            return total


async def _expire_some(keep_days: int) -> int:
    now = servertime.now()
    rows = await locked(
        WorkOrder.select(WorkOrder.id, WorkOrder.assignee)
        .where(
            (WorkOrder.state == State.closed.value)
            & (WorkOrder.closed_at < closed_cutoff(now, keep_days))
            & WorkOrder.assignee.is_not_null()
            & WorkOrder.left_scope_at.is_null()
        )
        .order_by(WorkOrder.id)
        .limit(EXPIRE_BATCH),
        WorkOrder,
    )
    if rows:
        await WorkOrder.update({WorkOrder.left_scope_at: now}).where(
            WorkOrder.id.is_in([r["id"] for r in rows])
        )
        for row in rows:
            await changes.order_changed(row["id"], before=row["assignee"], after=None)
    return len(rows)
