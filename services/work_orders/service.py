"""Work orders: every change is an event appended to the order's history, and the order row
(the current state and its clock summary) is written in the same transaction."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import msgspec
from piccolo.query import OrderByRaw
from piccolo.query.methods.select import Select

import servertime
from db import changes as sync_changes
from db.direct import insert_many, update_one
from db.engine import is_lock_conflict, is_unique_violation, locked, write_transaction
from db.tables import (
    ClockPolicy,
    Community,
    Customer,
    Material,
    Road,
    StaffUser,
    Team,
    WorkOrder,
    WorkOrderEvent,
)
from domain import callbacks as callback_rules
from domain import closure as closure_rules
from domain import payloads
from domain import priority as priority_rules
from domain.calendar import exceptions_of
from domain.clocks import (
    Clock,
    ClockState,
    EventFact,
    Limit,
    PolicyLookup,
    PolicyRow,
    compute_clocks,
    effective_time,
    policy_lookup,
    summarise,
)
from domain.errors import Conflict, Invalid, NotFound
from domain.lifecycle import HANDLERS, Action, ReadScope, allowed_actions, read_scope, transition
from domain.routing import route_issues
from domain.vocabulary import DISPATCH_ROLES, HalfDay, Outcome, Role, State
from events import publisher as live_events
from push import outbox as push_outbox
from services.auth.schemas import Caller
from services.calls import records as calls
from services.evidence import records as evidence
from services.outages import records as outages
from services.policies.calendar import calendar_days
from services.routing.service import contractor_kinds
from services.work_orders import schemas as s
from settings import settings

TZ = ZoneInfo(settings.timezone)
T = TypeVar("T")
MAX_ATTEMPTS = 4
HALF_DAY_START = {HalfDay.am: time(9), HalfDay.pm: time(14)}


# ---- policy and calendar -------------------------------------------------------------------


async def load_policy() -> PolicyLookup:
    rows = await ClockPolicy.select()
    return policy_lookup(
        [
            PolicyRow(
                r["clock"],
                r["kind"],
                r["priority"],
                Limit(r["minutes"], r["working_days"], r["at_risk_percent"]),
                r["effective_from"],
            )
            for r in rows
        ]
    )


async def load_calendar() -> dict:
    """The official calendar with the supervisors' entries on top (domain.calendar)."""
    return exceptions_of(await calendar_days())


@dataclass(frozen=True)
class TimeRules:
    """The clock policy and business calendar in force, loaded once per request or sync batch."""

    policy: PolicyLookup
    calendar: dict


async def load_time_rules() -> TimeRules:
    return TimeRules(await load_policy(), await load_calendar())


# ---- reading --------------------------------------------------------------------------------

ORDER_COLUMNS = (
    *WorkOrder.all_columns(),
    WorkOrder.customer.name.as_alias("customer_name"),
    WorkOrder.customer.tier.as_alias("customer_tier"),
    WorkOrder.customer.network.as_alias("customer_network"),
    WorkOrder.area.name.as_alias("area_name"),
    WorkOrder.assignee.display_name.as_alias("assignee_name"),
)


def scope_of(caller: Caller) -> ReadScope:
    return read_scope(Role(caller.role), caller.id, caller.team_id)


def can_read(caller: Caller, order: dict) -> bool:
    return scope_of(caller).covers(order["assignee"], order["team"])


async def _order_for(caller: Caller, order_id: int) -> dict:
    order = (
        await WorkOrder.select(*ORDER_COLUMNS)
        .where(WorkOrder.id == order_id)
        .output(load_json=True)
        .first()
    )
    if order is None or not can_read(caller, order):
        raise NotFound("order.not_found", id=order_id)
    return order


async def history(order_id: int) -> list[dict]:
    """The order's events, oldest first, with the actor's name."""
    return (await histories([order_id]))[order_id]


# What the clocks need of an event: queues and reports read only these, for many orders at once.
CLOCK_COLUMNS = (
    WorkOrderEvent.seq,
    WorkOrderEvent.action,
    WorkOrderEvent.actor,
    WorkOrderEvent.effective_time,
    WorkOrderEvent.payload,
)


