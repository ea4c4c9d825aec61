"""Reach: keys Piccolo cannot declare. A notice is queued at most once per channel (reach_outbox)
and pushed at most once per device (push_outbox); both engines take the same statements."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-04T10:18:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "reach: one row per notice and channel, per notice and device"

STATEMENTS = [
    "CREATE UNIQUE INDEX reach_outbox_once ON reach_outbox (notice, channel)",
    "CREATE UNIQUE INDEX push_outbox_notice_once ON push_outbox (reach_notice, subscription) "
    "WHERE reach_notice IS NOT NULL",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="fieldservice", description=DESCRIPTION)

    async def run():
        engine = engine_finder()
        for statement in STATEMENTS:
            await engine._run_in_new_connection(statement)

    manager.add_raw(run)
    return manager
