"""Tables of the duty desk (issue 19): broadcast-safety events, the duty roster with the
supervisor's attendance check and call-ins, and the contractor routing policy. Every change to
them is also in the audit trail."""

from __future__ import annotations

from piccolo.columns import JSON, Date, ForeignKey, OnDelete, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from db.dispatch_tables import Outage
from db.tables import Area, StaffUser


class BroadcastEvent(Table, tablename="broadcast_event"):
    """安播事件: what happened on which channel and where, who was informed, what was done, the report."""

    kind = Varchar(length=24)  # domain.duty.BroadcastKind
    occurred_at = Timestamptz(index=True)
    channel = Varchar(length=200)
    area = ForeignKey(
        references=Area, null=True, on_delete=OnDelete.restrict
    )  # None: the whole branch
    description = Text()
    informed = Text(default="")  # who was informed (上级、广电监管、前端机房…)
    actions = Text(default="")  # what was done
    status = Varchar(length=16, index=True)  # domain.duty.BroadcastStatus
    report = Text(default="")  # 报备
    recorded_by = ForeignKey(references=StaffUser, null=False, on_delete=OnDelete.restrict)
    reported_by = ForeignKey(references=StaffUser, null=True, on_delete=OnDelete.restrict)
    reported_at = Timestamptz(null=True, default=None)
    closed_by = ForeignKey(references=StaffUser, null=True, on_delete=OnDelete.restrict)
    closed_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class DutyEntry(Table, tablename="duty_entry"):
    """值班表: one person on one shift of one day (at most one row per day × shift × person), its
    attendance as the supervisor checked it, or the outage they were called in for."""

    day = Date(index=True)
    shift = Varchar(length=16)  # domain.duty.Shift
    user = ForeignKey(references=StaffUser, null=False, on_delete=OnDelete.restrict, index=True)
    attendance = Varchar(length=16)  # domain.duty.Attendance
    outage = ForeignKey(
        references=Outage, null=True, on_delete=OnDelete.restrict
    )  # called in for it
    note = Text(default="")
    added_by = ForeignKey(references=StaffUser, null=False, on_delete=OnDelete.restrict)
    added_at = Timestamptz(default=TimestamptzNow())
    checked_by = ForeignKey(references=StaffUser, null=True, on_delete=OnDelete.restrict)
    checked_at = Timestamptz(null=True, default=None)


class ContractorRoutingPolicy(Table, tablename="contractor_routing_policy"):
    """Which kinds of order contractors' teams may take, per area (None: branch-wide). Rows are
    versions: the newest in force wins (domain.routing.contractor_kinds_in_force)."""

    area = ForeignKey(references=Area, null=True, on_delete=OnDelete.restrict)
    kinds = JSON(default="[]")
    effective_from = Timestamptz(default=TimestamptzNow())
    updated_by = ForeignKey(references=StaffUser, null=True, on_delete=OnDelete.restrict)


DUTY_TABLES = [BroadcastEvent, DutyEntry, ContractorRoutingPolicy]