async def histories(
    order_ids: Select | list[int], *, clocks_only: bool = False
) -> dict[int, list[dict]]:
    """`history` of many orders in one query (`order_ids`: ids, each answered even without
    events, or a sub-select of them), oldest event first; `clocks_only`: only what the clocks
    need (CLOCK_COLUMNS), for queues and reports."""
    if isinstance(order_ids, list) and not order_ids:
        return {}
    columns = (
        CLOCK_COLUMNS
        if clocks_only
        else WorkOrderEvent.all_columns(exclude=[WorkOrderEvent.work_order])
    )
    rows = await (
        WorkOrderEvent.select(
            WorkOrderEvent.work_order,
            *columns,
            WorkOrderEvent.actor.display_name.as_alias("actor_name"),
        )
        .where(WorkOrderEvent.work_order.is_in(order_ids))
        .order_by(WorkOrderEvent.work_order)
        .order_by(WorkOrderEvent.seq)
        .output(load_json=True)
    )
    by_order: dict[int, list[dict]] = (
        {order_id: [] for order_id in order_ids} if isinstance(order_ids, list) else {}
    )
    for row in rows:
        # Decoded here, once: everything after reads the payload's attributes.
        row["payload"] = payloads.read(row["action"], row["payload"])
        by_order.setdefault(row.pop("work_order"), []).append(row)
    return by_order


def facts(events: list[dict]) -> list[EventFact]:
    return [EventFact(e["seq"], e["action"], e["effective_time"], e["payload"]) for e in events]


def clock_class(events: list[dict]) -> str:
    return events[0]["payload"].clock_class


def clocks_of(kind: str, events: list[dict], rules: TimeRules, now: datetime) -> list[Clock]:
    return compute_clocks(
        facts(events), kind, clock_class(events), rules.policy, now, rules.calendar, TZ
    )


def _since_reopen(events: list[dict]) -> list[dict]:
    last = max((i for i, e in enumerate(events) if e["action"] == Action.reopen), default=-1)
    return events[last + 1 :]


def _ref(id_: int | None, name: str | None) -> s.Ref | None:
    return s.Ref(id=id_, name=name or "") if id_ is not None else None


def summary_flags(order: dict, now: datetime) -> tuple[bool, bool]:
    """(at_risk, breached) from the order row's clock summary."""
    due, risk = order["clock_next_due"], order["clock_next_risk"]
    breached = order["clock_breached"] > 0 or (due is not None and due <= now)
    at_risk = risk is not None and risk <= now and due is not None and due > now
    return at_risk, breached


def _summary(order: dict, now: datetime) -> s.OrderSummary:
    at_risk, breached = summary_flags(order, now)
    return s.OrderSummary(**_summary_fields(order, at_risk, breached))


def _summary_fields(order: dict, at_risk: bool, breached: bool) -> dict[str, Any]:
    return dict(
        id=order["id"],
        code=order["code"],
        kind=order["kind"],
        source=order["source"],
        state=order["state"],
        priority=order["priority"],
        urge_count=order["urge_count"],
        remark_flagged=order["remark_flagged"],
        customer_name=order["customer_name"],
        customer_tier=order["customer_tier"],
        key_customer=priority_rules.key_customer(order["customer_tier"], order["kind"]),
        dedicated_line=priority_rules.dedicated_line(order["customer_tier"], order["kind"]),
        area=s.Ref(id=order["area"], name=order["area_name"]),
        assignee=_ref(order["assignee"], order["assignee_name"]),
        created_at=order["created_at"],
        appointment_at=order["appointment_at"],
        next_due=order["clock_next_due"],
        at_risk=at_risk,
        breached=breached,
    )


def _clock_out(clock: Clock) -> s.ClockOut:
    return s.ClockOut(
        name=clock.name,
        state=clock.state,
        at_risk=clock.at_risk,
        started_at=clock.started_at,
        due=clock.due,
        stopped_at=clock.stopped_at,
        stopped_by_seq=clock.stopped_by,
        stopped_by_action=clock.stopped_by_action,
        started_by_seq=clock.started_by,
    )


def _event_out(e: dict) -> s.EventOut:
    return s.EventOut(
        seq=e["seq"],
        action=e["action"],
        actor=_ref(e["actor"], e["actor_name"]),
        actor_role=e["actor_role"],
        payload=payloads.stored(e["payload"]),
        server_time=e["server_time"],
        device_time=e["device_time"],
        effective_time=e["effective_time"],
        time_flag=e["time_flag"],
        state_before=e["state_before"],
        state_after=e["state_after"],
    )


