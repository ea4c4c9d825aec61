"""Tables of web push (push/, api/push/): the server's VAPID key, the devices' subscriptions,
the outbox the sender drains, and the clock warnings already given."""

from __future__ import annotations

from piccolo.columns import JSON, ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from db.reach_tables import ReachNotice
from db.tables import StaffUser, WorkOrder


class VapidKey(Table, tablename="vapid_key"):
    """The server's VAPID key pair (one row, id 1), generated once with py-vapid. It lives with the
    data rather than in a file so every server process signs with the key the phones subscribed
    to; a new key would silently orphan every subscription."""

    private_pem = Text(secret=True)
    created_at = Timestamptz(default=TimestamptzNow())


class PushSubscription(Table, tablename="push_subscription"):
    """One browser's push subscription: one per (user, device); an endpoint belongs to one row.
    Pushes to it are written in its language."""

    user = ForeignKey(references=StaffUser, null=False, on_delete=OnDelete.cascade, index=True)
    device_id = Varchar(length=64)
    endpoint = Varchar(length=2048, unique=True)
    p256dh = Varchar(length=100)  # the browser's P-256 public key, base64url
    auth = Varchar(length=32)  # the 16-byte auth secret, base64url
    language = Varchar(length=8)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class PushOutbox(Table, tablename="push_outbox"):
    """One notification for one subscription, written in the transaction of the change it tells
    of. The sender claims due rows (pushing next_attempt_at one lease ahead, so a crashed sender's
    rows come due again), sends, then marks them: sent, retried later, failed or expired."""

    subscription = ForeignKey(
        references=PushSubscription, null=False, on_delete=OnDelete.cascade, index=True
    )
    notice = Varchar(length=32)  # domain.notifications.NoticeType
    params = JSON(
        default="{}"
    )  # the facts the texts are rendered from, at sending, in its language
    work_order = ForeignKey(references=WorkOrder, null=True, on_delete=OnDelete.cascade)
    topic = Varchar(length=32)
    urgency = Varchar(length=8)
    ttl_seconds = Integer()
    created_at = Timestamptz(default=TimestamptzNow())
    state = Varchar(
        length=8, default="pending"
    )  # pending / sent / failed / expired / dropped (reach/)
    attempts = Integer(default=0)
    next_attempt_at = Timestamptz(default=TimestamptzNow())
    claim = Varchar(length=32, default="")  # the sender that holds the row while sending it
    sent_at = Timestamptz(null=True, default=None)
    last_status = Integer(null=True, default=None)  # the push service's HTTP status, last attempt
    last_error = Varchar(length=200, default="")
    # The tracked notice (db.reach_tables) this push carries, if any: one push per notice and device.
    reach_notice = ForeignKey(references=ReachNotice, null=True, on_delete=OnDelete.cascade)


class PushClockWarning(Table, tablename="push_clock_warning"):
    """The due time each order's holder was last warned of: one warning per due time."""

    work_order = ForeignKey(
        references=WorkOrder, null=False, unique=True, on_delete=OnDelete.cascade
    )
    due = Timestamptz()
    warned_at = Timestamptz(default=TimestamptzNow())


PUSH_TABLES = [VapidKey, PushSubscription, PushOutbox, PushClockWarning]
