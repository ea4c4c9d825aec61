"""Payloads of /api/push. A subscription is what the browser's PushSubscription.toJSON() gives
(endpoint and keys), plus the device's own id and the language its notifications are written in."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from services.types import Request, Response

DEVICE_ID_PATTERN = r"^[A-Za-z0-9_\-]+$"
BASE64URL = r"^[A-Za-z0-9_\-]+=*$"  # browsers leave the padding off; some libraries keep it

DeviceId = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=DEVICE_ID_PATTERN)]
# Browsers give endpoints as printable ASCII (anything else percent-encoded); 2048 bytes stay
# within PostgreSQL's limit for the unique index on it.
Endpoint = Annotated[str, msgspec.Meta(min_length=1, max_length=2048, pattern=r"^[\x21-\x7e]+$")]
P256dh = Annotated[str, msgspec.Meta(min_length=1, max_length=100, pattern=BASE64URL)]
AuthSecret = Annotated[str, msgspec.Meta(min_length=1, max_length=32, pattern=BASE64URL)]
Language = Literal["zh-CN", "en"]


class SubscriptionKeys(Request, kw_only=True):
    p256dh: P256dh
    auth: AuthSecret


class Subscribe(Request, kw_only=True):
    device_id: DeviceId  # chosen by the app once per installation; re-sent on every start
    endpoint: Endpoint
    keys: SubscriptionKeys
    language: Language | None = None  # default: the request's Accept-Language


class SubscriptionOut(Response, kw_only=True):
    device_id: str
    language: str
    created_at: datetime
    updated_at: datetime


class VapidPublicKey(Response, kw_only=True):
    public_key: str  # applicationServerKey for PushManager.subscribe(): an uncompressed P-256 point, base64url
