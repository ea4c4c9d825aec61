"""Push subscriptions: one per (user, device), refreshed on every start of the app."""

from __future__ import annotations

import base64
import binascii
from fnmatch import fnmatchcase
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import ec

import servertime
from db.engine import write_transaction
from db.push_tables import PushSubscription
from domain.errors import Invalid, Issue, NotFound
from push.vapid import application_server_key, server_key
from services.auth.schemas import Caller
from services.push import schemas as s
from settings import settings

# A user's devices beyond this many: the one heard from least recently is forgotten.
MAX_DEVICES_PER_USER = 10
P = PushSubscription


async def public_key() -> s.VapidPublicKey:
    return s.VapidPublicKey(public_key=application_server_key(await server_key()))


def _b64url(value: str) -> bytes | None:
    bare = value.rstrip("=")
    try:
        return base64.urlsafe_b64decode(bare + "=" * (-len(bare) % 4))
    except (binascii.Error, ValueError):
        return None


def _is_p256_point(raw: bytes | None) -> bool:
    """An uncompressed point on P-256, as browsers send their p256dh key."""
    if raw is None or len(raw) != 65:
        return False
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)
    except ValueError:
        return False
    return True


def subscription_issues(data: s.Subscribe, allowed_origins: tuple[str, ...]) -> list[Issue]:
    """What makes a subscription unusable: an endpoint outside the known push services (the
    server would POST wherever it points), or keys that cannot encrypt a message."""
    issues = []
    try:
        url = urlsplit(data.endpoint)
        origin = f"{url.scheme}://{url.hostname}" + (f":{url.port}" if url.port else "")
        allowed = not (url.username or url.password) and any(
            fnmatchcase(origin, p) for p in allowed_origins
        )
    except ValueError:  # an unparsable host or port
        origin, allowed = data.endpoint[:100], False
    if not allowed:
        issues.append(Issue("push.endpoint_not_allowed", {"origin": origin}, "endpoint"))
    if not _is_p256_point(_b64url(data.keys.p256dh)):
        issues.append(Issue("push.key_invalid", {"field": "p256dh"}, "keys.p256dh"))
    secret = _b64url(data.keys.auth)
    if secret is None or len(secret) != 16:
        issues.append(Issue("push.key_invalid", {"field": "auth"}, "keys.auth"))
    return issues


def _out(row: dict) -> s.SubscriptionOut:
    return s.SubscriptionOut(
        device_id=row["device_id"],
        language=row["language"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


async def subscribe(
    caller: Caller, data: s.Subscribe, request_language: str
) -> tuple[s.SubscriptionOut, bool]:
    """Store or refresh this device's subscription. True when it is new."""
    issues = subscription_issues(data, settings.push_endpoint_origins)
    if issues:
        raise Invalid("push.subscription_invalid", issues)
    now = servertime.now()
    values = dict(
        endpoint=data.endpoint,
        p256dh=data.keys.p256dh,
        auth=data.keys.auth,
        language=data.language or request_language,
        updated_at=now,
    )
    mine = (P.user == caller.id) & (P.device_id == data.device_id)
    async with write_transaction():
        # An endpoint is one browser's: registered again by another user (a shared phone changing
        # hands) or under another device id, the old row goes, so the phone stops showing the
        # previous holder's orders.
        await P.delete().where(
            (P.endpoint == data.endpoint)
            & ((P.user != caller.id) | (P.device_id != data.device_id))
        )
        refreshed = (
            await P.update({getattr(P, k): v for k, v in values.items()})
            .where(mine)
            .returning(*P.all_columns())
        )
        if refreshed:
            return _out(refreshed[0]), False
        devices = (
            await P.select(P.id).where(P.user == caller.id).order_by(P.updated_at, ascending=False)
        )
        if len(devices) >= MAX_DEVICES_PER_USER:
            await P.delete().where(
                P.id.is_in([d["id"] for d in devices[MAX_DEVICES_PER_USER - 1 :]])
            )
        row = P(user=caller.id, device_id=data.device_id, created_at=now, **values)
        await P.insert(row)
    return _out(row.to_dict()), True


async def unsubscribe(caller: Caller, device_id: str) -> None:
    """The app logs out or the user turns notifications off. Pushes still queued for it are dropped."""
    gone = (
        await P.delete().where((P.user == caller.id) & (P.device_id == device_id)).returning(P.id)
    )
    if not gone:
        raise NotFound("push.subscription_not_found", device_id=device_id)