def awaiting_append(order: dict, events: list[dict]) -> bool:
    """Closed by appointment or phone guidance and not yet followed by an information append."""
    if order["state"] != State.closed or not order["closure"]:
        return False
    closes = [i for i, e in enumerate(events) if e["action"] == Action.close]
    if not closes or not order["closure"].get("expects_append"):
        return False
    return not any(e["action"] == Action.append for e in events[closes[-1] + 1 :])


async def detail(caller: Caller, order_id: int) -> s.OrderDetail:
    order = await _order_for(caller, order_id)
    return await _detail(caller, order)


async def documents(caller: Caller, orders: list[dict]) -> list[s.OrderDetail]:
    """Order details for a device's pull: the time rules and everything the orders refer to
    read once for the whole page, a few queries whatever its size."""
    if not orders:
        return []
    rules = await load_time_rules()
    related = await _related(orders)
    return [_document(caller, order, rules, related) for order in orders]


async def _detail(caller: Caller, order: dict, rules: TimeRules | None = None) -> s.OrderDetail:
    related = await _related([order])
    return _document(caller, order, rules or await load_time_rules(), related)


@dataclass(frozen=True)
class _Related:
    """What order documents refer to, by id: histories, customers, places, teams, owners, the
    evidence summary (photos, signature) and the calls of each order."""

    events: dict[int, list[dict]]
    customers: dict[int, dict]
    names: dict[str, dict[int, str]]  # community / road / team / owner -> id -> name
    evidence: dict[int, Any]
    outages: dict[int, Any]  # the outage an order is grouped under (services.outages.records)
    calls: dict[int, list[Any]]  # services.calls.records


async def _related(orders: list[dict]) -> _Related:
    ids = [o["id"] for o in orders]
    events = await histories(ids)

    def wanted(key: str) -> list[int]:
        return sorted({o[key] for o in orders if o[key] is not None})

    async def named(table: type, column: Any, key: str) -> dict[int, str]:
        keys = wanted(key)
        rows = (
            await table.select(table.id, column.as_alias("name")).where(table.id.is_in(keys))
            if keys
            else []
        )
        return {r["id"]: r["name"] for r in rows}

    customers = {
        c["id"]: c for c in await Customer.select().where(Customer.id.is_in(wanted("customer")))
    }
    names = {
        "community": await named(Community, Community.name, "community"),
        "road": await named(Road, Road.name, "road"),
        "team": await named(Team, Team.name, "team"),
        "first_contact_owner": await named(
            StaffUser, StaffUser.display_name, "first_contact_owner"
        ),
    }
    photos = await evidence.photos_of(ids)
    records = {
        o["id"]: await evidence.evidence_summary(o, _since_reopen(events[o["id"]]), photos[o["id"]])
        for o in orders
    }
    return _Related(
        events,
        customers,
        names,
        records,
        await outages.outages_of_orders(ids),
        await calls.calls_of(orders),
    )


def _document(caller: Caller, order: dict, rules: TimeRules, related: _Related) -> s.OrderDetail:
    now = servertime.now()
    events = related.events[order["id"]]
    clocks = clocks_of(order["kind"], events, rules, now)
    customer = related.customers[order["customer"]]

    def named(key: str) -> s.Ref | None:
        return _ref(order[key], related.names[key].get(order[key]))

    at_risk = any(c.at_risk for c in clocks)
    breached = any(c.state == ClockState.breached for c in clocks)
    return s.OrderDetail(
        **_summary_fields(order, at_risk, breached),
        customer=s.CustomerView(
            id=customer["id"],
            account_no=customer["account_no"],
            name=customer["name"],
            phone=customer["phone"],
            tier=customer["tier"],
            network=customer["network"],
        ),
        community=named("community"),
        road=named("road"),
        address=order["address"],
        contact_name=order["contact_name"],
        contact_phone=order["contact_phone"],
        description=order["description"],
        agent_remark=order["agent_remark"],
        team=named("team"),
        first_contact_owner=named("first_contact_owner"),
        closure=order["closure"],
        closed_at=order["closed_at"],
        awaiting_append=awaiting_append(order, events),
        version=order["version"],
        evidence=related.evidence[order["id"]],
        outage=related.outages.get(order["id"]),
        clocks=[_clock_out(c) for c in clocks],
        history=[_event_out(e) for e in events],
        calls=related.calls[order["id"]],
        allowed_actions=[
            a.value
            for a in allowed_actions(
                State(order["state"]), Role(caller.role), order["assignee"] == caller.id
            )
        ],
    )


