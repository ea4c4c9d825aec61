"""The figures the operation lives by (domain.md, "Reports the operation lives by"), for a period
and an area, computed from the orders' histories. Pure: the caller loads every order with an
event in the period (with its whole history) and the clocks `compute_clocks` gives it.

What a figure counts is what *happened* in the period, at its effective time:
- a time limit (dispatch, contact, transfer, complaint reply, callback) counts the clocks that
  *started* in the period. Met / breached come from `domain.clocks`; a clock still running before
  its due time is *pending* and left out of the rate until it is decided;
- urges per order: the orders raised in the period, and every urge they received;
- closures (unresolved rate, category accuracy, appointments) count the close events of the period.
  The final outcome of a closure is that of the last information append that gives one before the
  order is reopened, else the closure's own; an appointment without an append counts as resolved
  (§2.1.5 B c);
- closure-category accuracy: the closure category is the one the kind's row of the manual's table
  names (`vocabulary.CLOSURE_CATEGORY_OF_KIND`); the close step enforces it today, so the figure
  watches data from elsewhere and any later change of the table;
- send-backs: the send-back events of the period, by reason;
- callback coverage: the services completed in the period (a callback clock started: a closure,
  or the append completing an appointment) that were called back — a callback that reached the
  customer, whenever it was made. A completion a reopen ended before any callback is left out (the
  service was not complete; its next closure counts). Valid complaints are complaint orders
  completed that way (not cancelled, not sent back: the order has no complaint / suggestion /
  praise subtype to tell them apart); their target is 100 %;
- satisfaction: the scores (1–5) given in the period, at callbacks that reached the customer and
  at signing;
- outages: those detected in the period (in the area chosen), however long they then took. An
  outage still without its notice, or published and not yet restored, is *pending* for the time it
  has not reached yet; one past its first estimated restoration and still not restored has already
  missed it;
- calls to customers (§2.1.3 B): the calls that started in the period (a telephony report, or a
  tap on "call" never matched to one), judged by the call policy in force when each started:
  talk time within the limit (3 minutes; over the answered calls that ended, those still going
  pending), outside the customer's rest hours (outbound calls to the order's contact), and made
  through the recorded system (a reported call with a recording; a bare tap is not);
- handover punctuality: the handovers scheduled in the period, branch-wide (a shift hands over the
  whole desk, not an area). On time: the incoming dispatcher signed by the scheduled time; one not
  signed yet is pending until that time and late after it. Late while an unpublished outage held
  it back (§1.2.4 A) is not the dispatchers' lateness: counted apart, outside the rate.

A figure group is one function of `ReportInput` returning its figures; GROUPS lists the groups in
the order they are shown. A new group is a function and a line in GROUPS; its extra data goes into
`ReportInput`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from functools import cached_property
from zoneinfo import ZoneInfo

from domain.callbacks import SCORES
from domain.calls import Verdict as CallVerdict
from domain.clocks import Clock, ClockName, ClockState, EventFact
from domain.errors import BadRequest
from domain.lifecycle import Action
from domain.outages import Status as OutageStatus
from domain.vocabulary import CLOSURE_CATEGORY_OF_KIND, SEND_BACK_REASONS, Kind, Outcome

A = Action
N = ClockName
MAX_PERIOD_DAYS = 366


@dataclass(frozen=True)
class Period:
    start: datetime  # inclusive
    end: datetime  # exclusive
    first_day: date
    last_day: date

    def holds(self, instant: datetime) -> bool:
        return self.start <= instant < self.end


def period(first_day: date, last_day: date, tz: ZoneInfo) -> Period:
    """The local days `first_day` to `last_day`, both included."""
    if first_day > last_day:
        raise BadRequest(
            "report.period_reversed", first=first_day.isoformat(), last=last_day.isoformat()
        )
    if (last_day - first_day).days + 1 > MAX_PERIOD_DAYS:
        raise BadRequest("report.period_too_long", max=MAX_PERIOD_DAYS)
    # In UTC, as the times compared with them are: far quicker to compare than across zones.
    start = datetime.combine(first_day, time(0), tzinfo=tz).astimezone(UTC)
    end = datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)
    return Period(start, end, first_day, last_day)


@dataclass(frozen=True)
class OrderHistory:
    id: int
    kind: str
    clock_class: str  # normal / high, fixed when the order was raised
    created_at: datetime
    events: Sequence[EventFact]  # in seq order
    clocks: Sequence[Clock]


@dataclass(frozen=True)
class OutageFacts:
    id: int
    status: str  # domain.outages.Status
    detected_at: datetime
    first_published_at: datetime | None  # the first fault notice
    first_estimate: datetime | None  # the restoration time customers were first told
    restored_at: datetime | None  # as the restoration notice states it


@dataclass(frozen=True)
class HandoverFacts:
    scheduled_at: datetime
    completed_at: datetime | None  # the incoming dispatcher signed
    held_back: bool  # an unpublished outage made it wait (§1.2.4 A)


@dataclass(frozen=True)
class NoticeFacts:
    """A tracked notice to a technician (reach/): assigned, urged or withdrawn."""

    created_at: datetime
    delivered_at: datetime | None
    alerted_at: datetime | None  # not seen within the escalation policy's limit
    superseded: bool  # a newer notice of the order to the same person replaced it


@dataclass(frozen=True)
class ReportInput:
    period: Period
    now: datetime
    orders: Sequence[OrderHistory]
    outages: Sequence[OutageFacts] = ()  # of the area chosen
    handovers: Sequence[HandoverFacts] = ()  # of the whole branch
    notices: Sequence[NoticeFacts] = ()  # of the area chosen
    calls: Sequence[CallVerdict] = ()  # started in the period (about orders of the area chosen)

    # Indexes over a month of a branch (~10k orders), built once for all the figures.
    @cached_property
    def clocks_started(self) -> dict[ClockName, list[tuple[OrderHistory, Clock]]]:
        """The clocks that started in the period, by name."""
        index: dict[ClockName, list[tuple[OrderHistory, Clock]]] = defaultdict(list)
        for o in self.orders:
            for c in o.clocks:
                if self.period.holds(c.started_at):
                    index[c.name].append((o, c))
        return index

    @cached_property
    def steps(self) -> dict[str, list[tuple[OrderHistory, int, EventFact]]]:
        """(order, index in its history, event) of the events in the period, by action."""
        index: dict[str, list[tuple[OrderHistory, int, EventFact]]] = defaultdict(list)
        for o in self.orders:
            for i, e in enumerate(o.events):
                if self.period.holds(e.effective_time):
                    index[e.action].append((o, i, e))
        return index


class Unit(StrEnum):
    rate = "rate"  # numerator / denominator, 0–1
    mean = "mean"  # numerator (a sum) / denominator (how many)
    minutes = "minutes"  # a mean duration: numerator (minutes summed) / denominator (how many)
    count = "count"  # numerator


@dataclass(frozen=True)
class Figure:
    key: str
    unit: Unit
    numerator: float
    denominator: int = 0
    pending: int = 0  # clocks (or outages, handovers) still running, not yet met or breached
    target: float | None = None
    breakdown: tuple[tuple[str, int], ...] = ()  # (label key, count), in display order

    @property
    def value(self) -> float | None:
        if self.unit == Unit.count:
            return self.numerator
        return self.numerator / self.denominator if self.denominator else None


@dataclass(frozen=True)
class Group:
    key: str
    figures: tuple[Figure, ...]


# ---- helpers ----------------------------------------------------------------------------------


def _clocks(
    data: ReportInput, names: Iterable[ClockName], of: Callable[[OrderHistory], bool] | None = None
) -> list[Clock]:
    """The clocks of these names started in the period (of the orders `of` accepts)."""
    return [
        c for name in names for o, c in data.clocks_started.get(name, []) if of is None or of(o)
    ]


def timeliness(key: str, clocks: Sequence[Clock], target: float | None = None) -> Figure:
    """Share of the decided clocks that were met."""
    met = sum(1 for c in clocks if c.state == ClockState.met)
    breached = sum(1 for c in clocks if c.state == ClockState.breached)
    return Figure(
        key, Unit.rate, met, met + breached, pending=len(clocks) - met - breached, target=target
    )


def _events(data: ReportInput, action: str) -> list[tuple[OrderHistory, int, EventFact]]:
    return data.steps.get(action, [])


def _scores(key: str, scores: Sequence[int]) -> Figure:
    counts = Counter(scores)
    return Figure(
        key,
        Unit.mean,
        sum(scores),
        len(scores),
        breakdown=tuple((str(s), counts[s]) for s in SCORES),
    )


def _minutes(delta: timedelta) -> float:
    return delta.total_seconds() / 60


def _duration(key: str, deltas: Sequence[timedelta], pending: int = 0) -> Figure:
    return Figure(key, Unit.minutes, sum(_minutes(d) for d in deltas), len(deltas), pending=pending)


def final_outcome(events: Sequence[EventFact], close_index: int) -> str:
    """The outcome a closure ends with (see the module's notes)."""
    outcome = events[close_index].said.outcome or Outcome.resolved
    for later in events[close_index + 1 :]:
        if later.action == A.reopen:
            break
        if later.action == A.append and later.said.final_outcome:
            outcome = later.said.final_outcome
    return Outcome.resolved if outcome == Outcome.appointment else outcome


def _appended(events: Sequence[EventFact], close_index: int) -> bool:
    for later in events[close_index + 1 :]:
        if later.action == A.reopen:
            return False
        if later.action == A.append:
            return True
    return False


# ---- the groups -------------------------------------------------------------------------------


def dispatch_figures(data: ReportInput) -> list[Figure]:
    def first(clock_class: str | None = None) -> list[Clock]:
        return _clocks(data, [N.dispatch], clock_class and (lambda o: o.clock_class == clock_class))

    return [
        timeliness("first_dispatch_on_time", first()),
        timeliness("first_dispatch_on_time_normal", first("normal")),
        timeliness("first_dispatch_on_time_high", first("high")),
        timeliness("transfer_on_time", _clocks(data, [N.transfer])),
    ]


def contact_figures(data: ReportInput) -> list[Figure]:
    raised = [o for o in data.orders if data.period.holds(o.created_at)]
    urges = sum(1 for o in raised for e in o.events if e.action == A.urge)
    return [
        timeliness("contact_on_time", _clocks(data, [N.contact, N.urge_contact])),
        timeliness("contact_on_time_priority", _clocks(data, [N.contact])),
        timeliness("contact_on_time_urged", _clocks(data, [N.urge_contact])),
        Figure("urges_per_order", Unit.mean, urges, len(raised)),
    ]


def closure_figures(data: ReportInput) -> list[Figure]:
    closes = _events(data, A.close)
    outcomes = [final_outcome(o.events, i) for o, i, _ in closes]
    categorised = sum(
        1
        for o, _, e in closes
        if e.said.closure_category == CLOSURE_CATEGORY_OF_KIND.get(Kind(o.kind))
    )
    appointments = [(o, i) for o, i, e in closes if e.said.outcome == Outcome.appointment]
    reasons = Counter(e.said.reason_code or "other" for _, _, e in _events(data, A.send_back))
    return [
        Figure("unresolved_rate", Unit.rate, outcomes.count(Outcome.unresolved), len(outcomes)),
        Figure("closure_category_accuracy", Unit.rate, categorised, len(closes), target=1.0),
        Figure(
            "appointments_without_append",
            Unit.rate,
            sum(1 for o, i in appointments if not _appended(o.events, i)),
            len(appointments),
        ),
        Figure(
            "send_backs",
            Unit.count,
            sum(reasons.values()),
            breakdown=tuple((r, reasons[r]) for r in SEND_BACK_REASONS),
        ),
    ]


def complaint_figures(data: ReportInput) -> list[Figure]:
    return [timeliness("complaint_reply_on_time", _clocks(data, [N.complaint_reply]))]


def _completions(
    data: ReportInput, of: Callable[[OrderHistory], bool] | None = None
) -> list[Clock]:
    """Callback clocks of the period, less those a reopen ended before any callback (that service
    was not complete after all; its next closure starts a new one)."""
    return [c for c in _clocks(data, [N.callback], of) if c.stopped_by_action != A.reopen]


def _coverage(key: str, completions: Sequence[Clock], target: float | None = None) -> Figure:
    # A callback clock is stopped only by a callback that reached the customer (or a reopen).
    covered = sum(1 for c in completions if c.stopped_by_action == A.callback)
    return Figure(key, Unit.rate, covered, len(completions), target=target)


def callback_figures(data: ReportInput) -> list[Figure]:
    completions = _completions(data)
    complaints = _completions(data, lambda o: o.kind == Kind.complaint)
    return [
        _coverage("callback_coverage", completions),
        timeliness("callback_on_time", completions),
        _coverage("complaint_callback_coverage", complaints, target=1.0),
    ]


def satisfaction_figures(data: ReportInput) -> list[Figure]:
    at_callback = [
        e.said.satisfaction
        for _, _, e in _events(data, A.callback)
        if e.said.reached and e.said.satisfaction is not None
    ]
    at_signing = [e.said.satisfaction for _, _, e in _events(data, A.sign) if e.said.satisfaction]
    return [
        _scores("satisfaction_callback", at_callback),
        _scores("satisfaction_signing", at_signing),
    ]


def outage_figures(data: ReportInput) -> list[Figure]:
    detected = [o for o in data.outages if data.period.holds(o.detected_at)]
    statuses = Counter(o.status for o in detected)
    published = [o for o in detected if o.first_published_at is not None]
    restored = [o for o in detected if o.restored_at is not None]
    estimated = [o for o in restored if o.first_estimate is not None]
    by_estimate = sum(o.restored_at <= o.first_estimate for o in estimated)
    # Published, not restored, with an estimate: past it, the estimate is missed already.
    awaited = [o for o in published if o.restored_at is None and o.first_estimate is not None]
    waiting = sum(data.now <= o.first_estimate for o in awaited)
    return [
        Figure(
            "outages",
            Unit.count,
            len(detected),
            breakdown=tuple((s.value, statuses[s]) for s in OutageStatus),
        ),
        _duration(
            "outage_minutes_to_publish",
            [o.first_published_at - o.detected_at for o in published],
            pending=statuses[OutageStatus.suspected] + statuses[OutageStatus.confirmed],
        ),
        _duration(
            "outage_minutes_to_restore",
            [o.restored_at - o.detected_at for o in restored],
            pending=statuses[OutageStatus.published],
        ),
        _duration(
            "outage_minutes_past_estimate",
            [o.restored_at - o.first_estimate for o in estimated],
            pending=len(awaited),
        ),
        Figure(
            "outage_restored_by_estimate",
            Unit.rate,
            by_estimate,
            len(estimated) + len(awaited) - waiting,
            pending=waiting,
        ),
    ]


def handover_figures(data: ReportInput) -> list[Figure]:
    scheduled = [h for h in data.handovers if data.period.holds(h.scheduled_at)]
    signed = [h for h in scheduled if h.completed_at is not None]
    on_time = sum(h.completed_at <= h.scheduled_at for h in signed)
    overdue = [h for h in scheduled if (h.completed_at or data.now) > h.scheduled_at]
    held_back = sum(h.held_back for h in overdue)
    return [
        Figure(
            "handover_on_time",
            Unit.rate,
            on_time,
            on_time + len(overdue) - held_back,
            pending=len(scheduled) - on_time - len(overdue),
        ),
        Figure("handovers_held_back", Unit.count, held_back),
        # Over the signed handovers, an early one counting as 0 (not as making up for a late one).
        _duration(
            "handover_minutes_late",
            [max(timedelta(0), h.completed_at - h.scheduled_at) for h in signed],
        ),
    ]


def reach_figures(data: ReportInput) -> list[Figure]:
    """Notices queued in the period: how many reached the phone and how fast; how many were not
    seen in time (the dispatchers were alerted). One neither delivered nor superseded is pending."""
    queued = [n for n in data.notices if data.period.holds(n.created_at)]
    delivered = [n for n in queued if n.delivered_at is not None]
    pending = sum(n.delivered_at is None and not n.superseded for n in queued)
    alerted = [
        n for n in data.notices if n.alerted_at is not None and data.period.holds(n.alerted_at)
    ]
    return [
        Figure("notices", Unit.count, len(queued)),
        Figure(
            "notices_delivered", Unit.rate, len(delivered), len(queued) - pending, pending=pending
        ),
        _duration(
            "notice_minutes_to_delivery",
            [n.delivered_at - n.created_at for n in delivered],
            pending=pending,
        ),
        Figure("notices_unseen_alerts", Unit.count, len(alerted)),
    ]


def call_figures(data: ReportInput) -> list[Figure]:
    talked = [c for c in data.calls if c.seconds is not None]
    to_customers = [c for c in data.calls if c.to_customer]
    return [
        Figure(
            "calls_within_limit",
            Unit.rate,
            sum(1 for c in talked if c.within_limit),
            len(talked),
            pending=sum(1 for c in data.calls if c.ongoing),
        ),
        Figure(
            "calls_outside_rest_hours",
            Unit.rate,
            sum(1 for c in to_customers if not c.in_rest_hours),
            len(to_customers),
            target=1.0,
        ),
        Figure(
            "calls_recorded",
            Unit.rate,
            sum(1 for c in data.calls if c.recorded),
            len(data.calls),
            target=1.0,
        ),
        _duration("call_minutes", [timedelta(seconds=c.seconds or 0) for c in talked]),
    ]


FigureGroup = Callable[[ReportInput], list[Figure]]

GROUPS: dict[str, FigureGroup] = {
    "dispatch": dispatch_figures,
    "contact": contact_figures,
    "closure": closure_figures,
    "complaint": complaint_figures,
    "callback": callback_figures,
    "satisfaction": satisfaction_figures,
    "outage": outage_figures,
    "handover": handover_figures,
    "reach": reach_figures,
    "calls": call_figures,
}
# Groups counted over the whole branch whatever area is chosen.
BRANCH_WIDE = frozenset({"handover"})


def orders_in_period(data: ReportInput) -> int:
    """Orders with a step in the period."""
    return sum(1 for o in data.orders if any(data.period.holds(e.effective_time) for e in o.events))


def report(data: ReportInput, groups: Sequence[str] | None = None) -> list[Group]:
    return [Group(key, tuple(GROUPS[key](data))) for key in (groups or GROUPS)]
