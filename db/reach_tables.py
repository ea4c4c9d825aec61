"""Tables of reaching technicians (reach/, issue 18): each tracked notice and its receipt, the
outbox of the WeCom and SMS channels, each user's channel preference, and the escalation policy."""

from __future__ import annotations

from piccolo.columns import JSON, ForeignKey, Integer, OnDelete, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from db.tables import StaffUser, WorkOrder


class EscalationPolicy(Table, tablename="escalation_policy"):
    """Rows are versions, the latest in force wins; a notice keeps the deadlines it was queued with
    (domain.reach.EscalationPolicy: shares of the contact limit, or minutes)."""

    deliver_percent = Integer(default=33)
    seen_percent = Integer(default=67)
    deliver_minutes = Integer(default=0)
    seen_minutes = Integer(default=0)
    effective_from = Timestamptz(default=TimestamptzNow())
    updated_by = ForeignKey(references=StaffUser, null=True, on_delete=OnDelete.restrict)


class ReachNotice(Table, tablename="reach_notice"):
    """One notice (assigned, urged, withdrawn) to one technician, written in the step's
    transaction, and how far it got: sent (first channel), delivered, seen. A newer notice of the
    same order to the same person supersedes it (no more escalation, no alert)."""

    recipient = ForeignKey(references=StaffUser, null=False, on_delete=OnDelete.cascade, index=True)
    work_order = ForeignKey(
        references=WorkOrder, null=False, on_delete=OnDelete.cascade, index=True
    )
    notice = Varchar(length=32)  # domain.notifications.NoticeType
    params = JSON(default="{}")
    topic = Varchar(length=32)
    urgency = Varchar(length=8)
    ttl_seconds = Integer()
    order_version = Integer()  # the order's version the notice tells of: a pull of it delivers it
    created_at = Timestamptz(default=TimestamptzNow())
    channels = JSON(default="[]")  # the recipient's order of channels when it was queued
    tried = JSON(default="[]")  # channels it has been queued on, in order
    escalate_at = Timestamptz(
        null=True, default=None, index=True
    )  # next channel, if still undelivered
    escalate_seconds = Integer(default=600)
    alert_at = Timestamptz(
        null=True, default=None, index=True
    )  # the dispatcher is alerted, if unseen
    first_sent_at = Timestamptz(null=True, default=None)
    first_sent_via = Varchar(length=16, default="")
    delivered_at = Timestamptz(null=True, default=None)
    delivered_by = Varchar(
        length=32, default=""
    )  # pull / push / opened / the step's action (request_send_back: 17)
    seen_at = Timestamptz(null=True, default=None)
    seen_by = Varchar(length=32, default="")  # opened / the step's action
    alerted_at = Timestamptz(null=True, default=None)
    superseded_at = Timestamptz(null=True, default=None)
    policy = ForeignKey(references=EscalationPolicy, null=True, on_delete=OnDelete.restrict)


class ReachOutbox(Table, tablename="reach_outbox"):
    """One notice on one of the channels other than web push (WeCom, SMS): unique per (notice,
    channel), so a notice is never queued twice on a channel. Claimed, sent and marked like the
    push outbox (a lease; retries with backoff; a provider's limit for the app pauses the channel,
    one for a mobile number holds back only its row; an SMS is sent at most once)."""

    notice = ForeignKey(references=ReachNotice, null=False, on_delete=OnDelete.cascade, index=True)
    channel = Varchar(length=16)
    address = Varchar(length=64)  # the WeCom user id, the mobile number
    created_at = Timestamptz(default=TimestamptzNow())
    # pending / sending (an SMS, from just before the provider's call) / sent / failed /
    # unknown (an SMS that may have gone: never sent again) / dropped (delivered, seen or
    # superseded first)
    state = Varchar(length=8, default="pending")
    attempts = Integer(default=0)
    next_attempt_at = Timestamptz(default=TimestamptzNow(), index=True)
    claim = Varchar(length=32, default="")
    sent_at = Timestamptz(null=True, default=None)
    last_status = Varchar(length=64, default="")  # the provider's code, last attempt
    last_error = Varchar(length=200, default="")


class ReachPreference(Table, tablename="reach_preference"):
    """A user's own order of channels and their WeCom user id (the mobile is StaffUser.phone)."""

    user = ForeignKey(references=StaffUser, null=False, unique=True, on_delete=OnDelete.cascade)
    channels = JSON(default="[]")
    wecom_user = Varchar(length=64, default="")
    updated_at = Timestamptz(default=TimestamptzNow())


REACH_TABLES = [EscalationPolicy, ReachNotice, ReachOutbox, ReachPreference]
