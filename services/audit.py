"""The audit trail of changes outside order histories (order steps are in their own histories):
accounts, logins, policies, calendars, duty, handovers, outages, calls, system clients. Append-only;
each change writes its row inside its own transaction, so a change and its record land together."""

from datetime import datetime
from typing import Any

from db.tables import AuditEntry
from services.auth.schemas import Caller


async def record_change(
    by: Caller | None,
    action: str,
    target: str,
    now: datetime,
    payload: dict[str, Any] | None = None,
    *,
    nobody_role: str = "cli",
    address: str = "",
) -> None:
    """`by`: the signed-in person. Without one, `nobody_role` says who acted: the command line
    ("cli"), the system's own detection ("system"), a system client's role, or "" (a failed login)."""
    await AuditEntry.insert(
        AuditEntry(
            actor=by.id if by else None,
            actor_role=by.role if by else nobody_role,
            action=action,
            target=target[:128],
            payload=payload or {},
            server_time=now,
            address=address,
        )
    )
