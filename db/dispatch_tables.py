"""Tables of the dispatcher's desk (issue 7): area outages with their notices and linked orders,
the detection policy, and shift-handover sheets. Every change to them is also in the audit trail;
notices are append-only (database triggers refuse UPDATE and DELETE)."""

from __future__ import annotations

from piccolo.columns import JSON, ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from db.tables import Area, Community, Road, StaffUser, WorkOrder


class OutageDetectionPolicy(Table, tablename="outage_detection_policy"):
    """N similar repair orders within T minutes: rows are versions, the latest in force wins."""

    orders = Integer(default=3)
    minutes = Integer(default=30)
    effective_from = Timestamptz(default=TimestamptzNow())
    updated_by = ForeignKey(references=StaffUser, null=True, on_delete=OnDelete.restrict)


class Outage(Table, tablename="outage"):
    """片区故障: a place (community, road or area) and network, and where it stands."""

    area = ForeignKey(references=Area, null=False, on_delete=OnDelete.restrict, index=True)
    scope = Varchar(length=16)  # domain.outages.Scope
    community = ForeignKey(references=Community, null=True, on_delete=OnDelete.restrict)
    road = ForeignKey(references=Road, null=True, on_delete=OnDelete.restrict)
    network = Varchar(length=16)
    status = Varchar(length=16, index=True)  # domain.outages.Status
    detected_at = Timestamptz(default=TimestamptzNow(), index=True)
    declared_by = ForeignKey(
        references=StaffUser, null=True, on_delete=OnDelete.restrict
    )  # None: detected
    note = Text(default="")
    confirmed_at = Timestamptz(null=True, default=None)
    first_published_at = Timestamptz(null=True, default=None)
    first_estimate = Timestamptz(null=True, default=None)  # what customers were first told
    restored_at = Timestamptz(null=True, default=None)
    dismissed_at = Timestamptz(null=True, default=None)
    updated_at = Timestamptz(default=TimestamptzNow())
    version = Integer(default=1)


class OutageNotice(Table, tablename="outage_notice"):
    """A fault notice (or a later revision: the newest is current) or the restoration notice.
    `responsible` is who answers for it: None when a reporting department or person is named."""

    outage = ForeignKey(references=Outage, null=False, on_delete=OnDelete.restrict, index=True)
    kind = Varchar(length=16)  # fault / restoration
    revision = Integer()
    reporter = Varchar(length=200, default="")  # 接xx部门/人员通知
    published_by = ForeignKey(references=StaffUser, null=False, on_delete=OnDelete.restrict)
    responsible = ForeignKey(references=StaffUser, null=True, on_delete=OnDelete.restrict)
    published_at = Timestamptz(default=TimestamptzNow())
    location = Text(default="")
    cause = Text(default="")
    affected_scope = Text(default="")
    estimated_restoration = Timestamptz(null=True, default=None)
    explanation = Text(default="")  # 统一解释口径
    confirmed_cause = Text(default="")
    restored_at = Timestamptz(null=True, default=None)


class OutageOrder(Table, tablename="outage_order"):
    """An order grouped under an outage; unlinking ends the row (it stays, with who and when).
    An order is in at most one outage at a time (a partial unique index)."""

    outage = ForeignKey(references=Outage, null=False, on_delete=OnDelete.restrict, index=True)
    work_order = ForeignKey(
        references=WorkOrder, null=False, on_delete=OnDelete.restrict, index=True
    )
    linked_at = Timestamptz(default=TimestamptzNow())
    linked_by = ForeignKey(
        references=StaffUser, null=True, on_delete=OnDelete.restrict
    )  # None: detection
    unlinked_at = Timestamptz(null=True, default=None)
    unlinked_by = ForeignKey(references=StaffUser, null=True, on_delete=OnDelete.restrict)


class HandoverSheet(Table, tablename="handover_sheet"):
    """交接班汇总表: items A–C as compiled (a snapshot), D–F as written, and both signatures."""

    status = Varchar(length=16, index=True)  # domain.handover.Status
    outgoing = ForeignKey(references=StaffUser, null=False, on_delete=OnDelete.restrict)
    incoming = ForeignKey(references=StaffUser, null=True, on_delete=OnDelete.restrict)
    scheduled_at = Timestamptz(index=True)
    compiled_at = Timestamptz(default=TimestamptzNow())
    items = JSON(default="{}")  # {"a": [...], "b": [...], "c": [...]}
    planned_work = Text(default="")  # D
    systems = Text(default="")  # E
    other = Text(default="")  # F
    outgoing_signed_at = Timestamptz(null=True, default=None)
    incoming_signed_at = Timestamptz(null=True, default=None)
    incoming_note = Text(default="")
    substitute_named_by = ForeignKey(references=StaffUser, null=True, on_delete=OnDelete.restrict)
    substitute_reason = Text(default="")
    held_back_at = Timestamptz(null=True, default=None)  # first refused for an unpublished outage
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


DISPATCH_TABLES = [OutageDetectionPolicy, Outage, OutageNotice, OutageOrder, HandoverSheet]
