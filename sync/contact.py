"""A device's last contact, for the dispatchers' board: when it last pulled, and how many actions
its outbox still held (the app reports it with each sync). Pushes record theirs in sync/push.py.

A pull is the hot path (every phone polls every 30 s, mostly for nothing), so it writes at most
once a minute per device: a memo in this process skips the database until a minute has passed, and
the update itself only matches a row not touched for a minute (several server processes)."""

from __future__ import annotations

from datetime import datetime, timedelta

import servertime
from db.engine import is_unique_violation
from db.sync_tables import SyncClient
from services.auth.schemas import Caller

PULL_NOTE_INTERVAL = timedelta(minutes=1)
_noted: dict[str, datetime] = {}  # client id → when this process last wrote (or tried to)


async def note_pull(caller: Caller, client_id: str, pending: int | None) -> None:
    now = servertime.now()
    last = _noted.get(client_id)
    if last is not None and now - last < PULL_NOTE_INTERVAL:
        return
    _noted[client_id] = now
    fields: dict = {SyncClient.last_pull_at: now}
    if pending is not None:
        fields[SyncClient.outbox_pending] = pending
    updated = (
        await SyncClient.update(fields)
        .where(
            (SyncClient.client_id == client_id)
            & (SyncClient.user == caller.id)
            & (
                SyncClient.last_pull_at.is_null()
                | (SyncClient.last_pull_at < now - PULL_NOTE_INTERVAL)
            )
        )
        .returning(SyncClient.id)
    )
    if updated or await SyncClient.exists().where(SyncClient.client_id == client_id):
        return  # written, or noted within the minute by another process, or another user's id
    # A device that has pulled but never pushed: known from now on.
    try:
        await SyncClient.insert(
            SyncClient(
                client_id=client_id,
                user=caller.id,
                created_at=now,
                last_pull_at=now,
                outbox_pending=pending or 0,
            )
        )
    except Exception as exc:
        if not is_unique_violation(exc):  # its first push got in first
            raise
