"""Live events for the dispatcher console (issue 7): `GET /api/events` streams them as server-sent
events. Server code calls `publish(name, data)` inside the write transaction that makes a change;
the event goes out only if that transaction commits. PostgreSQL carries it to every process with
NOTIFY; on SQLite (one process) it is released in process after the commit.

publisher.py  publish(): what is sent, and how it waits for the commit on either engine
hub.py        a process's subscribers, each with a bounded queue; the hub in force
listener.py   the one LISTEN connection per process (PostgreSQL), reconnecting; the app's lifespan
"""

from events.publisher import (
    CALLBACK,
    DUTY,
    HANDOVER,
    ORDER,
    OUTAGE,
    RESYNC,
    SYNC_REJECTION,
    publish,
    publish_all,
)

__all__ = [
    "CALLBACK",
    "DUTY",
    "HANDOVER",
    "ORDER",
    "OUTAGE",
    "RESYNC",
    "SYNC_REJECTION",
    "publish",
    "publish_all",
]
