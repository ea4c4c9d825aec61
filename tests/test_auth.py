"""Logging in and out: tokens, expiry, rate limits, password storage, the audit trail, the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from piccolo.engine.sqlite import SQLiteEngine

import servertime
from db.tables import AuditEntry, AuthToken, LoginAttempt, StaffUser
from settings import settings
from tests.conftest import POSTGRES_URL, ROOT, run
from tests.world import PASSWORD

T0 = datetime(2025, 3, 3, 1, 0, tzinfo=UTC)


def login(client, username: str, password: str = PASSWORD):
    return client.post("/api/auth/login", json={"username": username, "password": password})


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status
    assert body["type"] and body["title"] and body["detail"]
    return body


def test_login_returns_a_token_that_identifies_the_user(client, world):
    servertime.travel_to(T0)
    response = login(client, "dispatcher")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token"] and body["token_type"] == "Bearer"
    assert datetime.fromisoformat(body["expires_at"]) == T0 + timedelta(
        minutes=settings.token_ttl_minutes
    )
    assert body["user"] == {
        "id": world.uid("dispatcher"),
        "username": "dispatcher",
        "display_name": "王调度",
        "role": "dispatcher",
        "team_id": None,
        "area_id": world.area,
    }
    assert "password_hash" not in response.text

    me = client.get("/api/auth/me", headers=bearer(body["token"]))
    assert me.status_code == 200
    assert me.json()["username"] == "dispatcher"
    # Two logins give two different tokens.
    assert login(client, "dispatcher").json()["token"] != body["token"]


@pytest.mark.parametrize(
    "username, password", [("dispatcher", "wrong password"), ("nobody", PASSWORD)]
)
def test_bad_credentials_get_401_without_saying_which_part_was_wrong(
    client, world, username, password
):
    body = assert_problem(login(client, username, password), 401)
    assert body["code"] == "auth.invalid_credentials"
    assert "token" not in body
    en = client.post(
        "/api/auth/login",
        json={"username": username, "password": password},
        headers={"Accept-Language": "en"},
    )
    assert assert_problem(en, 401)["detail"] == "Wrong username or password."


def test_inactive_user_cannot_log_in(client, world):
    run(StaffUser.update({StaffUser.active: False}).where(StaffUser.username == "tech1"))
    assert_problem(login(client, "tech1"), 401)


def test_logout_revokes_the_token(client, world):
    token = login(client, "agent").json()["token"]
    other = login(client, "agent").json()["token"]
    assert client.post("/api/auth/logout", headers=bearer(token)).status_code == 204
    assert_problem(client.get("/api/auth/me", headers=bearer(token)), 401)
    assert_problem(client.post("/api/auth/logout", headers=bearer(token)), 401)
    # Only that token: the agent's other session goes on.
    assert client.get("/api/auth/me", headers=bearer(other)).status_code == 200


def test_a_token_revoked_elsewhere_stops_working_within_the_cache_window(client, world):
    """Another worker process revoked it (a logout there): this one trusts its recent lookup for
    at most settings.token_cache_seconds, then asks the database again."""
    import time

    token = login(client, "tech1").json()["token"]
    assert client.get("/api/auth/me", headers=bearer(token)).status_code == 200
    run(
        AuthToken.update({AuthToken.revoked_at: servertime.now()}).where(
            AuthToken.user == world.uid("tech1")
        )
    )
    time.sleep(settings.token_cache_seconds + 0.1)
    assert_problem(client.get("/api/auth/me", headers=bearer(token)), 401)


def test_token_expires_after_its_ttl(client, world):
    servertime.travel_to(T0)
    token = login(client, "tech1").json()["token"]
    servertime.travel_to(T0 + timedelta(hours=11, minutes=59))
    assert client.get("/api/auth/me", headers=bearer(token)).status_code == 200
    servertime.travel_to(T0 + timedelta(hours=13))
    body = assert_problem(client.get("/api/auth/me", headers=bearer(token)), 401)
    assert body["code"] == "auth.required"


def test_failed_logins_for_one_user_are_rate_limited(client, world):
    servertime.travel_to(T0)
    limit = settings.login_max_failures_per_user_address
    for _ in range(limit):
        assert login(client, "dispatcher", "guess").status_code == 401
    blocked = login(client, "dispatcher")  # even the right password
    body = assert_problem(blocked, 429)
    assert int(blocked.headers["Retry-After"]) == settings.login_window_seconds
    assert "token" not in body
    # Other users are not affected; after the window the user may try again.
    assert login(client, "dispatcher2").status_code == 200
    servertime.travel_to(T0 + timedelta(seconds=settings.login_window_seconds + 1))
    assert login(client, "dispatcher").status_code == 200


def test_failed_logins_from_one_address_are_rate_limited(client, world):
    limit = settings.login_max_failures_per_address
    per_user = settings.login_max_failures_per_user_address - 1  # stay under the per-user limit
    statuses = [login(client, f"guess{i // per_user}", "x").status_code for i in range(limit)]
    assert statuses == [401] * limit
    blocked = login(client, "supervisor")
    assert_problem(blocked, 429)
    assert "Retry-After" in blocked.headers


def test_successful_logins_do_not_count_as_failures(client, world):
    limit = settings.login_max_failures_per_user_address
    for _ in range(limit - 1):
        assert login(client, "agent", "guess").status_code == 401
    for _ in range(limit + 1):
        assert login(client, "agent").status_code == 200
    # The one failure that reaches the limit.
    assert login(client, "agent", "guess").status_code == 401
    assert login(client, "agent").status_code == 429


def test_an_outsider_cannot_lock_the_dispatch_desk_out(db, world):
    """Wrong passwords from one address hold back that address's tries at that account, never the
    account itself: the desk logs in while an outsider hammers the same username."""
    from domain.errors import RateLimited, Unauthorized
    from services.auth.service import login as log_in_with

    outsider, desk = "198.51.100.7", "10.20.0.15"
    for _ in range(settings.login_max_failures_per_user_address):
        with pytest.raises(Unauthorized):
            run(log_in_with("dispatcher", "guess", outsider))
    with pytest.raises(RateLimited):
        run(
            log_in_with("dispatcher", PASSWORD, outsider)
        )  # the outsider is held back, even if right
    token, user, _ = run(log_in_with("dispatcher", PASSWORD, desk))
    assert token and user["username"] == "dispatcher"


def test_passwords_are_stored_as_argon2id_hashes(db, world):
    hashes = run(StaffUser.select(StaffUser.password_hash))
    assert len(hashes) == len(world.users)
    for row in hashes:
        assert row["password_hash"].startswith("$argon2id$")
        assert PASSWORD not in row["password_hash"]
    tokens = run(AuthToken.select(AuthToken.token_hash))
    assert tokens == []


def test_tokens_are_stored_only_as_hashes(client, world):
    token = login(client, "agent").json()["token"]
    stored = run(AuthToken.select(AuthToken.token_hash))
    assert (
        len(stored) == 1
        and stored[0]["token_hash"] != token
        and token not in stored[0]["token_hash"]
    )


def test_logins_and_failures_are_audited(client, world):
    servertime.travel_to(T0)
    token = login(client, "dispatcher").json()["token"]
    login(client, "dispatcher", "wrong")
    login(client, "mallory", "wrong")
    client.post("/api/auth/logout", headers=bearer(token))
    rows = run(
        AuditEntry.select(
            AuditEntry.actor, AuditEntry.action, AuditEntry.target, AuditEntry.server_time
        )
        .where(AuditEntry.action.like("auth.%"))
        .order_by(AuditEntry.id)
    )
    uid = world.uid("dispatcher")
    assert [(r["action"], r["target"], r["actor"]) for r in rows] == [
        ("auth.login", "dispatcher", uid),
        ("auth.login_failed", "dispatcher", None),
        ("auth.login_failed", "mallory", None),
        ("auth.logout", "dispatcher", uid),
    ]
    assert all(r["server_time"] == T0 for r in rows)


def cli(engine, *args: str, stdin: str):
    url = f"sqlite:///{engine.path}" if isinstance(engine, SQLiteEngine) else POSTGRES_URL
    return subprocess.run(
        [sys.executable, "cli.py", *args],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_cli_creates_a_user_who_can_log_in(db, client, world):
    done = cli(
        db,
        "create-user",
        "newdisp",
        "--role",
        "dispatcher",
        "--name",
        "某某",
        "--password-stdin",
        stdin="a long enough secret\n",
    )
    assert done.returncode == 0, done.stderr
    response = login(client, "newdisp", "a long enough secret")
    assert response.status_code == 200, response.text
    assert response.json()["user"]["role"] == "dispatcher"
    assert response.json()["user"]["display_name"] == "某某"
    assert run(
        AuditEntry.exists().where(
            (AuditEntry.action == "user.create") & (AuditEntry.target == "newdisp")
        )
    )


def test_cli_refuses_a_short_password_and_a_taken_username(db, client, world):
    short = cli(
        db,
        "create-user",
        "shorty",
        "--role",
        "agent",
        "--name",
        "短",
        "--password-stdin",
        stdin="abc\n",
    )
    assert short.returncode != 0
    taken = cli(
        db,
        "create-user",
        "agent",
        "--role",
        "admin",
        "--name",
        "冒名",
        "--password-stdin",
        stdin="a long enough secret\n",
    )
    assert taken.returncode != 0
    assert not run(StaffUser.exists().where(StaffUser.username == "shorty"))
    assert (
        run(StaffUser.select(StaffUser.role).where(StaffUser.username == "agent").first())["role"]
        == "agent"
    )
    assert login(client, "agent", "a long enough secret").status_code == 401


def test_cli_reset_password_revokes_sessions(db, client, world):
    token = login(client, "tech2").json()["token"]
    done = cli(db, "reset-password", "tech2", "--password-stdin", stdin="brand new secret\n")
    assert done.returncode == 0, done.stderr
    assert_problem(client.get("/api/auth/me", headers=bearer(token)), 401)
    assert_problem(login(client, "tech2"), 401)
    fresh = login(client, "tech2", "brand new secret")
    assert fresh.status_code == 200
    assert client.get("/api/auth/me", headers=bearer(fresh.json()["token"])).status_code == 200
    # An unknown user is an error, not a silent success.
    assert (
        cli(
            db, "reset-password", "nobody", "--password-stdin", stdin="brand new secret\n"
        ).returncode
        != 0
    )


def test_no_answer_that_carries_a_token_or_a_caller_s_data_may_be_stored_by_a_cache(api):
    """A shared computer's browser cache, or a proxy's, must not keep tokens, orders or customers."""
    world, client = api.world, api.client
    order = api.create()
    answers = {
        "login": login(client, "dispatcher"),
        "refused login": login(client, "dispatcher", "wrong"),
        "me": api.get("dispatcher", "/api/auth/me"),
        "orders": api.get("dispatcher", "/api/work-orders"),
        "order": api.get("dispatcher", f"/api/work-orders/{order['id']}"),
        "customer": api.get("agent", f"/api/customers/{world.customers['ordinary']}"),
        "no token": client.get("/api/work-orders"),
        "forbidden": api.get("tech2", "/api/reports?period=2025-03"),
    }
    for name, response in answers.items():
        assert response.headers.get("cache-control") == "no-store", (
            name,
            response.status_code,
            response.headers,
        )


def _failed_logins_until_refused(url: str, forwarded: list[str]) -> list[int]:
    import httpx

    return [
        httpx.post(
            f"{url}/api/auth/login",
            json={"username": f"guess{i}", "password": "x"},
            headers={"X-Forwarded-For": value},
        ).status_code
        for i, value in enumerate(forwarded)
    ]


@pytest.mark.parametrize("engine_name", ["postgres"])
def test_forwarded_addresses_are_believed_only_from_configured_proxies(db, world, tmp_path):
    """The per-address login limit, against the server as `make run` starts it: without
    TRUSTED_PROXIES a client cannot escape the limit by writing X-Forwarded-For; behind a
    configured proxy each client has its own limit, and what a client prepends is not believed."""
    import httpx

    from tests.browser.conftest import Server

    limit = 4
    for proxies in ("", "127.0.0.1"):
        run(LoginAttempt.delete(force=True))
        server = Server(tmp_path, database_url=POSTGRES_URL)
        server.env.update(TRUSTED_PROXIES=proxies, LOGIN_MAX_FAILURES_PER_ADDRESS=str(limit))
        server.start()
        try:
            spoofed = [f"203.0.113.{i}" for i in range(limit + 1)]
            if not proxies:  # every try comes from 127.0.0.1, whatever the header says
                assert _failed_logins_until_refused(server.url, spoofed) == [401] * limit + [429]
                continue
            # Behind the proxy: one client, however it disguises itself, is one address...
            disguised = [f"{fake}, 198.51.100.9" for fake in spoofed]
            assert _failed_logins_until_refused(server.url, disguised) == [401] * limit + [429]
            # ...and another client is not held back by it.
            ok = httpx.post(
                f"{server.url}/api/auth/login",
                json={"username": "dispatcher", "password": PASSWORD},
                headers={"X-Forwarded-For": "198.51.100.10"},
            )
            assert ok.status_code == 200, ok.text
            audited = run(
                AuditEntry.select(AuditEntry.address)
                .where(AuditEntry.action == "auth.login")
                .order_by(AuditEntry.id, ascending=False)
                .first()
            )
            assert audited["address"] == "198.51.100.10"
        finally:
            server.stop()
