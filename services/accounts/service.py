"""Staff accounts as an admin manages them: list, create, deactivate / reactivate, reset a
password, end every session. Each change is audited; ending someone's access (deactivation,
reset, "end sessions") revokes their tokens, ends their event streams on every process and, but
for "end sessions", deletes their push subscriptions (services.auth.service.end_sessions)."""

from __future__ import annotations

import servertime
from db.engine import write_transaction
from db.tables import Area, StaffUser, Team
from domain.errors import Conflict, NotFound
from services.accounts import schemas as s
from services.audit import record_change
from services.auth import service as auth
from services.auth.schemas import Caller

_COLUMNS = (
    StaffUser.id,
    StaffUser.username,
    StaffUser.display_name,
    StaffUser.role,
    StaffUser.team,
    StaffUser.area,
    StaffUser.phone,
    StaffUser.active,
    StaffUser.created_at,
)


def _account(row: dict) -> s.Account:
    return s.Account(
        id=row["id"],
        username=row["username"],
        display_name=row["display_name"],
        role=row["role"],
        team_id=row["team"],
        area_id=row["area"],
        phone=row["phone"],
        active=row["active"],
        created_at=row["created_at"],
    )


async def accounts() -> list[s.Account]:
    return [_account(r) for r in await StaffUser.select(*_COLUMNS).order_by(StaffUser.username)]


async def account(user_id: int) -> s.Account:
    row = await StaffUser.select(*_COLUMNS).where(StaffUser.id == user_id).first()
    if row is None:
        raise NotFound("user.not_found", id=user_id)
    return _account(row)


async def create(caller: Caller, data: s.NewAccount) -> s.Account:
    if data.team_id is not None and not await Team.exists().where(Team.id == data.team_id):
        raise NotFound("team.not_found", id=data.team_id)
    if data.area_id is not None and not await Area.exists().where(Area.id == data.area_id):
        raise NotFound("area.not_found", id=data.area_id)
    user_id = await auth.create_user(
        data.username,
        data.display_name,
        data.role,
        data.password,
        data.team_id,
        data.area_id,
        data.phone,
        actor=caller,
    )
    return await account(user_id)


async def set_active(caller: Caller, user_id: int, active: bool) -> s.Account:
    """Deactivating ends the person's access at once; an admin cannot deactivate themselves (the
    branch would be left without anyone to undo it)."""
    target = await account(user_id)
    if not active and user_id == caller.id:
        raise Conflict("user.deactivate_self")
    now = servertime.now()
    async with write_transaction():
        await StaffUser.update({StaffUser.active: active}).where(StaffUser.id == user_id)
        if not active:
            await auth.end_sessions(user_id, now)
        action = "user.reactivate" if active else "user.deactivate"
        await record_change(caller, action, target.username, now)
    return await account(user_id)


async def reset_password(caller: Caller, user_id: int, data: s.PasswordReset) -> s.Account:
    target = await account(user_id)
    await auth.reset_password(target.username, data.password, actor=caller)
    return target


async def end_sessions(caller: Caller, user_id: int) -> s.SessionsEnded:
    """Every device logs in again; push subscriptions stay (the phones are still the person's)."""
    target = await account(user_id)
    now = servertime.now()
    async with write_transaction():
        revoked = await auth.end_sessions(user_id, now, keep_push=True)
        await record_change(
            caller, "user.end_sessions", target.username, now, {"revoked_tokens": revoked}
        )
    return s.SessionsEnded(revoked_tokens=revoked)
