"""Accounts, passwords (argon2) and bearer tokens (opaque, stored as SHA-256, revocable)."""

from __future__ import annotations

import hashlib
import secrets
import time
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

import servertime
from db.engine import after_commit, write_transaction
from db.push_tables import PushSubscription
from db.tables import AuthToken, LoginAttempt, StaffUser
from domain.errors import Conflict, RateLimited, Unauthorized
from domain.vocabulary import Role
from events.publisher import revoked
from services.audit import record_change
from services.auth.schemas import Caller
from settings import settings

_hasher = PasswordHasher(
    time_cost=settings.argon2_time_cost, memory_cost=settings.argon2_memory_kib
)
# Verified against when the username is unknown, so a wrong username costs as much as a wrong password.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def token_hash(token: str) -> str:
    """What is stored of a token, and what names it in revocations."""
    return hashlib.sha256(token.encode()).hexdigest()


def caller_of(row: dict) -> Caller:
    return Caller(
        id=row["id"],
        username=row["username"],
        display_name=row["display_name"],
        role=row["role"],
        team_id=row["team"],
        area_id=row["area"],
    )


async def _check_rate_limit(username: str, address: str) -> None:
    """429 past the failures of the window from this address at this username, or from this address
    at all. There is no limit per username alone: it would let anyone lock the dispatch desk out."""
    since = servertime.now() - timedelta(seconds=settings.login_window_seconds)
    recent = (
        LoginAttempt.success.eq(False),
        LoginAttempt.address == address,
        LoginAttempt.at >= since,
    )
    by_address = await LoginAttempt.count().where(*recent)
    at_user = await LoginAttempt.count().where(*recent, LoginAttempt.username == username)
    if (
        at_user >= settings.login_max_failures_per_user_address
        or by_address >= settings.login_max_failures_per_address
    ):
        raise RateLimited("auth.rate_limited", retry_after=settings.login_window_seconds)


async def login(username: str, password: str, address: str) -> tuple[str, dict, object]:
    """Returns (token, user row, expiry). Raises 429 past the failure limits, 401 on a bad password."""
    await _check_rate_limit(username, address)
    user = await StaffUser.select().where(StaffUser.username == username).first()
    good = verify_password(user["password_hash"] if user else _DUMMY_HASH, password)
    ok = bool(user and user["active"] and good)
    now = servertime.now()
    attempt = LoginAttempt(username=username, address=address, at=now, success=ok)
    if not ok:
        # Recorded in a transaction of its own: the refusal must count towards the rate limit.
        async with write_transaction():
            await LoginAttempt.insert(attempt)
            await record_change(
                None, "auth.login_failed", username, now, nobody_role="", address=address
            )
        raise Unauthorized("auth.invalid_credentials")
    token = secrets.token_urlsafe(32)
    expires_at = now + timedelta(minutes=settings.token_ttl_minutes)
    async with write_transaction():
        await LoginAttempt.insert(attempt)
        await AuthToken.insert(
            AuthToken(
                token_hash=token_hash(token),
                user=user["id"],
                created_at=now,
                expires_at=expires_at,
                address=address,
            )
        )
        await record_change(caller_of(user), "auth.login", username, now, address=address)
    return token, user, expires_at


async def logout(token: str, caller: Caller) -> None:
    now = servertime.now()
    async with write_transaction():
        await AuthToken.update({AuthToken.revoked_at: now}).where(
            AuthToken.token_hash == token_hash(token)
        )
        await revoked(token_hash=token_hash(token))
        await record_change(caller, "auth.logout", caller.username, now)
    _forget_tokens(token=token)  # after the commit: a lookup meanwhile found it valid


async def caller_for_token(token: str) -> Caller | None:
    session = await session_for_token(token)
    return session[0] if session else None


async def session_for_token(token: str) -> tuple[Caller, datetime] | None:
    """Who the token is, and when it expires; None when it is unknown, revoked, expired or its
    user deactivated."""
    key = token_hash(token)
    cached = _recent.get(key)
    if cached is not None and cached[0] > time.monotonic() and cached[1] > servertime.now():
        return cached[2], cached[1]
    row = await AuthToken.select(*_TOKEN_COLUMNS).where(AuthToken.token_hash == key).first()
    if row is None or row["revoked_at"] is not None or row["expires_at"] <= servertime.now():
        return None
    user = {
        key.removeprefix("user."): value for key, value in row.items() if key.startswith("user.")
    }
    if not user["active"]:
        return None
    caller = caller_of(user)
    if settings.token_cache_seconds > 0:
        if len(_recent) >= TOKEN_CACHE_SIZE:
            _recent.clear()
        _recent[key] = (time.monotonic() + settings.token_cache_seconds, row["expires_at"], caller)
    return caller, row["expires_at"]


# Built once: resolving the user's columns through the foreign key took a third of a lookup.
_TOKEN_COLUMNS = (AuthToken.expires_at, AuthToken.revoked_at, *AuthToken.user.all_columns())

# Tokens looked up in the last `token_cache_seconds` (1 s by default): a device syncing several
# requests in a row costs one lookup. A logout or password reset forgets its tokens here at once;
# in another worker process a revoked token keeps working for at most that long.
_recent: dict[str, tuple[float, datetime, Caller]] = {}
TOKEN_CACHE_SIZE = 10_000


def _forget_tokens(user_id: int | None = None, token: str | None = None) -> None:
    for key, (_, _, caller) in list(_recent.items()):
        if caller.id == user_id or (token is not None and key == token_hash(token)):
            _recent.pop(key, None)


async def create_user(
    username: str,
    display_name: str,
    role: Role,
    password: str,
    team_id: int | None = None,
    area_id: int | None = None,
    phone: str = "",
    actor: Caller | None = None,
) -> int:
    if await StaffUser.exists().where(StaffUser.username == username):
        raise Conflict("user.exists", username=username)
    async with write_transaction():
        rows = await StaffUser.insert(
            StaffUser(
                username=username,
                display_name=display_name,
                role=role.value,
                password_hash=hash_password(password),
                team=team_id,
                area=area_id,
                phone=phone,
            )
        )
        await record_change(actor, "user.create", username, servertime.now(), {"role": role.value})
    return rows[0]["id"]


async def reset_password(username: str, password: str, actor: Caller | None = None) -> bool:
    """Sets a new password and ends the user's sessions. False when there is no such user."""
    user = await StaffUser.select(StaffUser.id).where(StaffUser.username == username).first()
    if user is None:
        return False
    now = servertime.now()
    async with write_transaction():
        await StaffUser.update({StaffUser.password_hash: hash_password(password)}).where(
            StaffUser.id == user["id"]
        )
        await end_sessions(user["id"], now)
        await record_change(actor, "user.reset_password", username, now)
    return True


async def end_sessions(user_id: int, now: datetime, *, keep_push: bool = False) -> int:
    """In the caller's write transaction: revoke every live token of the user, end their open event
    streams on every process once it commits, and (unless `keep_push`) delete their push
    subscriptions, so a phone that was someone's stops hearing of their orders. Returns how many
    tokens were revoked."""
    rows = (
        await AuthToken.update({AuthToken.revoked_at: now})
        .where(AuthToken.user == user_id, AuthToken.revoked_at.is_null())
        .returning(AuthToken.id)
    )
    await revoked(user_id=user_id)
    if not keep_push:
        await PushSubscription.delete().where(PushSubscription.user == user_id)
    after_commit(lambda: _forget_tokens(user_id=user_id))
    return len(rows)
