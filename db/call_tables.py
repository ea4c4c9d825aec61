"""Calls to customers (issue 19): the telephony system's reports and the taps on "call", the call
policy (rest hours, the length limit; rows are versions), and the system clients (the telephony
system's credentials). Every change is also in the audit trail."""

from __future__ import annotations

from piccolo.columns import JSON, Boolean, ForeignKey, Integer, OnDelete, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from db.tables import StaffUser, WorkOrder


class SystemClient(Table, tablename="system_client"):
    """A machine caller (the call centre's telephony system): a key id and a random secret shown
    once at creation, stored as its SHA-256 (it is 256 random bits: no password hashing needed).
    Its role admits it to its own endpoints only; deactivating it refuses the key at once."""

    name = Varchar(length=64, unique=True)
    role = Varchar(length=16)  # domain.vocabulary.ClientRole
    key_id = Varchar(length=32, unique=True)
    secret_hash = Varchar(length=64)
    active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())
    created_by = ForeignKey(references=StaffUser, null=True, on_delete=OnDelete.restrict)
    last_used_at = Timestamptz(null=True, default=None)


class CallRecord(Table, tablename="call_record"):
    """One call about an order: reported by the telephony system (`call_id` its id), or a tap on
    "call" not (yet) matched to a reported call (`call_id` empty)."""

    call_id = Varchar(length=64, null=True, default=None, unique=True)
    origin = Varchar(length=16)  # domain.calls.Origin
    work_order = ForeignKey(
        references=WorkOrder, null=True, on_delete=OnDelete.restrict, index=True
    )
    staff = ForeignKey(references=StaffUser, null=True, on_delete=OnDelete.restrict)
    direction = Varchar(length=16, default="outbound")
    caller = Varchar(length=32, default="")
    callee = Varchar(length=32, default="")
    started_at = Timestamptz(index=True)
    answered_at = Timestamptz(null=True, default=None)
    ended_at = Timestamptz(null=True, default=None)
    recording_ref = Varchar(length=256, default="")
    tapped_on = Varchar(length=16, default="")  # phone / console, for attempts
    tapped_at = Timestamptz(null=True, default=None)  # server time of the tap
    device_time = Timestamptz(null=True, default=None)
    urgent = Boolean(default=False)  # tapped in rest hours, confirmed as urgent
    client = ForeignKey(references=SystemClient, null=True, on_delete=OnDelete.restrict)
    updated_at = Timestamptz(default=TimestamptzNow())


class CallPolicyVersion(Table, tablename="call_policy"):
    """Rest hours (local "HH:MM" pairs, a pair may span midnight) and the length limit; rows are
    versions, a call is judged by the one in force when it started."""

    max_minutes = Integer(default=3)
    rest_hours = JSON(default="[]")
    effective_from = Timestamptz(default=TimestamptzNow())
    updated_by = ForeignKey(references=StaffUser, null=True, on_delete=OnDelete.restrict)


CALL_TABLES = [SystemClient, CallRecord, CallPolicyVersion]
