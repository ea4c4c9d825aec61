"""Every table of the product. Schema changes go with a migration in migrations/.

Times are aware UTC (`Timestamptz`). Order history (`WorkOrderEvent`) and the audit trail
(`AuditEntry`) are append-only: database triggers refuse UPDATE and DELETE on them.
"""

from __future__ import annotations

from piccolo.columns import (
    JSON,
    BigInt,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    OnDelete,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class Area(Table, tablename="area"):
    """片区: the unit dispatch is organised by."""

    code = Varchar(length=16, unique=True)
    name = Varchar(length=64)


class Community(Table, tablename="community"):
    """小区."""

    area = ForeignKey(references=Area, null=False, on_delete=OnDelete.restrict)
    name = Varchar(length=64)


class Road(Table, tablename="road"):
    """路段."""

    area = ForeignKey(references=Area, null=False, on_delete=OnDelete.restrict)
    name = Varchar(length=64)


class Team(Table, tablename="team"):
    code = Varchar(length=32, unique=True)
    name = Varchar(length=64)
    function = Varchar(length=32)  # domain.routing.TeamFunction
    network = Varchar(
        length=16, null=True, default=None
    )  # one_way / two_way; None for office teams
    employer = Varchar(length=16, default="in_house")
    area = ForeignKey(references=Area, null=True, on_delete=OnDelete.restrict)


class StaffUser(Table, tablename="staff_user"):
    username = Varchar(length=64, unique=True)
    display_name = Varchar(length=64)
    role = Varchar(length=16)
    password_hash = Varchar(length=255)
    team = ForeignKey(references=Team, null=True, on_delete=OnDelete.restrict)
    area = ForeignKey(references=Area, null=True, on_delete=OnDelete.restrict)
    phone = Varchar(length=32, default="")
    active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())


class AuthToken(Table, tablename="auth_token"):
    """Bearer tokens; only their SHA-256 is stored, so a leaked table grants nothing."""

    token_hash = Varchar(length=64, unique=True)
    user = ForeignKey(references=StaffUser, null=False, on_delete=OnDelete.restrict)
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()
    revoked_at = Timestamptz(null=True, default=None)
    address = Varchar(length=64, default="")


class LoginAttempt(Table, tablename="login_attempt"):
    """Every login attempt: the rate limit counts recent failures per address, and per username from it."""

    username = Varchar(length=64, index=True)
    address = Varchar(length=64, index=True)
    at = Timestamptz(default=TimestamptzNow(), index=True)
    success = Boolean(default=False)


class Customer(Table, tablename="customer"):
    account_no = Varchar(length=32, unique=True)
    name = Varchar(length=64)
    phone = Varchar(length=32)
    tier = Varchar(length=16, default="ordinary")
    network = Varchar(length=16, default="two_way")
    area = ForeignKey(references=Area, null=False, on_delete=OnDelete.restrict)
    community = ForeignKey(references=Community, null=True, on_delete=OnDelete.restrict)
    road = ForeignKey(references=Road, null=True, on_delete=OnDelete.restrict)
    address = Text()


class Material(Table, tablename="material"):
    """The materials catalogue technicians record usage from."""

    code = Varchar(length=32, unique=True)
    name = Varchar(length=64)
    unit = Varchar(length=16)


class ClockPolicy(Table, tablename="clock_policy"):
    """One time limit: clock × kind × priority ("*" = any); the most specific row wins.

    Rows are versions: an edit adds a row effective from then on, so a clock keeps the limit in
    force when it started and history is never rewritten by a later policy change.
    """

    clock = Varchar(length=32)
    kind = Varchar(length=32, default="*")
    priority = Varchar(length=16, default="*")
    minutes = Integer(default=0)
    working_days = Integer(default=0)  # for calendar clocks (callback)
    at_risk_percent = Integer(default=20)
    effective_from = Timestamptz(default=TimestamptzNow())
    updated_by = ForeignKey(references=StaffUser, null=True, on_delete=OnDelete.restrict)


