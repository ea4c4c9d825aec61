"""A tap on "call" made in the customer's rest hours after the screen asked: urgent (issue 19).
The reference data now carries the call policy: every device gets it again at its next pull."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Boolean
from piccolo.columns.indexes import IndexMethod
from piccolo.engine import engine_finder

ID = "2026-12-04T17:42:15:163741"
VERSION = "1.38.0"
DESCRIPTION = "call urgent"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="fieldservice", description=DESCRIPTION)

    manager.add_column(
        table_class_name="CallRecord",
        tablename="call_record",
        column_name="urgent",
        db_column_name="urgent",
        column_class_name="Boolean",
        column_class=Boolean,
        params={
            "default": False,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    async def reference_again():
        await engine_finder()._run_in_new_connection(
            "UPDATE sync_clock SET version = version + 1, reference_version = version + 1"
        )

    manager.add_raw(reference_again)
    return manager