@dataclass(frozen=True)
class Filters:
    state: list[str] | None = None
    kind: str | None = None
    area_id: int | None = None
    assignee_id: int | None = None
    clock: str | None = None  # at_risk | breached
    priority: str | None = None
    q: str | None = None
    limit: int = 50
    offset: int = 0


async def list_orders(caller: Caller, f: Filters) -> s.OrderPage:
    now = servertime.now()
    where = []
    scope = scope_of(caller)
    if scope.holder is not None:  # the SQL of ReadScope.covers
        held = WorkOrder.assignee == scope.holder
        where.append(held | (WorkOrder.team == scope.team) if scope.team is not None else held)
    if f.state:
        where.append(WorkOrder.state.is_in(f.state))
    if f.kind:
        where.append(WorkOrder.kind == f.kind)
    if f.area_id:
        where.append(WorkOrder.area == f.area_id)
    if f.assignee_id:
        where.append(WorkOrder.assignee == f.assignee_id)
    if f.priority:
        where.append(WorkOrder.priority == f.priority)
    if f.clock == "breached":
        where.append((WorkOrder.clock_breached > 0) | (WorkOrder.clock_next_due <= now))
    elif f.clock == "at_risk":
        where.append((WorkOrder.clock_next_risk <= now) & (WorkOrder.clock_next_due > now))
    if f.q:
        pattern = f"%{f.q}%"
        where.append(
            WorkOrder.code.like(pattern)
            | WorkOrder.contact_phone.like(pattern)
            | WorkOrder.customer.name.like(pattern)
        )
    query = WorkOrder.select(*ORDER_COLUMNS)
    count = WorkOrder.count()
    for condition in where:
        query = query.where(condition)
        count = count.where(condition)
    rows = await (
        query.order_by(OrderByRaw("clock_next_due IS NULL"), WorkOrder.clock_next_due)
        .order_by(WorkOrder.id, ascending=False)
        .limit(f.limit)
        .offset(f.offset)
    )
    total = await count
    return s.OrderPage(
        items=[_summary(r, now) for r in rows], total=total, limit=f.limit, offset=f.offset
    )


# ---- writing --------------------------------------------------------------------------------


@dataclass
class Change:
    """What an action does besides appending its event: fields of the order row, and facts to
    record in the event's payload beyond the request body."""

    fields: dict[str, Any]
    extras: payloads.Extras | None = None
    # Columns the order row reads through joins (ORDER_COLUMNS) that the new fields change:
    # the answer must name the new holder, not the one the row was read with.
    joined: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Context:
    caller: Caller
    order: dict
    events: list[dict]
    body: Any
    at: datetime  # effective time of the action
    now: datetime
    work: Workset


Effect = Callable[[Context], Awaitable[Change]]


async def _assignee(
    caller: Caller, order: dict, body: s.Dispatch, extras: type[payloads.Assigned], **more: Any
) -> Change:
    user = (
        await StaffUser.select(
            StaffUser.id,
            StaffUser.display_name,
            StaffUser.role,
            StaffUser.active,
            StaffUser.team.id.as_alias("team_id"),
            StaffUser.team.function.as_alias("team_function"),
            StaffUser.team.network.as_alias("team_network"),
            StaffUser.team.name.as_alias("team_name"),
            StaffUser.team.employer.as_alias("team_employer"),
        )
        .where(StaffUser.id == body.assignee_id)
        .first()
    )
    if user is None or not user["active"]:
        raise Invalid("order.assignee_not_found", id=body.assignee_id)
    if Role(user["role"]) not in HANDLERS:
        raise Invalid("order.assignee_role", name=user["display_name"])
    issues = route_issues(
        order["kind"],
        order["customer_network"],
        user["team_function"],
        user["team_network"],
        user["team_employer"],
        await contractor_kinds(order["area"]),
    )
    overridden = bool(
        issues and body.override_reason and caller.role in (Role.supervisor, Role.admin)
    )
    if issues and not overridden:
        raise Invalid(issues[0].key, issues, **issues[0].params)
    return Change(
        fields={"assignee": user["id"], "team": user["team_id"]},
        extras=extras(
            assignee_name=user["display_name"],
            team_id=user["team_id"],
            team_name=user["team_name"],
            routing_overridden=overridden,
            **more,
        ),
        joined={"assignee_name": user["display_name"]},
    )


async def _dispatch(ctx: Context) -> Change:
    # 二次调度: a dispatch after the order came back from the field (§2.1.3 A d).
    again = any(e["action"] == Action.dispatch for e in ctx.events)
    return await _assignee(
        ctx.caller, ctx.order, ctx.body, payloads.Dispatched, second_dispatch=again
    )


