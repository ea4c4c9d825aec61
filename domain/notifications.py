"""Web push notifications (issue 6): which changes notify whom, how urgently, for how long, and
what the phone shows, in zh-CN and en. Plain functions: no HTTP, no SQL.

A push is a hint: the phone shows it and syncs. It names the order's code, kind, area and due
time, never the customer (customer data reaches a phone only through the order itself).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from domain.lifecycle import ASSIGNED, STEPS
from domain.messages import KIND_NAMES
from domain.vocabulary import OPEN_STATES, NoticeType, Priority

# A push service accepts 4 KB of encrypted payload; ours stays far below so that no text a user
# typed (an outage cause, an area name) can make a push fail.
MAX_PAYLOAD_BYTES = 2048
MAX_TITLE_CHARS = 60
MAX_BODY_CHARS = 200
MAX_FIELD_CHARS = 60  # each free-text part of an outage notice
# A clock warning is worthless once the clock has breached; it still lives long enough to arrive.
MIN_TTL_SECONDS = 60


class Urgency(StrEnum):
    """RFC 8030 §5.3: a phone saving battery delivers `normal` later than `high`."""

    normal = "normal"
    high = "high"


@dataclass(frozen=True)
class OrderView:
    """What a notification needs of an order."""

    id: int
    code: str
    kind: str
    area: str  # the area's name
    state: str
    assignee: int | None
    priority: str
    urge_count: int
    due: datetime | None  # the soonest due time of its running clocks


@dataclass(frozen=True)
class Notification:
    recipient: int  # staff user id
    type: NoticeType
    topic: str  # RFC 8030 Topic: a newer push with the same topic replaces an undelivered older one
    urgency: Urgency
    ttl_seconds: int
    params: dict[str, Any] = field(default_factory=dict)  # JSON-safe facts the texts are made from
    work_order: int | None = None


def order_topic(order_id: int) -> str:
    return f"wo-{order_id}"


def urgency(order: OrderView) -> Urgency:
    """High for VIP, dedicated-line, mayor-hotline and 110/119 orders (their priority), and for
    any order a customer has chased."""
    return (
        Urgency.high if order.priority == Priority.high or order.urge_count > 0 else Urgency.normal
    )


def _order_params(order: OrderView) -> dict[str, Any]:
    return {
        "code": order.code,
        "kind": order.kind,
        "area": order.area,
        "due": order.due.isoformat() if order.due else None,
        "urges": order.urge_count,
    }


def _about(order: OrderView, recipient: int, type_: NoticeType, ttl_seconds: int) -> Notification:
    return Notification(
        recipient,
        type_,
        order_topic(order.id),
        urgency(order),
        ttl_seconds,
        _order_params(order),
        order.id,
    )


def for_event(
    before: OrderView, after: OrderView, action: str, actor: int, ttl_seconds: int
) -> list[Notification]:
    """Who hears about one step on an order. Nobody is told of their own step."""
    notes = []
    if before.state in OPEN_STATES and before.assignee not in (None, after.assignee, actor):
        notes.append(_about(after, before.assignee, NoticeType.withdrawn, ttl_seconds))
    step = STEPS.get(action)
    if step is not None and step.notifies is not None and after.assignee not in (None, actor):
        notes.append(_about(after, after.assignee, step.notifies, ttl_seconds))
    return notes


def clock_warning(
    order: OrderView, at_risk_from: datetime | None, now: datetime, lead: timedelta
) -> Notification | None:
    """Warn the holder of an order whose soonest clock is about to breach: from the moment it
    turns at risk (the policy's at-risk share), and at the latest `lead` before it is due.
    Only while someone holds the order in the field or at a desk, and only before it is due."""
    if order.assignee is None or order.state not in ASSIGNED or order.due is None:
        return None
    warn_from = order.due - lead
    if at_risk_from is not None:
        warn_from = min(warn_from, at_risk_from)
    if not warn_from <= now < order.due:
        return None
    ttl = max(MIN_TTL_SECONDS, int((order.due - now).total_seconds()))
    return _about(order, order.assignee, NoticeType.clock_warning, ttl)


@dataclass(frozen=True)
class OutageNotice:
    """A fault notice (or its restoration) for one area, as the dispatcher published it (§2.3)."""

    id: int
    area: str
    location: str
    cause: str
    scope: str
    estimated_restoration: datetime | None
    restored_at: datetime | None = None


def outage_notifications(
    notice: OutageNotice, technicians: Iterable[int], ttl_seconds: int
) -> list[Notification]:
    """Every field technician of the area hears of a fault at once (a repair order there may be
    part of it); the restoration replaces the fault notice on their phones (same topic)."""
    restored = notice.restored_at is not None
    type_ = NoticeType.outage_restored if restored else NoticeType.outage
    params = {
        "area": notice.area,
        "location": notice.location,
        "cause": notice.cause,
        "scope": notice.scope,
        "eta": notice.estimated_restoration.isoformat() if notice.estimated_restoration else None,
        "restored": notice.restored_at.isoformat() if restored else None,
    }
    level = Urgency.normal if restored else Urgency.high
    return [
        Notification(t, type_, f"outage-{notice.id}", level, ttl_seconds, params)
        for t in technicians
    ]


# ---- what the phone shows -----------------------------------------------------------------

# Each type's ((zh-CN title, en title), (zh-CN body, en body)). {line} is the order line: code,
# kind, area and, where it matters, the due time.
TEXTS: dict[NoticeType, tuple[tuple[str, str], tuple[str, str]]] = {
    NoticeType.assigned: (("新派工单", "New order assigned"), ("{line}", "{line}")),
    NoticeType.withdrawn: (
        ("工单已调离", "Order reassigned away"),
        ("{line}:已不再由您处理。", "{line}: no longer yours."),
    ),
    NoticeType.urged: (
        ("催单(第{urges}次)", "Customer chased the order ({urges}×)"),
        ("{line}", "{line}"),
    ),
    NoticeType.clock_warning: (
        ("工单即将超时", "Order about to breach its time limit"),
        ("{line}", "{line}"),
    ),
    NoticeType.outage: (
        ("片区故障:{area}", "Area outage: {area}"),
        (
            "{location}:{cause}。影响范围:{scope}。预计恢复:{eta}。",
            "{location}: {cause}. Affected: {scope}. Expected back: {eta}.",
        ),
    ),
    NoticeType.outage_restored: (
        ("故障已恢复:{area}", "Outage over: {area}"),
        ("{location}:{cause},已于{restored}恢复。", "{location}: {cause}; restored {restored}."),
    ),
}
DUE = ("时限 {when}", "due {when}")
UNKNOWN_TIME = ("待定", "not yet known")
# Types whose order line names the due time (a withdrawn order's time limit is no longer yours).
WITH_DUE = frozenset({NoticeType.assigned, NoticeType.urged, NoticeType.clock_warning})


def _pick(pair: tuple[str, str], lang: str) -> str:
    return pair[0] if lang == "zh-CN" else pair[1]


def local_time(iso: str | None, lang: str, tz: ZoneInfo) -> str:
    """A time as a technician in the branch reads it: the date and the minute, local."""
    if not iso:
        return _pick(UNKNOWN_TIME, lang)
    at = datetime.fromisoformat(iso).astimezone(tz)
    return f"{at.month}月{at.day}日 {at:%H:%M}" if lang == "zh-CN" else f"{at.day} {at:%b %H:%M}"


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _order_line(type_: NoticeType, params: Mapping[str, Any], lang: str, tz: ZoneInfo) -> str:
    parts = [
        params["code"],
        _pick(KIND_NAMES.get(params["kind"], (params["kind"],) * 2), lang),
        params["area"],
    ]
    if type_ in WITH_DUE and params.get("due"):
        parts.append(_pick(DUE, lang).format(when=local_time(params["due"], lang, tz)))
    return " · ".join(parts)


def render(
    type_: NoticeType, params: Mapping[str, Any], lang: str, tz: ZoneInfo
) -> tuple[str, str]:
    """(title, body) in the subscriber's language."""
    values = {k: _clip(str(v), MAX_FIELD_CHARS) for k, v in params.items() if isinstance(v, str)}
    values["urges"] = params.get("urges", 0)
    for key in ("eta", "restored"):
        if key in params:
            values[key] = local_time(params[key], lang, tz)
    if "code" in params:
        values["line"] = _order_line(type_, params, lang, tz)
    title, body = (_pick(pair, lang).format(**values) for pair in TEXTS[type_])
    return _clip(title, MAX_TITLE_CHARS), _clip(body, MAX_BODY_CHARS)


def payload(
    type_: NoticeType,
    params: Mapping[str, Any],
    topic: str,
    work_order: int | None,
    lang: str,
    tz: ZoneInfo,
    notice: int | None = None,
) -> bytes:
    """What the service worker receives: it shows `title`/`body` (tag = topic, so a newer
    notification of the same order replaces the older one), then syncs; `order` opens the job;
    `notice` (a tracked notice's id) is what it reports as delivered."""
    title, body = render(type_, params, lang, tz)
    message = {
        "type": type_.value,
        "title": title,
        "body": body,
        "tag": topic,
        "order": work_order,
        "lang": lang,
        "notice": notice,
    }
    data = json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode()
    assert len(data) <= MAX_PAYLOAD_BYTES, (
        "texts are clipped, so a payload cannot outgrow its budget"
    )
    return data