class CalendarDay(Table, tablename="calendar_day"):
    """Exceptions to Monday–Friday: holidays, and weekend days worked instead (调休)."""

    day = Date(unique=True)
    working = Boolean(default=False)
    name = Varchar(length=64, default="")


class CalendarYear(Table, tablename="calendar_year"):
    """A year whose holidays and 调休 days the supervisors say they have entered in full: covered,
    though the official data has not reached it. Who said so is in the audit trail."""

    year = Integer(unique=True)


class WorkOrder(Table, tablename="work_order"):
    """The current state of an order, written in the same transaction as each of its events."""

    code = Varchar(length=32, unique=True)
    kind = Varchar(length=32, index=True)
    source = Varchar(length=32)
    priority = Varchar(length=16, default="normal")
    customer = ForeignKey(references=Customer, null=False, on_delete=OnDelete.restrict)
    area = ForeignKey(references=Area, null=False, on_delete=OnDelete.restrict, index=True)
    community = ForeignKey(references=Community, null=True, on_delete=OnDelete.restrict)
    road = ForeignKey(references=Road, null=True, on_delete=OnDelete.restrict)
    address = Text()
    contact_name = Varchar(length=64)
    contact_phone = Varchar(length=32)
    description = Text()
    agent_remark = Text(default="")
    remark_flagged = Boolean(default=False)
    urge_count = Integer(default=0)
    appointment_at = Timestamptz(null=True, default=None)
    state = Varchar(length=32, index=True)
    assignee = ForeignKey(references=StaffUser, null=True, on_delete=OnDelete.restrict, index=True)
    team = ForeignKey(references=Team, null=True, on_delete=OnDelete.restrict)
    first_contact_owner = ForeignKey(references=StaffUser, null=True, on_delete=OnDelete.restrict)
    created_by = ForeignKey(references=StaffUser, null=True, on_delete=OnDelete.restrict)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    version = Integer(default=0)
    closure = JSON(null=True, default=None)
    closed_at = Timestamptz(null=True, default=None)
    # Clock summary, recomputed from the history with every event, for list filters.
    clock_next_due = Timestamptz(null=True, default=None, index=True)
    clock_next_risk = Timestamptz(null=True, default=None)
    clock_breached = Integer(default=0)
    # The sync version of the last change (sync/): a device's cursor pulls what is newer.
    sync_version = BigInt(default=0, index=True)
    # When the closed order left its technician's scope (sync/housekeeping.py); cleared on reopening.
    left_scope_at = Timestamptz(null=True, default=None)


class WorkOrderEvent(Table, tablename="work_order_event"):
    """One step in an order's history. (work_order, seq) is unique; rows are never changed."""

    work_order = ForeignKey(
        references=WorkOrder, null=False, on_delete=OnDelete.restrict, index=True
    )
    seq = Integer()
    action = Varchar(length=32)
    actor = ForeignKey(references=StaffUser, null=True, on_delete=OnDelete.restrict)
    actor_role = Varchar(length=16)
    payload = JSON(default="{}")
    server_time = Timestamptz(default=TimestamptzNow())
    device_time = Timestamptz(null=True, default=None)
    effective_time = Timestamptz()
    time_flag = Varchar(length=16, default="")
    state_before = Varchar(length=32)
    state_after = Varchar(length=32)


class AuditEntry(Table, tablename="audit_entry"):
    """Changes outside order histories: policies, calendars, accounts, logins, logouts."""

    actor = ForeignKey(references=StaffUser, null=True, on_delete=OnDelete.restrict)
    actor_role = Varchar(length=16, default="")
    action = Varchar(length=48)
    target = Varchar(length=128, default="")
    payload = JSON(default="{}")
    server_time = Timestamptz(default=TimestamptzNow())
    address = Varchar(length=64, default="")
