from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Integer, Timestamptz
from piccolo.columns.indexes import IndexMethod

ID = "2026-11-23T17:56:53:656970"
VERSION = "1.38.0"
DESCRIPTION = "device last contact"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="fieldservice", description=DESCRIPTION
    )

    manager.add_column(
        table_class_name="SyncClient",
        tablename="sync_client",
        column_name="last_pull_at",
        db_column_name="last_pull_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params={
            "default": None,
            "null": True,
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

    manager.add_column(
        table_class_name="SyncClient",
        tablename="sync_client",
        column_name="outbox_pending",
        db_column_name="outbox_pending",
        column_class_name="Integer",
        column_class=Integer,
        params={
            "default": 0,
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

    return manager
