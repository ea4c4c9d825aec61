"""Area outages and shift handover: keys Piccolo cannot declare, and append-only notices.

- an order is linked to at most one outage at a time (partial unique index);
- one revision number per outage notice;
- UPDATE and DELETE on outage_notice are refused by the database itself (the trigger function
  `refuse_change` on PostgreSQL comes from the migration of 14:45:00).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-23T17:55:40:000000"
VERSION = "1.38.0"
DESCRIPTION = "outage keys and append-only notices"

COMMON = [
    "CREATE UNIQUE INDEX outage_order_current ON outage_order (work_order) WHERE unlinked_at IS NULL",
    "CREATE UNIQUE INDEX outage_notice_revision ON outage_notice (outage, revision)",
]
SQLITE = [
    f"CREATE TRIGGER outage_notice_no_{op.lower()} BEFORE {op} ON outage_notice "
    "BEGIN SELECT RAISE(ABORT, 'outage_notice is append-only'); END"
    for op in ("UPDATE", "DELETE")
]
POSTGRES = [
    "CREATE TRIGGER outage_notice_append_only BEFORE UPDATE OR DELETE ON outage_notice "
    "FOR EACH ROW EXECUTE FUNCTION refuse_change()"
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="fieldservice", description=DESCRIPTION)

    async def run():
        engine = engine_finder()
        for statement in COMMON + (SQLITE if engine.engine_type == "sqlite" else POSTGRES):
            await engine._run_in_new_connection(statement)

    manager.add_raw(run)
    return manager