async def _transfer(ctx: Context) -> Change:
    return await _assignee(
        ctx.caller,
        ctx.order,
        ctx.body,
        payloads.Transferred,
        from_assignee_id=ctx.order["assignee"],
    )


async def _unassign(ctx: Context) -> Change:
    return Change(
        {"assignee": None, "team": None},
        payloads.Unassigned(from_assignee_id=ctx.order["assignee"]),
        {"assignee_name": None},
    )


async def _nothing(ctx: Context) -> Change:
    return Change({})


async def _urge(ctx: Context) -> Change:
    urges = ctx.order["urge_count"] + 1
    return Change(
        {
            "urge_count": urges,
            "priority": priority_rules.priority(
                clock_class(ctx.events), urges, ctx.order["remark_flagged"]
            ),
        },
        payloads.Urged(urge_count=urges),
    )


async def _flag_remark(ctx: Context) -> Change:
    return Change(
        {
            "agent_remark": ctx.body.remark,
            "remark_flagged": True,
            "priority": priority_rules.priority(
                clock_class(ctx.events), ctx.order["urge_count"], True
            ),
        },
        payloads.Flagged(flagged=True),
    )


async def _close(ctx: Context) -> Change:
    body: s.Close = ctx.body
    form = body
    current = _since_reopen(ctx.events)
    facts = closure_rules.OrderFacts(
        kind=ctx.order["kind"],
        tier=ctx.order["customer_tier"],
        # Signed, and the service record unchanged since (an append, work or a photo added
        # after signing needs a new signature).
        signed=(
            bound := await evidence.binding(
                ctx.order, current, await ctx.work.photos(ctx.order["id"])
            )
        ).holds,
        signature_changed=bound.signed and not bound.holds,
        waiver_approved=any(e["action"] == Action.approve_waiver for e in current),
    )
    catalogue = {m["code"] for m in await Material.select(Material.code)}
    issues = closure_rules.closure_issues(form, facts, catalogue, ctx.now, TZ)
    if issues:
        raise Invalid("closure.invalid", issues)
    closure = msgspec.to_builtins(body)
    closure.pop("device_time", None)
    closure["expects_append"] = closure_rules.expects_append(form)
    fields: dict[str, Any] = {"closed_at": ctx.at}
    if body.outcome == Outcome.appointment:
        closure["appointment_text"] = closure_rules.appointment_phrase(
            body.appointment_date, body.appointment_half_day
        )
        local = datetime.combine(
            body.appointment_date, HALF_DAY_START[body.appointment_half_day], tzinfo=TZ
        )
        fields["appointment_at"] = local.astimezone(UTC)
    fields["closure"] = closure
    return Change(fields)


async def _reopen(ctx: Context) -> Change:
    # Open again: once closed and past the expiry again, it leaves its next technician's scope too.
    return Change(
        {"closure": None, "closed_at": None, "assignee": None, "team": None, "left_scope_at": None},
        None,
        {"assignee_name": None},
    )


async def _callback(ctx: Context) -> Change:
    body: s.Callback = ctx.body
    issues = callback_rules.callback_issues(body.reached, body.satisfaction, body.remark)
    if issues:
        raise Invalid("callback.invalid", issues)
    return Change({})


async def _approve_waiver(ctx: Context) -> Change:
    requests = [e for e in _since_reopen(ctx.events) if e["action"] == Action.request_waiver]
    if not requests:
        raise Conflict("order.no_waiver_request")
    request = requests[-1]
    return Change(
        {}, payloads.WaiverApproved(request_seq=request["seq"], reason=request["payload"].reason)
    )


async def _sign(ctx: Context) -> Change:
    # The signature binds the SHA-256 of the service record as it stands now.
    photos = await ctx.work.photos(ctx.order["id"])
    return Change(
        {}, await evidence.signing_facts(ctx.order, _since_reopen(ctx.events), ctx.body, photos)
    )


@dataclass(frozen=True)
class Handling:
    """The API's part of a step (the rest is its spec, domain/lifecycle.py STEPS): the struct its
    request body decodes into and what it does to the order besides appending its event."""

    body: type[msgspec.Struct]  # s.Step, or s.Close (which extends the closure form)
    effect: Effect


