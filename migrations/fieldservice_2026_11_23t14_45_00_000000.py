"""Keys Piccolo cannot declare, and the append-only guarantee of the history tables.

- (work_order, seq) unique: two writers racing on one order cannot both append step N.
- one clock policy version per (clock, kind, priority, effective_from).
- UPDATE and DELETE on work_order_event and audit_entry are refused by the database itself.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-23T14:45:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "append-only history and composite keys"

APPEND_ONLY = ("work_order_event", "audit_entry")

COMMON = [
    "CREATE UNIQUE INDEX work_order_event_order_seq ON work_order_event (work_order, seq)",
    "CREATE UNIQUE INDEX clock_policy_key ON clock_policy (clock, kind, priority, effective_from)",
    "CREATE INDEX work_order_event_server_time ON work_order_event (server_time)",
]


def _sqlite_statements() -> list[str]:
    statements = []
    for table in APPEND_ONLY:
        for op in ("UPDATE", "DELETE"):
            statements.append(
                f"CREATE TRIGGER {table}_no_{op.lower()} BEFORE {op} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
            )
    return statements


def _postgres_statements() -> list[str]:
    statements = [
        "CREATE OR REPLACE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$"
    ]
    for table in APPEND_ONLY:
        statements.append(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION refuse_change()"
        )
    return statements


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="fieldservice", description=DESCRIPTION)

    async def run():
        engine = engine_finder()
        specific = _sqlite_statements() if engine.engine_type == "sqlite" else _postgres_statements()
        for statement in COMMON + specific:
            await engine._run_in_new_connection(statement)

    manager.add_raw(run)
    return manager
