"""Job evidence: keys Piccolo cannot declare.

(A raw step runs before a migration's table operations, hence its own migration.)
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-23T15:09:39:000000"
VERSION = "1.38.0"
DESCRIPTION = "job evidence keys"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="fieldservice", description=DESCRIPTION)

    async def run():
        engine = engine_finder()
        for statement in (
            # Attaching the same upload to an order twice (a replayed offline mutation) links it once.
            "CREATE UNIQUE INDEX order_photo_order_upload ON order_photo (work_order, upload_id)",
            # An upload that completes finds the photos waiting for it.
            "CREATE INDEX order_photo_upload ON order_photo (upload_id)",
        ):
            await engine._run_in_new_connection(statement)

    manager.add_raw(run)
    return manager
