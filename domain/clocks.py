"""Time limits (§2.1.2–2.1.4 and the service rules), computed from an order's history.

`compute_clocks` is a pure function of the events, the policy and "now". Events are taken in the
order they happened on the ground (effective time: the device's time where the action was done
offline, clamped), so a late offline event recomputes every clock it touches.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from domain.calendar import end_of_working_days
from domain.lifecycle import STEPS, Action
from domain.payloads import Payload, typed
from domain.vocabulary import ClockName, Kind, Outcome

A = Action


class ClockState(StrEnum):
    running = "running"
    met = "met"
    breached = "breached"


@dataclass(frozen=True)
class Limit:
    minutes: int = 0
    working_days: int = 0
    at_risk_percent: int = 20


# The limit in force at an instant for (clock, kind, clock class); None: the clock does not apply.
PolicyLookup = Callable[[ClockName, str, str, datetime], Limit | None]


@dataclass(frozen=True)
class EventFact:
    """What the clocks need of one history event."""

    seq: int
    action: str
    effective_time: datetime
    payload: Payload | Mapping[str, object]  # as loaded, or as stored (JSON)
    said: Payload = field(init=False)  # the payload as its action's struct

    def __post_init__(self) -> None:
        object.__setattr__(self, "said", typed(self.action, self.payload))


@dataclass(frozen=True)
class Clock:
    name: ClockName
    started_at: datetime
    started_by: int  # seq of the event that started it
    due: datetime
    at_risk_at: datetime
    state: ClockState
    at_risk: bool
    stopped_at: datetime | None = None
    stopped_by: int | None = None  # seq of the event that stopped it
    stopped_by_action: str | None = None


# What stops each clock: the first such event at or after the clock started.
# What stops and what starts each clock, from the step spec (creation, which starts dispatch,
# contact and complaint_reply, is not a step: see _starts).
STOPPERS: dict[ClockName, frozenset[str]] = {
    name: frozenset(action for action, step in STEPS.items() if name in step.stops)
    for name in ClockName
}
STARTERS: dict[str, ClockName] = {
    action: step.starts for action, step in STEPS.items() if step.starts
}


def _ordered(events: Sequence[EventFact]) -> list[EventFact]:
    return sorted(events, key=lambda e: (e.effective_time, e.seq))


def _starts(event: EventFact, kind: str, appointment_open: bool) -> list[ClockName]:
    if event.action == A.create:
        names = [ClockName.dispatch, ClockName.contact]
        if kind == Kind.complaint:
            names.append(ClockName.complaint_reply)
        return names
    if event.action == A.flag_remark and not event.said.flagged:
        return []
    if event.action == A.close and event.said.outcome == Outcome.appointment:
        return []  # the service is not complete yet: the callback follows the later append
    if event.action == A.append and appointment_open:
        return [ClockName.callback]  # the append that completes an appointment (§2.1.5 B c)
    name = STARTERS.get(event.action)
    return [name] if name else []


def _stops(name: ClockName, event: EventFact) -> bool:
    if event.action not in STOPPERS[name]:
        return False
    # A callback attempt that did not reach the customer does not count as a callback.
    return not (event.action == A.callback and event.said.reached is False)


def compute_clocks(
    events: Sequence[EventFact],
    kind: str,
    clock_class: str,
    policy: PolicyLookup,
    now: datetime,
    calendar: Mapping[date, bool],
    tz: ZoneInfo,
) -> list[Clock]:
    ordered = _ordered(events)
    clocks: list[Clock] = []
    appointment_open = False  # closed by appointment, not yet completed by an append
    for index, event in enumerate(ordered):
        names = _starts(event, kind, appointment_open)
        if event.action == A.close:
            appointment_open = event.said.outcome == Outcome.appointment
        elif event.action in (A.append, A.reopen):
            appointment_open = False
        for name in names:
            limit = policy(name, kind, clock_class, event.effective_time)
            if limit is None:
                continue
            start = event.effective_time
            if limit.working_days:
                due = end_of_working_days(start, limit.working_days, calendar, tz)
            else:
                due = start + timedelta(minutes=limit.minutes)
            at_risk_at = due - (due - start) * limit.at_risk_percent / 100
            stop = next((later for later in ordered[index + 1 :] if _stops(name, later)), None)
            clocks.append(_clock(name, event, start, due, at_risk_at, stop, now))
    return clocks


def _clock(
    name: ClockName,
    started: EventFact,
    start: datetime,
    due: datetime,
    at_risk_at: datetime,
    stop: EventFact | None,
    now: datetime,
) -> Clock:
    if stop is not None:
        state = ClockState.met if stop.effective_time <= due else ClockState.breached
        return Clock(
            name,
            start,
            started.seq,
            due,
            at_risk_at,
            state,
            False,
            stop.effective_time,
            stop.seq,
            stop.action,
        )
    if now > due:
        return Clock(name, start, started.seq, due, at_risk_at, ClockState.breached, False)
    return Clock(name, start, started.seq, due, at_risk_at, ClockState.running, now >= at_risk_at)


@dataclass(frozen=True)
class ClockSummary:
    """What the order row keeps for list filters: the next due and at-risk times of the clocks
    still running, and how many clocks were stopped late."""

    next_due: datetime | None
    next_risk: datetime | None
    breached: int


def summarise(clocks: Sequence[Clock]) -> ClockSummary:
    open_clocks = [c for c in clocks if c.stopped_at is None]
    return ClockSummary(
        next_due=min((c.due for c in open_clocks), default=None),
        next_risk=min((c.at_risk_at for c in open_clocks), default=None),
        breached=sum(
            1 for c in clocks if c.stopped_at is not None and c.state == ClockState.breached
        ),
    )


@dataclass(frozen=True)
class DeviceTime:
    effective: datetime
    flag: str  # "" | "future" | "before_order"


def effective_time(
    device_time: datetime | None,
    server_time: datetime,
    order_created: datetime,
    tolerance: timedelta,
) -> DeviceTime:
    """The time an action counts as done: the device's, bounded by the server's receipt time
    (a device clock ahead of the server) and by the order's creation (a clock far behind)."""
    if device_time is None:
        return DeviceTime(server_time, "")
    if device_time > server_time + tolerance:
        return DeviceTime(server_time, "future")
    if device_time < order_created:
        return DeviceTime(order_created, "before_order")
    return DeviceTime(min(device_time, server_time), "")