# What each step does to the order; its body is the domain's (domain/payloads.py BODIES).
EFFECTS: dict[Action, Effect] = {
    Action.dispatch: _dispatch,
    Action.transfer: _transfer,
    Action.accept: _nothing,
    Action.reject: _unassign,
    Action.contact: _nothing,
    Action.start_travel: _nothing,
    Action.arrive: _nothing,
    Action.return_result: _nothing,
    Action.request_send_back: _nothing,
    Action.cannot_proceed: _nothing,
    Action.send_back: _unassign,
    Action.resubmit: _nothing,
    Action.cancel: _unassign,
    Action.close: _close,
    Action.reopen: _reopen,
    Action.append: _nothing,
    Action.urge: _urge,
    Action.flag_remark: _flag_remark,
    Action.note: _nothing,
    Action.record_work: _nothing,
    Action.sign: _sign,
    Action.request_waiver: _nothing,
    Action.approve_waiver: _approve_waiver,
    Action.callback: _callback,
}
STEP_HANDLING: dict[Action, Handling] = {
    action: Handling(payloads.BODIES[action], effect) for action, effect in EFFECTS.items()
}


def _follow_on(action: Action, body: Any) -> tuple[Action, s.Step] | None:
    """The step that follows from this one in the same transaction (lifecycle.FOLLOWS)."""
    if action == Action.callback and callback_rules.reopens(body.reached, body.satisfaction):
        return Action.reopen, s.Reason(reason=body.remark, device_time=body.device_time)
    return None


async def act(caller: Caller, order_id: int, action: Action, body: s.Step) -> s.OrderDetail:
    """Take one step on an order."""
    order = await retrying(lambda: apply_step(caller, order_id, action, body))
    return await _detail(caller, order)


async def retrying(write: Callable[[], Awaitable[T]]) -> T:
    """Run `write` in a write transaction, again when a concurrent writer took the same history
    slot (unique key), changed the order between our read and our write, or PostgreSQL aborted
    the transaction to break a deadlock."""
    for attempt in range(MAX_ATTEMPTS):
        try:
            async with write_transaction():
                return await write()
        except Exception as exc:
            if not is_race(exc):
                raise
            if attempt == MAX_ATTEMPTS - 1:
                raise Conflict("order.busy") from exc
    raise AssertionError("unreachable")


def is_race(exc: Exception) -> bool:
    """A concurrent writer took the same history slot (unique key), changed the order between
    our read and our write, or PostgreSQL aborted our transaction for a deadlock or a
    serialisation conflict: the whole transaction is worth running again."""
    return is_unique_violation(exc) or isinstance(exc, Raced) or is_lock_conflict(exc)


class Raced(Exception):
    """A row changed between our read and our write (an order; a tap a concurrent call report took)."""


class Workset:
    """The orders a run of steps works on, each read once (with its history) and locked until
    commit, and the steps' writes, kept until `flush`. Each step sees its orders as the steps
    before it left them. A device's push batch shares one across its mutations and flushes at
    the end; a single step has one of its own, flushed at once. A step is decided before it
    records anything, so a refused step leaves nothing to undo."""

    def __init__(self) -> None:
        self._orders: dict[int, dict | None] = {}
        self._events: dict[int, list[dict]] = {}
        self._stored: dict[int, int] = {}  # version in the database, for the optimistic check
        self._photos: dict[int, list[dict]] = {}
        self._new_events: list[dict] = []
        self._fields: dict[int, dict[str, Any]] = {}

    async def load(self, order_ids: list[int]) -> None:
        """Read (and lock, on PostgreSQL) the orders not read yet, in id order, and their histories.
        Locking first makes a concurrent step on one of them wait for our commit instead of
        racing us for the next history slot."""
        ids = sorted(set(order_ids) - set(self._orders))
        if not ids:
            return
        rows = await locked(
            WorkOrder.select(*ORDER_COLUMNS).where(WorkOrder.id.is_in(ids)).order_by(WorkOrder.id),
            WorkOrder,
        ).output(load_json=True)
        self._orders.update({order_id: None for order_id in ids})
        for row in rows:
            self._orders[row["id"]] = row
            self._stored[row["id"]] = row["version"]
        self._events.update(await histories([r["id"] for r in rows]))

    async def order_for(self, caller: Caller, order_id: int) -> dict:
        await self.load([order_id])
        order = self._orders[order_id]
        if order is None or not can_read(caller, order):
            raise NotFound("order.not_found", id=order_id)
        return order

    async def history(self, order_id: int) -> list[dict]:
        await self.load([order_id])
        return self._events.get(order_id, [])

    async def photos(self, order_id: int) -> list[dict]:
        """The order's photos as the service record lists them; read for every loaded order at
        the first asking (a batch signs many)."""
        if order_id not in self._photos:
            ids = [
                i
                for i, order in self._orders.items()
                if order is not None and i not in self._photos
            ]
            self._photos.update(await evidence.record_photos([*ids, order_id]))
        return self._photos[order_id]

    def forget(self) -> None:
        """After `flush`, before something that writes the database directly (a photo attached):
        read the orders again when next asked."""
        self._orders, self._events, self._photos = {}, {}, {}

    def record(
        self,
        order: dict,
        event: dict,
        fields: dict[str, Any],
        actor_name: str,
        joined: dict[str, Any] | None = None,
    ) -> dict:
        """A decided step: its event and the order's new fields (`joined`: the joined columns they
        change, kept but not written). Returns the order as it now stands."""
        order_id = event["work_order"]
        self._new_events.append(event)
        stored = {**event, "actor_name": actor_name}
        self._events[order_id] = [*self._events[order_id], stored]
        self._fields[order_id] = {**self._fields.get(order_id, {}), **fields}
        self._orders[order_id] = {**order, **fields, **(joined or {})}
        return self._orders[order_id]

    async def flush(self) -> None:
        """Write the recorded steps: the events in bulk, each changed order once."""
        events, changed = self._new_events, self._fields
        self._new_events, self._fields = [], {}
        await insert_many(WorkOrderEvent, [_row(e) for e in events])
        for order_id, fields in changed.items():
            if not await update_one(
                WorkOrder, fields, {"id": order_id, "version": self._stored[order_id]}
            ):
                raise Raced()
            self._stored[order_id] = fields["version"]


