"""Offline sync: keys Piccolo cannot declare, and the first sync version.

(A raw step runs before a migration's table operations, hence its own migration.)
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-23T15:07:39:000000"
VERSION = "1.38.0"
DESCRIPTION = "offline sync keys"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="fieldservice", description=DESCRIPTION)

    async def run():
        engine = engine_finder()
        for statement in (
            # A batch replayed, even concurrently, applies nothing twice.
            "CREATE UNIQUE INDEX sync_mutation_client_id ON sync_mutation (client, mutation_id)",
            # A technician's incremental pull: their orders changed after the cursor.
            "CREATE INDEX work_order_assignee_sync ON work_order (assignee, sync_version)",
            "CREATE INDEX sync_scope_change_user_version ON sync_scope_change (\"user\", version)",
            "INSERT INTO sync_clock (version) VALUES (0)",
            "INSERT INTO sync_purge (version) VALUES (0)",
        ):
            await engine._run_in_new_connection(statement)

    manager.add_raw(run)
    return manager
