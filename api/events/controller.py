"""GET /api/events: the console's live updates, as server-sent events.

Each message is `id:` (counting up in this process), `event:` (its name) and `data:` (one line
of JSON); a `: keep-alive` comment comes every EVENTS_KEEPALIVE_SECONDS without events, and a
`: connected` comment first, once the stream is subscribed. The `X-Keepalive-Seconds` header
says how often the keep-alive comes, so a client can tell a dead connection by its silence
(the console waits for three). The stream ends when the client goes,
when the token that opened it expires (at that moment) or is revoked (logout, password reset,
deactivation, "end all sessions": at once on every process, told like the events, see
events.publisher.revoked; checked again at each keep-alive for what another SQLite process did),
when the client falls too far behind (after a `resync`) or when the server stops; the client then
reconnects and fetches again. Not in the OpenAPI schema: an endless stream is no operation to try or to fuzz.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import structlog
from litestar import Controller, Request, get
from litestar.response import ServerSentEvent, ServerSentEventMessage

import servertime
import settings as config
from api.auth.guards import roles
from domain.vocabulary import DISPATCH_ROLES, Role
from events import hub as hubs
from events.hub import EndOfStream, Hub
from services.auth.schemas import Caller
from services.auth.service import caller_for_token, session_for_token, token_hash

log = structlog.get_logger("fieldservice.events")
# The office: dispatchers, supervisors, call-centre agents (and admins). Technicians get 403.
LISTENERS = DISPATCH_ROLES | {Role.agent}
SEP = "\n"
KEEPALIVE_HEADER = "X-Keepalive-Seconds"


def _comment(text: str) -> ServerSentEventMessage:
    return ServerSentEventMessage(data=None, comment=text, sep=SEP)


class EventController(Controller):
    path = "/api/events"
    tags = ["events"]

    @get("/", opt=roles(LISTENERS), include_in_schema=False)
    async def stream(self, request: Request[Caller, str, Any]) -> ServerSentEvent:
        keepalive = config.settings.events_keepalive_seconds
        session = await session_for_token(request.auth)  # just looked up: from the token cache
        expires_at = session[1] if session else servertime.now()
        return ServerSentEvent(
            _messages(hubs.current(), request.auth, request.user.id, expires_at, keepalive),
            headers={KEEPALIVE_HEADER: f"{keepalive:g}"},
        )


async def _messages(
    hub: Hub | None, token: str, user_id: int, expires_at: datetime, keepalive: float
) -> AsyncIterator[ServerSentEventMessage]:
    if hub is None:  # the server is stopping
        return
    subscription = hub.subscribe(token_hash(token), user_id)
    try:
        yield _comment("connected")
        while True:
            left = (expires_at - servertime.now()).total_seconds()
            if left <= 0:
                return
            try:
                event = await subscription.next(min(keepalive, left))
            except EndOfStream:
                return
            if event is not None:
                yield ServerSentEventMessage(
                    id=event.id, event=event.name, data=event.data, sep=SEP
                )
            elif servertime.now() >= expires_at:
                return
            elif await _still_valid(token):
                yield _comment("keep-alive")
            else:
                return
    finally:
        subscription.close()


async def _still_valid(token: str) -> bool:
    try:
        return await caller_for_token(token) is not None
    except Exception as exc:  # the database is unreachable for a moment: keep the stream
        log.warning("token check failed on the event stream", error=repr(exc))
        return True
