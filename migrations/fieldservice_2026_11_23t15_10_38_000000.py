"""Web push: keys Piccolo cannot declare. (A raw step runs before a migration's table
operations, hence its own migration after the one creating the tables.)"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-23T15:10:38:000000"
VERSION = "1.38.0"
DESCRIPTION = "web push keys"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="fieldservice", description=DESCRIPTION)

    async def run():
        engine = engine_finder()
        for statement in (
            # A device re-sends its subscription on every start: one row per (user, device).
            'CREATE UNIQUE INDEX push_subscription_user_device ON push_subscription ("user", device_id)',
            # The sender's one query: pending rows that are due, soonest first.
            "CREATE INDEX push_outbox_due ON push_outbox (next_attempt_at) WHERE state = 'pending'",
        ):
            await engine._run_in_new_connection(statement)

    manager.add_raw(run)
    return manager
