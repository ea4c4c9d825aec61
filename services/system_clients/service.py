"""System clients: credentials for machines (the call centre's telephony system), not people.

A key reads `fsc_<key id>.<secret>`: the key id finds the row, the secret (256 random bits) is
compared with its stored SHA-256 in constant time. The secret is shown once, at creation; an admin
deactivates a key (refused at once: no cache) and creates a new one to rotate it. A system client
is a Caller whose role is a `ClientRole`: no staff route admits it, and it admits no staff.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

import servertime
from db.call_tables import SystemClient
from db.engine import write_transaction
from domain.errors import Conflict, NotFound
from services.audit import record_change
from services.auth.schemas import Caller
from services.system_clients import schemas as s

PREFIX = "fsc_"
_KEY = re.compile(r"^fsc_([0-9a-f]{16})\.([A-Za-z0-9_\-]{43})$")


def is_system_key(token: str) -> bool:
    return token.startswith(PREFIX)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def caller_of_client(row: dict) -> Caller:
    return Caller(
        id=row["id"],
        username=f"system:{row['name']}",
        display_name=row["name"],
        role=row["role"],
        team_id=None,
        area_id=None,
    )


async def caller_for_key(token: str) -> Caller | None:
    m = _KEY.match(token)
    if m is None:
        return None
    row = await SystemClient.select().where(SystemClient.key_id == m.group(1)).first()
    if (
        row is None
        or not row["active"]
        or not hmac.compare_digest(row["secret_hash"], _digest(m.group(2)))
    ):
        return None
    return caller_of_client(row)


def _out(row: dict, key: str | None = None) -> s.SystemClientOut:
    return s.SystemClientOut(
        id=row["id"],
        name=row["name"],
        role=row["role"],
        key_id=row["key_id"],
        active=row["active"],
        created_at=row["created_at"],
        last_used_at=row["last_used_at"],
        key=key,
    )


async def list_clients() -> list[s.SystemClientOut]:
    return [_out(r) for r in await SystemClient.select().order_by(SystemClient.id)]


async def create(caller: Caller | None, data: s.SystemClientCreate) -> s.SystemClientOut:
    """A new client and its key (None: from the command line, on the machine itself)."""
    key_id, secret = secrets.token_hex(8), secrets.token_urlsafe(32)
    now = servertime.now()
    async with write_transaction():
        if await SystemClient.exists().where(SystemClient.name == data.name):
            raise Conflict("system_client.name_taken", name=data.name)
        rows = await SystemClient.insert(
            SystemClient(
                name=data.name,
                role=data.role,
                key_id=key_id,
                secret_hash=_digest(secret),
                active=True,
                created_at=now,
                created_by=caller and caller.id,
            )
        )
        await record_change(
            caller, "system_client.create", data.name, now, {"role": data.role, "key_id": key_id}
        )
    row = await SystemClient.select().where(SystemClient.id == rows[0]["id"]).first()
    return _out(row, key=f"{PREFIX}{key_id}.{secret}")


async def deactivate(caller: Caller, client_id: int) -> s.SystemClientOut:
    now = servertime.now()
    async with write_transaction():
        row = await SystemClient.select().where(SystemClient.id == client_id).first()
        if row is None:
            raise NotFound("system_client.not_found", id=client_id)
        if row["active"]:
            await SystemClient.update({SystemClient.active: False}).where(
                SystemClient.id == client_id
            )
            await record_change(caller, "system_client.deactivate", row["name"], now)
    return _out({**row, "active": False})


async def used(client_id: int) -> None:
    """Called inside the client's writing transaction: when it was last heard from."""
    await SystemClient.update({SystemClient.last_used_at: servertime.now()}).where(
        SystemClient.id == client_id
    )
