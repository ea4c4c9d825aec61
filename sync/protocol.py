"""The rules of the sync protocol that need no database: cursors, pages, mutation order, and
why a technician lost an order. (docs/sync-protocol.md is the specification.)"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from domain.errors import DomainError
from domain.lifecycle import STEPS, Action
from domain.payloads import Assigned
from domain.vocabulary import State

# Canonical decimal numbers in ASCII digits only ("٣" and "５" are digits to `\d`), the whole
# string matched (`$` would also let a trailing newline through).
_NUMBER = r"(0|[1-9][0-9]{0,17})"
_CURSOR_V1 = re.compile(rf"v1\.{_NUMBER}")
_CURSOR_V2 = re.compile(rf"v2\.{_NUMBER}\.{_NUMBER}\.{_NUMBER}")
MAX_ORDER_ID = 2_147_483_647  # work_order.id is a 32-bit serial
WHOLE_VERSION = MAX_ORDER_ID  # as the cursor's order id: every order of the version


@dataclass(frozen=True)
class Cursor:
    """Where a device stands (docs/sync-protocol.md, "Versions and cursors").

    `through`: every removal, mutation outcome and reference change up to this version was
    delivered. `version`, `order`: every order up to the key (sync version, order id) was
    delivered — all versions below `version`, and of `version` the orders with ids up to `order`
    (all of them when `order` is WHOLE_VERSION). A page may end inside a version: one push batch
    or one office step can stamp any number of orders with one version."""

    through: int
    version: int
    order: int = WHOLE_VERSION

    def encode(self) -> str:
        if self.order == WHOLE_VERSION and self.version == self.through:
            return f"v1.{self.through}"
        return f"v2.{self.through}.{self.version}.{self.order}"


def decode_cursor(cursor: str | None) -> Cursor | None:
    """None: no cursor, the device wants a snapshot. A `v1.N` cursor (every app before paging
    inside a version) stands after version N, from the start of N + 1."""
    if cursor is None or cursor == "":
        return None
    if match := _CURSOR_V1.fullmatch(cursor):
        version = int(match.group(1))
        return Cursor(through=version, version=version)
    if match := _CURSOR_V2.fullmatch(cursor):
        through, version, order = (int(g) for g in match.groups())
        if (
            version <= through and 1 <= order < WHOLE_VERSION
        ):  # what the server issues, nothing else
            return Cursor(through=through, version=version, order=order)
    raise DomainError("sync.bad_cursor")  # 400: malformed, not merely out of date


def must_reset(cursor: Cursor, clock: int, purged: int) -> bool:
    """The cursor needs removals this server no longer holds (purged after the retention
    window), or comes from a future it does not know (restored from a backup)."""
    return cursor.through < purged or cursor.through > clock


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


# The steps that take an order out of its assignee's hands, with why (from the step spec).
LOSING_STEPS = {action: step.loses_access for action, step in STEPS.items() if step.loses_access}


def lost_access_reason(events: Sequence[dict], user_id: int) -> tuple[str, dict] | None:
    """Why `user_id` no longer holds the order, from its history (oldest first): the last step
    that took it from them, with who has it now and when. None: they never held it."""
    holder = None
    reason = None
    for event in events:
        before = holder
        said = event["payload"]
        if event["action"] in (Action.dispatch, Action.transfer):
            holder = said.assignee_id
        elif event["action"] in LOSING_STEPS:
            holder = None
        if before == user_id and holder != user_id:
            reason = (
                LOSING_STEPS[Action(event["action"])],
                {
                    "name": said.assignee_name if isinstance(said, Assigned) else "",
                    "at": event["effective_time"],
                },
            )
    if reason is None or holder == user_id:
        return None
    return reason
