"""One push, encrypted (aes128gcm) and VAPID-signed by pywebpush, POSTed with aiohttp, and what
the push service's answer means for the outbox row."""

from __future__ import annotations

import random
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from enum import StrEnum
from urllib.parse import urlsplit

import aiohttp
from py_vapid import Vapid
from pywebpush import WebPushException, webpush_async

from push.vapid import server_key
from settings import settings

SEND_TIMEOUT_SECONDS = 10
CONNECTIONS = 32  # at most this many pushes in flight per sender
BACKOFF_FIRST = timedelta(seconds=5)
BACKOFF_CAP = timedelta(minutes=15)
# A VAPID token is signed once per push service and reused until close to its expiry (RFC 8292
# allows up to 24 h): signing is a third of the CPU a push costs.
TOKEN_LIFETIME_SECONDS = 12 * 3600
TOKEN_RENEW_BEFORE_SECONDS = 3600


class Verdict(StrEnum):
    sent = "sent"
    retry = "retry"  # 429, 5xx, network trouble: try again later
    gone = "gone"  # 404 / 410: the subscription is dead; forget it
    failed = "failed"  # any other refusal: retrying would get the same answer
    # The request may have reached the provider (a timeout, a connection broken before the
    # answer): sent or not, no one can tell. Only SMS says so: it has no idempotency key.
    unknown = "unknown"


@dataclass(frozen=True)
class Outcome:
    verdict: Verdict
    status: int | None = None
    retry_after: str | None = None  # the push service's Retry-After header, as sent
    error: str = ""
    # A retry because of the provider's limit for this one recipient (an SMS provider's limit per
    # mobile number), not for the sender: only this message waits.
    recipient_limited: bool = False


def verdict_for(status: int) -> Verdict:
    if status < 300:
        return Verdict.sent
    if status in (404, 410):
        return Verdict.gone
    if status == 429 or status >= 500:
        return Verdict.retry
    return Verdict.failed


def retry_delay(
    attempts: int, retry_after: str | None, now: datetime, first: timedelta = BACKOFF_FIRST
) -> timedelta:
    """When to try again: when the push service said (Retry-After, seconds or an HTTP date),
    else an exponential backoff from `first` (5 s) to 15 min, jittered so that rows refused
    together are not retried together."""
    if retry_after:
        try:
            return timedelta(seconds=max(0, int(retry_after)))
        except ValueError:
            try:
                return max(timedelta(0), parsedate_to_datetime(retry_after).astimezone(UTC) - now)
            except (TypeError, ValueError):
                pass  # unreadable: fall back to the backoff
    backoff = min(BACKOFF_CAP, first * 2 ** max(0, attempts - 1))
    return backoff * random.uniform(0.5, 1.0)


class PushSender:
    def __init__(self, key: Vapid, subject: str, session: aiohttp.ClientSession) -> None:
        self.key = key
        self.subject = subject
        self.session = session
        self._tokens: dict[
            str, tuple[int, dict[str, str]]
        ] = {}  # audience: (exp, Authorization header)

    def _vapid_headers(self, endpoint: str) -> dict[str, str]:
        url = urlsplit(endpoint)
        audience = f"{url.scheme}://{url.netloc}"
        now = int(time.time())
        cached = self._tokens.get(audience)
        if cached is None or cached[0] - now < TOKEN_RENEW_BEFORE_SECONDS:
            exp = now + TOKEN_LIFETIME_SECONDS
            cached = (exp, self.key.sign({"aud": audience, "exp": exp, "sub": self.subject}))
            self._tokens[audience] = cached
        return cached[1]

    async def send(
        self,
        endpoint: str,
        p256dh: str,
        auth: str,
        data: bytes,
        ttl_seconds: int,
        urgency: str,
        topic: str,
    ) -> Outcome:
        try:
            response = await webpush_async(
                subscription_info={"endpoint": endpoint, "keys": {"p256dh": p256dh, "auth": auth}},
                data=data,  # type: ignore[arg-type]  # bytes are sent as they are
                ttl=ttl_seconds,
                headers={**self._vapid_headers(endpoint), "Urgency": urgency, "Topic": topic},
                aiohttp_session=self.session,
                timeout=SEND_TIMEOUT_SECONDS,
            )
        except WebPushException as exc:
            if exc.status_code is None:  # refused before sending: unusable subscription keys
                return Outcome(Verdict.failed, error=exc.message[:200])
            return Outcome(
                verdict_for(exc.status_code), exc.status_code, exc.retry_after, exc.message[:200]
            )
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            return Outcome(Verdict.retry, error=f"{type(exc).__name__}: {exc}"[:200])
        except ValueError as exc:  # keys that are not a P-256 point / 16 bytes
            return Outcome(Verdict.failed, error=f"{type(exc).__name__}: {exc}"[:200])
        return Outcome(Verdict.sent, response.status)  # type: ignore[union-attr]


@asynccontextmanager
async def open_sender() -> AsyncIterator[PushSender]:
    """A sender with the server's key and one connection pool, for the life of a worker."""
    connector = aiohttp.TCPConnector(limit=CONNECTIONS)
    async with aiohttp.ClientSession(connector=connector) as session:
        yield PushSender(await server_key(), settings.push_vapid_subject, session)
