"""The channels behind one interface: whether a channel is configured, whether it can reach a
person (their address on it), and queueing a notice on it, in the caller's transaction. Web push
queues into push_outbox (drained by push/worker.py); WeCom and SMS into reach_outbox (drained by
reach/worker.py through `send`). A channel that is not configured reaches no one: it is skipped."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import aiohttp

from db.push_tables import PushOutbox, PushSubscription
from db.reach_tables import ReachOutbox, ReachPreference
from db.tables import StaffUser
from domain import reach as rules
from domain.notifications import NoticeType
from push.sender import Outcome
from reach.providers import WeCom, sms_provider
from settings import Settings, settings

TZ = ZoneInfo(settings.timezone)


@dataclass(frozen=True)
class Contact:
    """How one person can be reached now."""

    user: int
    order: list[str]  # their channels, in the order to try them
    devices: list[int] = field(default_factory=list)  # push subscriptions
    wecom_user: str = ""
    mobile: str | None = None


class Channel(Protocol):
    name: rules.Channel

    def configured(self) -> bool: ...

    def address(self, contact: Contact) -> str | None:
        """Where this channel reaches the person, or None."""

    async def queue(self, notice: dict[str, Any], contact: Contact, now: datetime) -> None:
        """Queue the notice (a reach_notice row) for sending, in the caller's transaction."""


class OutboxChannel(Channel, Protocol):
    # Whether a message the provider may already have taken can be sent again without reaching
    # the person twice. If not, a send whose outcome is unknown is never repeated.
    resend_safe: bool

    async def send(
        self, session: aiohttp.ClientSession, address: str, notice: dict[str, Any]
    ) -> Outcome: ...


class WebPush:
    name = rules.Channel.webpush

    def configured(self) -> bool:
        return True  # the VAPID key is the server's own

    def address(self, contact: Contact) -> str | None:
        return "devices" if contact.devices else None

    async def queue(self, notice: dict[str, Any], contact: Contact, now: datetime) -> None:
        await PushOutbox.insert(
            *[
                PushOutbox(
                    subscription=device,
                    notice=notice["notice"],
                    params=notice["params"],
                    work_order=notice["work_order"],
                    topic=notice["topic"],
                    urgency=notice["urgency"],
                    ttl_seconds=notice["ttl_seconds"],
                    created_at=now,
                    next_attempt_at=now,
                    reach_notice=notice["id"],
                )
                for device in contact.devices
            ]
        )


async def _queue_outbox(name: str, notice: dict[str, Any], address: str, now: datetime) -> None:
    await ReachOutbox.insert(
        ReachOutbox(
            notice=notice["id"], channel=name, address=address, created_at=now, next_attempt_at=now
        )
    )


class WeComChannel:
    name = rules.Channel.wecom
    resend_safe = True  # WeCom drops a message identical to one of the last 4 hours

    def __init__(self, config: Settings) -> None:
        self.client = WeCom(config)

    def configured(self) -> bool:
        return self.client.configured()

    def address(self, contact: Contact) -> str | None:
        return contact.wecom_user or None

    async def queue(self, notice: dict[str, Any], contact: Contact, now: datetime) -> None:
        await _queue_outbox(self.name, notice, contact.wecom_user, now)

    async def send(
        self, session: aiohttp.ClientSession, address: str, notice: dict[str, Any]
    ) -> Outcome:
        text = rules.wecom_text(NoticeType(notice["notice"]), notice["params"], "zh-CN", TZ)
        return await self.client.send(session, address, text)


class SmsChannel:
    name = rules.Channel.sms
    resend_safe = False  # no provider takes an idempotency key

    def __init__(self, config: Settings) -> None:
        self.provider = sms_provider(config)

    def configured(self) -> bool:
        return self.provider is not None

    def address(self, contact: Contact) -> str | None:
        return contact.mobile

    async def queue(self, notice: dict[str, Any], contact: Contact, now: datetime) -> None:
        await _queue_outbox(self.name, notice, contact.mobile or "", now)

    async def send(
        self, session: aiohttp.ClientSession, address: str, notice: dict[str, Any]
    ) -> Outcome:
        assert self.provider is not None, "only a configured channel has rows to send"
        parameters = rules.sms_parameters(NoticeType(notice["notice"]), notice["params"], TZ)
        return await self.provider.send(session, address, parameters)


def channels(config: Settings | None = None) -> dict[str, Channel]:
    """Every channel, configured or not, by name (built from settings when called: tests and the
    benchmark point them at fake services)."""
    config = config or settings
    return {c.name.value: c for c in (WebPush(), WeComChannel(config), SmsChannel(config))}


def usable(all_channels: dict[str, Channel], contact: Contact) -> list[str]:
    return [
        name
        for name, c in all_channels.items()
        if c.configured() and c.address(contact) is not None
    ]


async def contacts(users: Iterable[int]) -> dict[int, Contact]:
    """How each of these (active) users can be reached: three small queries for any number."""
    ids = list(set(users))
    if not ids:
        return {}
    people = await StaffUser.select(StaffUser.id, StaffUser.phone).where(
        StaffUser.id.is_in(ids) & StaffUser.active.eq(True)
    )
    preferences = {
        p["user"]: p
        for p in await ReachPreference.select()
        .where(ReachPreference.user.is_in(ids))
        .output(load_json=True)
    }
    devices: dict[int, list[int]] = {}
    for s in await PushSubscription.select(PushSubscription.id, PushSubscription.user).where(
        PushSubscription.user.is_in(ids)
    ):
        devices.setdefault(s["user"], []).append(s["id"])
    out = {}
    for person in people:
        mine = preferences.get(person["id"], {})
        out[person["id"]] = Contact(
            user=person["id"],
            order=rules.channel_order(mine.get("channels"), settings.reach_channels),
            devices=devices.get(person["id"], []),
            wecom_user=mine.get("wecom_user", ""),
            mobile=rules.mobile_number(person["phone"]),
        )
    return out