def _row(event: dict) -> dict:
    """An event as its table row: the payload as the JSON stored."""
    return {**event, "payload": payloads.stored(event["payload"])}


async def apply_step(
    caller: Caller,
    order_id: int,
    action: Action,
    body: s.Step,
    rules: TimeRules | None = None,
    *,
    after: Action | None = None,
    work: Workset | None = None,
) -> dict:
    """One step (and the step that follows from it), inside the caller's write transaction;
    returns the order row as written. `after`: the step this one follows from. With a `work`
    set the writes wait for its flush."""
    now = servertime.now()
    alone = work is None
    work = work or Workset()
    order = await work.order_for(caller, order_id)
    state = State(order["state"])
    next_state = transition(state, action, Role(caller.role), order["assignee"] == caller.id, after)
    events = await work.history(order_id)
    when = effective_time(
        body.device_time,
        now,
        order["created_at"],
        timedelta(seconds=settings.device_clock_tolerance_seconds),
    )
    ctx = Context(caller, order, events, body, when.effective, now, work)
    change = await STEP_HANDLING[action].effect(ctx)
    if order["first_contact_owner"] is None and Role(caller.role) in DISPATCH_ROLES:
        # 首问负责制 (§2.1): the first dispatcher to handle the order owns it to the end.
        change.fields["first_contact_owner"] = caller.id
    seq = order["version"] + 1
    if after is not None:
        change.extras = payloads.Followed(after=after)
    event = dict(
        work_order=order_id,
        seq=seq,
        action=action.value,
        actor=caller.id,
        actor_role=caller.role,
        payload=payloads.recorded(action, body, change.extras),
        server_time=now,
        device_time=body.device_time,
        effective_time=when.effective,
        time_flag=when.flag,
        state_before=state.value,
        state_after=next_state.value,
    )
    updated = {**order, **change.fields, "state": next_state.value}
    rules = rules or await load_time_rules()
    summary = summarise(clocks_of(updated["kind"], [*events, event], rules, now))
    fields = {
        **change.fields,
        "state": next_state.value,
        "version": seq,
        "updated_at": now,
        "clock_next_due": summary.next_due,
        "clock_next_risk": summary.next_risk,
        "clock_breached": summary.breached,
    }
    written = work.record(order, event, fields, caller.display_name, change.joined)
    if alone:
        await work.flush()
    await sync_changes.order_changed(order_id, order["assignee"], updated["assignee"])
    await push_outbox.enqueue_for_event(order, written, event, rules.policy)
    if action == Action.callback:
        await live_events.publish(live_events.CALLBACK, {"order_id": order_id})
    follow = _follow_on(action, body)
    if follow is not None:  # on the same working set, or (a step alone) written like this one
        return await apply_step(
            caller, order_id, *follow, rules, after=action, work=None if alone else work
        )
    return written


