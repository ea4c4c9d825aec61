"""Publishing: an event is one line, `<name> <JSON data>`, sent when the writer's transaction commits.

PostgreSQL: `pg_notify` in the writer's own transaction, so PostgreSQL delivers it to every
listening process on commit and drops it on rollback (a rolled-back savepoint drops its own).
All the events of one call go in one statement. SQLite: the lines wait in the write transaction
(db.engine.after_commit) and are handed to this process's hub once it has committed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import msgspec
import structlog
from piccolo.querystring import QueryString

from db.engine import after_commit, current_engine, is_sqlite
from db.tables import WorkOrder
from events import hub

log = structlog.get_logger("fieldservice.events")

CHANNEL = "fieldservice_events"
# PostgreSQL refuses a NOTIFY payload of 8000 bytes or more; events carry ids and states only.
MAX_PAYLOAD_BYTES = 7999

# The names of the console contract (docs/architecture.md, "Live events").
ORDER = "order"  # {"id", "code", "state", "version", "assignee_id"}
OUTAGE = "outage"  # {"id", "status"}
HANDOVER = "handover"  # {"id", "status"}
CALLBACK = "callback"  # {"order_id"}
DUTY = "duty"  # {"what": "broadcast" | "roster", "id"}: the duty desk (issue 19)
SYNC_REJECTION = "sync_rejection"  # {"order_id", "client_id", …}
NOTICE = "notice"  # {"id", "work_order", "recipient", "state"?, "alert"?}: a tracked notice moved (reach/)
CALL = "call"  # {"id", "order_id"}: a call reported or a tap on "call" (issue 19)
RESYNC = "resync"  # sent by the server itself: events may have been missed, fetch again
NAMES = frozenset({ORDER, OUTAGE, HANDOVER, CALLBACK, SYNC_REJECTION, NOTICE, CALL, DUTY})

_encoder = msgspec.json.Encoder()


async def publish(name: str, data: dict[str, Any]) -> None:
    """Send `name` with `data` to every subscribed console once the current write transaction
    commits (at once outside one). Keep `data` small: ids and states; clients fetch the rest."""
    await publish_all([(name, data)])


async def publish_all(events: Iterable[tuple[str, dict[str, Any]]]) -> None:
    """Several events, in order, for the cost of one."""
    await _send([line(name, data) for name, data in events])


async def revoked(*, token_hash: str | None = None, user_id: int | None = None) -> None:
    """End, on every process, the open streams of this token or of every token of this user, once
    the revoking transaction commits: the same path as the events, so no stream looks the token
    up again per event."""
    data = {"token": token_hash} if token_hash is not None else {"user": user_id}
    await _send([f"{hub.REVOKED} {_encoder.encode(data).decode()}"])


async def _send(lines: list[str]) -> None:
    if not lines:
        return
    engine = current_engine()
    if is_sqlite(engine):
        after_commit(lambda: hub.release(lines))
    else:
        await engine.run_querystring(
            QueryString(
                "SELECT pg_notify({}, line) FROM unnest({}::text[]) AS line", CHANNEL, lines
            )
        )


def line(name: str, data: dict[str, Any]) -> str:
    if name not in NAMES:
        raise ValueError(f"unknown event name {name!r}")
    text = f"{name} {_encoder.encode(data).decode()}"
    if len(text.encode()) > MAX_PAYLOAD_BYTES:
        # Never fail the writer's transaction over a notification: the consoles fetch everything again.
        log.warning("event too large, sent as resync", name=name, size=len(text.encode()))
        return f"{RESYNC} {{}}"
    return text


# What the console hears of an order; read back from the row as the change left it.
ORDER_COLUMNS = (
    WorkOrder.id,
    WorkOrder.code,
    WorkOrder.state,
    WorkOrder.version,
    WorkOrder.assignee,
)


async def orders_changed(rows: list[dict[str, Any]]) -> None:
    """`rows`: ORDER_COLUMNS of orders the current transaction changed."""
    await publish_all(
        (
            ORDER,
            {
                "id": r["id"],
                "code": r["code"],
                "state": r["state"],
                "version": r["version"],
                "assignee_id": r["assignee"],
            },
        )
        for r in rows
    )
