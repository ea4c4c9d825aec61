from pathlib import Path

from piccolo.conf.apps import AppConfig

from db import evidence_tables, tables
from db.call_tables import CALL_TABLES
from db.dispatch_tables import DISPATCH_TABLES
from db.duty_tables import DUTY_TABLES
from db.push_tables import PUSH_TABLES
from db.reach_tables import REACH_TABLES
from db.sync_tables import SYNC_TABLES

APP_CONFIG = AppConfig(
    app_name="fieldservice",
    migrations_folder_path=str(Path(__file__).resolve().parent.parent / "migrations"),
    table_classes=[
        tables.Area,
        tables.Community,
        tables.Road,
        tables.Team,
        tables.StaffUser,
        tables.AuthToken,
        tables.LoginAttempt,
        tables.Customer,
        tables.Material,
        tables.ClockPolicy,
        tables.CalendarDay,
        tables.CalendarYear,
        tables.WorkOrder,
        tables.WorkOrderEvent,
        tables.AuditEntry,
        *PUSH_TABLES,
        *SYNC_TABLES,
        evidence_tables.EvidenceUpload,
        evidence_tables.PhotoBlob,
        evidence_tables.OrderPhoto,
        *DISPATCH_TABLES,
        *REACH_TABLES,
        *CALL_TABLES,
        *DUTY_TABLES,
    ],
)
