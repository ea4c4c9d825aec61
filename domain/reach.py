"""Reaching a technician (issue 18): the state of each notice, which channel to try next, when
to escalate and when to alert the dispatcher, and what a WeCom message or an SMS says.
Plain functions: no HTTP, no SQL.

A notice (assigned, urged, withdrawn) is *queued* when the step commits, *sent* once any channel
has handed it on, *delivered* when the phone has it (its next pull carries the order, or its
service worker reports the push), *seen* when the technician opened the job or took a step on it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from domain.messages import KIND_NAMES
from domain.notifications import NoticeType, local_time, render


class Channel(StrEnum):
    webpush = "webpush"
    wecom = "wecom"  # 企业微信 application message
    sms = "sms"  # a pre-approved template with parameters


class State(StrEnum):
    queued = "queued"
    sent = "sent"
    delivered = "delivered"
    seen = "seen"


# The notices whose receipt is tracked; clock warnings and outage notices stay plain pushes.
TRACKED = frozenset({NoticeType.assigned, NoticeType.urged, NoticeType.withdrawn})
# Of those, a dispatcher is alerted when these are not seen: a withdrawn order needs no action.
NEEDS_ACTION = frozenset({NoticeType.assigned, NoticeType.urged})


def state(
    sent_at: datetime | None, delivered_at: datetime | None, seen_at: datetime | None
) -> State:
    if seen_at is not None:
        return State.seen
    if delivered_at is not None:
        return State.delivered
    return State.sent if sent_at is not None else State.queued


# ---- the escalation policy ------------------------------------------------------------------

# The contact limit when the policy has none for the order (the manual's 30 minutes).
FALLBACK_CONTACT_MINUTES = 30


@dataclass(frozen=True)
class EscalationPolicy:
    """Not delivered after `deliver` of the contact limit → the next channel; not seen after
    `seen` of it → the dispatcher is alerted. Minutes, when set (> 0), replace the share."""

    deliver_percent: int = 33
    seen_percent: int = 67
    deliver_minutes: int = 0
    seen_minutes: int = 0


DEFAULT_ESCALATION = EscalationPolicy()


@dataclass(frozen=True)
class Deadlines:
    escalate_after: timedelta  # between channels, while not delivered
    alert_after: timedelta | None  # from queueing, while not seen; None: no alert


def deadlines(
    policy: EscalationPolicy, notice: NoticeType, contact_minutes: int | None
) -> Deadlines:
    """The notice's contact limit is the contact clock of its order (the urge-contact clock for an
    urge); the policy takes a share of it unless it names minutes."""
    limit = timedelta(minutes=contact_minutes or FALLBACK_CONTACT_MINUTES)

    def after(minutes: int, percent: int) -> timedelta:
        return (
            timedelta(minutes=minutes)
            if minutes > 0
            else max(timedelta(seconds=30), limit * percent / 100)
        )

    alert = after(policy.seen_minutes, policy.seen_percent) if notice in NEEDS_ACTION else None
    return Deadlines(after(policy.deliver_minutes, policy.deliver_percent), alert)


def next_channel(order: Sequence[str], tried: Iterable[str], usable: Iterable[str]) -> str | None:
    """The first channel of the user's order not yet tried that can reach them now."""
    done, can = set(tried), set(usable)
    return next((c for c in order if c not in done and c in can), None)


def channel_order(preference: Sequence[str] | None, default: Sequence[str]) -> list[str]:
    """A user's own order of channels, else the branch's; unknown names are ignored."""
    known = {c.value for c in Channel}
    return [c for c in (preference or default) if c in known]


MOBILE = re.compile(r"^\+?[0-9]{6,15}$")


def mobile_number(phone: str) -> str | None:
    """A staff phone as SMS providers take it (digits, leading + allowed), or None."""
    bare = re.sub(r"[\s\-()]", "", phone or "")
    return bare if MOBILE.match(bare) else None


# ---- what the other channels say ------------------------------------------------------------

ACTION_WORDS = {
    NoticeType.assigned: ("新派工单", "new order"),
    NoticeType.urged: ("催单", "chased"),
    NoticeType.withdrawn: ("工单改派", "reassigned"),
}
# Providers limit each template parameter's length (notice templates: a few dozen characters);
# an order code (16) must pass whole.
SMS_PARAM_CHARS = 20


def wecom_text(type_: NoticeType, params: Mapping[str, Any], lang: str, tz: ZoneInfo) -> str:
    """A WeCom text message: the push's title and body on two lines (WeCom allows 2048 bytes)."""
    title, body = render(type_, params, lang, tz)
    return f"{title}\n{body}"


def sms_parameters(type_: NoticeType, params: Mapping[str, Any], tz: ZoneInfo) -> dict[str, str]:
    """The template's parameters, in the template's order: action, code, kind, area, due. The
    approved template reads e.g. "【装维】${action}:${code} ${kind} ${area},时限${due}"."""

    def clip(text: str) -> str:
        return text[:SMS_PARAM_CHARS]

    kind = params.get("kind", "")
    return {
        "action": ACTION_WORDS[type_][0],
        "code": clip(str(params.get("code", ""))),
        "kind": clip(KIND_NAMES.get(kind, (kind,))[0]),
        "area": clip(str(params.get("area", ""))),
        "due": local_time(params.get("due"), "zh-CN", tz) if params.get("due") else "-",
    }