@dataclass(frozen=True)
class PolicyRow:
    clock: str
    kind: str  # "*" = any kind
    priority: str  # "*" = any clock class
    limit: Limit
    effective_from: datetime | None = None  # None: since the beginning


# The defaults of the dispatch manual and the service rules; the clock_policy table holds the
# values in force and is seeded with these.
DEFAULT_POLICY: tuple[PolicyRow, ...] = (
    PolicyRow(ClockName.dispatch, "*", "normal", Limit(minutes=10)),
    PolicyRow(ClockName.dispatch, "*", "high", Limit(minutes=5)),
    PolicyRow(ClockName.redispatch, "*", "normal", Limit(minutes=10)),
    PolicyRow(ClockName.redispatch, "*", "high", Limit(minutes=5)),
    PolicyRow(ClockName.contact, "*", "high", Limit(minutes=30)),
    PolicyRow(ClockName.urge_contact, "*", "*", Limit(minutes=10)),
    PolicyRow(ClockName.transfer, "*", "*", Limit(minutes=30)),
    PolicyRow(ClockName.complaint_reply, "complaint", "*", Limit(minutes=120)),
    PolicyRow(ClockName.callback, "*", "*", Limit(working_days=2)),
)


def policy_lookup(rows: Sequence[PolicyRow]) -> PolicyLookup:
    """The most specific key with a version in force when the clock started wins: kind and
    class, then kind, then class, then any. (A clock older than every version takes the earliest
    version of the most specific key.) A version with neither minutes nor working days switches
    the clock off."""
    versions: dict[tuple[str, str, str], list[PolicyRow]] = {}
    for row in sorted(rows, key=lambda r: r.effective_from or datetime.min.replace(tzinfo=UTC)):
        versions.setdefault((row.clock, row.kind, row.priority), []).append(row)

    def enabled(limit: Limit) -> Limit | None:
        return limit if (limit.minutes or limit.working_days) else None

    def lookup(name: ClockName, kind: str, clock_class: str, at: datetime) -> Limit | None:
        keys = [
            k
            for k in (
                (name, kind, clock_class),
                (name, kind, "*"),
                (name, "*", clock_class),
                (name, "*", "*"),
            )
            if k in versions
        ]
        for key in keys:
            in_force = [
                r for r in versions[key] if r.effective_from is None or r.effective_from <= at
            ]
            if in_force:
                return enabled(in_force[-1].limit)
        return enabled(versions[keys[0]][0].limit) if keys else None

    return lookup