async def create_order(caller: Caller, data: s.CreateOrder) -> s.OrderDetail:
    now = servertime.now()
    customer = await Customer.select().where(Customer.id == data.customer_id).first()
    if customer is None:
        raise Invalid("order.unknown_customer", id=data.customer_id)
    community = data.community_id or customer["community"]
    road = data.road_id or customer["road"]
    if data.community_id and not await Community.exists().where(
        (Community.id == data.community_id) & (Community.area == customer["area"])
    ):
        raise Invalid("order.unknown_location", field="community", id=data.community_id)
    if data.road_id and not await Road.exists().where(
        (Road.id == data.road_id) & (Road.area == customer["area"])
    ):
        raise Invalid("order.unknown_location", field="road", id=data.road_id)
    order_class = priority_rules.clock_class(customer["tier"], data.kind, data.source)
    async with write_transaction():
        inserted = await WorkOrder.insert(
            WorkOrder(
                # A unique placeholder until the new id names the order (below).
                code=f"TMP-{secrets.token_hex(12)}",
                kind=data.kind.value,
                source=data.source.value,
                priority=priority_rules.priority(order_class, 0, data.remark_flagged).value,
                customer=customer["id"],
                area=customer["area"],
                community=community,
                road=road,
                address=data.address or customer["address"],
                contact_name=data.contact_name or customer["name"],
                contact_phone=data.contact_phone or customer["phone"],
                description=data.description,
                agent_remark=data.agent_remark,
                remark_flagged=data.remark_flagged,
                appointment_at=data.appointment_at,
                state=State.new.value,
                created_by=caller.id,
                created_at=now,
                updated_at=now,
                version=1,
            )
        )
        order_id = inserted[0]["id"]
        code = f"GD{now.astimezone(TZ):%Y%m%d}{order_id:06d}"
        payload = payloads.recorded(
            Action.create, data, payloads.Created(clock_class=order_class.value, code=code)
        )
        events = [
            dict(
                work_order=order_id,
                seq=1,
                action=Action.create.value,
                actor=caller.id,
                actor_role=caller.role,
                payload=payload,
                server_time=now,
                device_time=None,
                effective_time=now,
                time_flag="",
                state_before="",
                state_after=State.new.value,
            )
        ]
        if data.remark_flagged:
            # A flagged remark at creation starts the 10-minute contact clock at once (§2.1.3 A c).
            events.append(
                {
                    **events[0],
                    "seq": 2,
                    "action": Action.flag_remark.value,
                    "payload": payloads.recorded(
                        Action.flag_remark,
                        s.FlagRemark(remark=data.agent_remark),
                        payloads.Flagged(),
                    ),
                    "state_before": State.new.value,
                }
            )
        for event in events:
            await WorkOrderEvent.insert(WorkOrderEvent(**_row(event)))
        summary = summarise(
            compute_clocks(
                facts(events),
                data.kind,
                order_class,
                await load_policy(),
                now,
                await load_calendar(),
                TZ,
            )
        )
        await WorkOrder.update(
            {
                WorkOrder.code: code,
                WorkOrder.version: len(events),
                WorkOrder.clock_next_due: summary.next_due,
                WorkOrder.clock_next_risk: summary.next_risk,
            }
        ).where(WorkOrder.id == order_id)
        await sync_changes.order_changed(order_id)
        # The Nth similar repair order from one place within T minutes: a suspected outage, or
        # the order joins the open outage there (and the agent reads its explanation in the answer).
        await outages.on_order_created(order_id, now)
    return await detail(caller, order_id)


async def recompute_running_clocks() -> int:
    """After a calendar change: refresh the clock summary of every order with a running clock.
    (Policy changes need none: a clock keeps the limit in force when it started.)"""
    now = servertime.now()
    rules = await load_time_rules()
    orders = await WorkOrder.select(WorkOrder.id, WorkOrder.kind).where(
        WorkOrder.clock_next_due.is_not_null()
    )
    for order in orders:
        summary = summarise(clocks_of(order["kind"], await history(order["id"]), rules, now))
        await WorkOrder.update(
            {
                WorkOrder.clock_next_due: summary.next_due,
                WorkOrder.clock_next_risk: summary.next_risk,
                WorkOrder.clock_breached: summary.breached,
            }
        ).where(WorkOrder.id == order["id"])
    return len(orders)
