"""Tables of the offline sync protocol (docs/sync-protocol.md)."""

from __future__ import annotations

from piccolo.columns import JSON, BigInt, ForeignKey, Integer, OnDelete, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from db.tables import StaffUser, WorkOrder


class SyncClock(Table, tablename="sync_clock"):
    """One row: the last version handed out. Writers bump it as the last step of their
    transaction; the row lock makes versions follow commit order, so a cursor never skips a
    change that commits late."""

    version = BigInt(default=0)
    # The version at which reference data (policies, calendar) last changed.
    reference_version = BigInt(default=0)


class SyncScopeChange(Table, tablename="sync_scope_change"):
    """An order entering or leaving a user's scope (assigned, reassigned away, cancelled…).
    Removals are the tombstones a device needs; kept for the retention window."""

    version = BigInt(index=True)
    user = ForeignKey(references=StaffUser, null=False, on_delete=OnDelete.restrict, index=True)
    work_order = ForeignKey(references=WorkOrder, null=False, on_delete=OnDelete.restrict)
    change = Varchar(length=8)  # add / remove
    at = Timestamptz(default=TimestamptzNow())


class SyncClient(Table, tablename="sync_client"):
    """A device's outbox as the server knows it: the last mutation applied (or rejected)."""

    client_id = Varchar(length=64, unique=True)
    user = ForeignKey(references=StaffUser, null=False, on_delete=OnDelete.restrict)
    last_mutation_id = BigInt(default=0)
    created_at = Timestamptz(default=TimestamptzNow())
    last_push_at = Timestamptz(null=True, default=None)
    # The device's last contact as the dispatchers' board shows it: recorded at most once a
    # minute on pull (sync/contact.py), and the outbox count the app reports with each sync.
    last_pull_at = Timestamptz(null=True, default=None)
    outbox_pending = Integer(default=0)


class SyncMutation(Table, tablename="sync_mutation"):
    """Every mutation a device pushed, with its outcome. (client, mutation_id) is unique.
    A rejected mutation keeps its arguments: nothing a technician typed is lost."""

    client = ForeignKey(references=SyncClient, null=False, on_delete=OnDelete.restrict, index=True)
    mutation_id = BigInt()
    name = Varchar(length=32)
    args = JSON(default="{}")
    device_time = Timestamptz(null=True, default=None)
    server_time = Timestamptz(default=TimestamptzNow())
    status = Varchar(length=16)  # applied / rejected
    reason_key = Varchar(length=64, default="")
    reason_params = JSON(default="{}")
    work_order = ForeignKey(references=WorkOrder, null=True, on_delete=OnDelete.restrict)
    version = BigInt(index=True)
    resolved_by = ForeignKey(references=StaffUser, null=True, on_delete=OnDelete.restrict)


class SyncPurge(Table, tablename="sync_purge"):
    """The highest version whose tombstones were purged: an older cursor must reset."""

    version = BigInt(default=0)
    at = Timestamptz(default=TimestamptzNow())


SYNC_TABLES = [SyncClock, SyncScopeChange, SyncClient, SyncMutation, SyncPurge]
