"""Calls to customers (§2.1.3 B): through the call centre's recorded system (a), outside the
customer's rest hours and, as a rule, no longer than 3 minutes (d).

A call is what the telephony system reports (its call id, caller, callee, start, answer, end, the
recording's reference), or an *attempt*: someone tapped "call" on the phone or in the console and
the telephony system has not (yet) reported a recorded call for it. The call policy is versioned
like the clock policies: the rest hours and the limit in force when a call started judge it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

# How long after a tap a reported call of the same person to the same number on the same order is
# taken to be that attempt's call (dialling, ringing, the telephony system's own delay).
ATTEMPT_MATCH_WINDOW = timedelta(minutes=10)
# The telephony system's clock may run a little ahead of ours.
ATTEMPT_CLOCK_SKEW = timedelta(minutes=1)


class Origin(StrEnum):
    attempt = "attempt"  # a tap on "call" (phone or console): not known to be recorded
    telephony = "telephony"  # reported by the call centre's system: recorded


class Direction(StrEnum):
    outbound = "outbound"  # to the customer
    inbound = "inbound"  # the customer called back


@dataclass(frozen=True)
class RestWindow:
    """Local times when customers are not called; `start` after `end` spans midnight."""

    start: time
    end: time

    def holds(self, local: time) -> bool:
        if self.start <= self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end


@dataclass(frozen=True)
class CallPolicy:
    max_minutes: int
    rest_hours: tuple[RestWindow, ...]
    effective_from: datetime | None = None  # None: the built-in default

    def resting(self, instant: datetime, tz: ZoneInfo) -> bool:
        local = instant.astimezone(tz).time()
        return any(w.holds(local) for w in self.rest_hours)


# The manual names no hours; these are the customary ones (lunch rest, night) until a supervisor sets others.
DEFAULT_CALL_POLICY = CallPolicy(
    max_minutes=3,
    rest_hours=(RestWindow(time(12, 0), time(14, 0)), RestWindow(time(21, 0), time(8, 0))),
)


def policy_at(versions: Sequence[CallPolicy], instant: datetime) -> CallPolicy:
    """The version in force at `instant` (versions in effective order; the default before them)."""
    current = DEFAULT_CALL_POLICY
    for v in versions:
        if v.effective_from is not None and v.effective_from <= instant:
            current = v
    return current


@dataclass(frozen=True)
class CallFacts:
    origin: str
    started_at: datetime
    answered_at: datetime | None
    ended_at: datetime | None
    recording_ref: str
    to_customer: bool  # outbound, to the order's contact number


@dataclass(frozen=True)
class Verdict:
    to_customer: bool
    ongoing: bool  # answered, not ended yet
    recorded: bool  # reported by the telephony system with a recording
    in_rest_hours: bool
    seconds: int | None  # talk time (answer to end); None while unanswered or still going
    within_limit: bool | None  # None: not answered, or still going


def judge(call: CallFacts, versions: Sequence[CallPolicy], tz: ZoneInfo) -> Verdict:
    policy = policy_at(versions, call.started_at)
    seconds = None
    if call.answered_at is not None and call.ended_at is not None:
        seconds = max(0, int((call.ended_at - call.answered_at).total_seconds()))
    return Verdict(
        to_customer=call.to_customer,
        ongoing=call.answered_at is not None and call.ended_at is None,
        recorded=call.origin == Origin.telephony and bool(call.recording_ref),
        in_rest_hours=call.to_customer and policy.resting(call.started_at, tz),
        seconds=seconds,
        within_limit=None if seconds is None else seconds <= policy.max_minutes * 60,
    )


def conflicting_fields(stored: dict, reported: dict) -> list[str]:
    """A repeated report of a call may fill in what was missing (the end, the recording) but not
    change what was already reported: the fields that would change."""
    return sorted(
        k for k, v in reported.items() if v not in (None, "") and stored.get(k) not in (None, "", v)
    )
