"""Keys Piccolo cannot declare on the duty desk's tables: one roster row per day × shift × person
(two supervisors adding the same person at once cannot both succeed)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-04T10:29:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "duty roster key"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="fieldservice", description=DESCRIPTION)

    async def run():
        await engine_finder()._run_in_new_connection(
            "CREATE UNIQUE INDEX duty_entry_key ON duty_entry (day, shift, \"user\")")

    manager.add_raw(run)
    return manager
