"""The rules of the sync protocol that need no database: cursors, pages, mutation order, and
why a technician lost an order. (docs/sync-protocol.md is the specification.)"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from enum import StrEnum

from domain.errors import DomainError
from domain.lifecycle import Action
from domain.vocabulary import State

CURSOR = re.compile(r"^v1\.(\d{1,18})$")


def encode_cursor(version: int) -> str:
    return f"v1.{version}"


def decode_cursor(cursor: str | None) -> int | None:
    """None: no cursor, the device wants a snapshot."""
    if cursor is None or cursor == "":
        return None
    match = CURSOR.match(cursor)
    if match is None:
        raise DomainError("sync.bad_cursor")  # 400: malformed, not merely out of date
    return int(match.group(1))


def page_end(versions: Sequence[int], limit: int) -> tuple[int, bool]:
    """How many of the ascending `versions` (at most limit + 1 fetched) make the page, and whether
    more follow. A page never splits the changes of one version: the cursor would skip the rest."""
    if len(versions) <= limit:
        return len(versions), False
    boundary = versions[limit]
    keep = limit
    while keep > 0 and versions[keep - 1] == boundary:
        keep -= 1
    if keep == 0:  # one version larger than a page: deliver it whole
        keep = sum(1 for v in versions if v == boundary)
    return keep, True


def closed_cutoff(now: datetime, keep_days: int) -> datetime:
    """An order closed before this has left its technician's scope: the phone keeps a closed job
    `keep_days` days (for the callback's questions, an append), not for ever."""
    return now - timedelta(days=keep_days)


def in_scope(order: Mapping, user_id: int, now: datetime, keep_days: int) -> bool:
    """Whether `order` (state, closed_at, assignee) belongs on `user_id`'s phone: assigned to them
    and, if closed, closed no more than `keep_days` ago. A reopened order is no longer closed: it
    is back when it is dispatched again."""
    if order["assignee"] != user_id:
        return False
    return order["state"] != State.closed or order["closed_at"] >= closed_cutoff(now, keep_days)


class Order(StrEnum):
    replay = "replay"  # already applied or rejected: answer with the stored result
    apply = "apply"  # the next one
    gap = "gap"  # an earlier mutation is missing: refuse, the device resends from last + 1


def mutation_order(mutation_id: int, last_applied: int) -> Order:
    if mutation_id <= last_applied:
        return Order.replay
    if mutation_id == last_applied + 1:
        return Order.apply
    return Order.gap


def resume_point(last_settled: int, first_unsettled: int | None) -> int:
    """The client's last settled id once its push says that every id below `first_unsettled` is
    settled on the device (answered by a server, or refused locally) and will never be sent again.

    A server behind that has lost those ids (its database was restored from a backup): it skips
    them instead of refusing every later mutation as a gap. Nothing it skips was applied here — it
    applies ids only in order, so it holds none above its last — and nothing unsettled is skipped,
    since every id the device may still send is ≥ first_unsettled. Ids are never reused, so a
    late copy of an old request can only replay, never apply a mutation twice."""
    if first_unsettled is None:
        return last_settled
    return max(last_settled, first_unsettled - 1)


# The steps that take an order out of its assignee's hands.
LOSING_STEPS = {
    Action.dispatch: "sync.reassigned",
    Action.transfer: "sync.reassigned",
    Action.reject: "sync.you_rejected",
    Action.send_back: "sync.sent_back",
    Action.cancel: "sync.cancelled",
    Action.reopen: "sync.reopened",
}


def lost_access_reason(events: Sequence[dict], user_id: int) -> tuple[str, dict] | None:
    """Why `user_id` no longer holds the order, from its history (oldest first): the last step
    that took it from them, with who has it now and when. None: they never held it."""
    holder = None
    reason = None
    for event in events:
        before = holder
        if event["action"] in (Action.dispatch, Action.transfer):
            holder = event["payload"].get("assignee_id")
        elif event["action"] in LOSING_STEPS:
            holder = None
        if before == user_id and holder != user_id:
            reason = (
                LOSING_STEPS[Action(event["action"])],
                {"name": event["payload"].get("assignee_name", ""), "at": event["effective_time"]},
            )
    if reason is None or holder == user_id:
        return None
    return reason
