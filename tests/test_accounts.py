"""Staff accounts over HTTP (/api/accounts, admins only): list, create, deactivate / reactivate,
reset a password, end every session; each audited, and each end of access complete."""

from __future__ import annotations

from db.push_tables import PushSubscription
from db.tables import AuditEntry
from tests.conftest import run
from tests.world import PASSWORD

NEW_PASSWORD = "换一个密码 2026"


def login(api, username: str, password: str = PASSWORD):
    return api.client.post("/api/auth/login", json={"username": username, "password": password})


def subscribe_phone(api, username: str) -> None:
    run(
        PushSubscription.insert(
            PushSubscription(
                user=api.world.uid(username),
                device_id=f"phone-of-{username}",
                endpoint=f"https://fcm.googleapis.com/fcm/send/{username}",
                p256dh="B" * 87,
                auth="A" * 22,
                language="zh-CN",
            )
        )
    )


def pushes_of(api, username: str) -> int:
    return run(PushSubscription.count().where(PushSubscription.user == api.world.uid(username)))


def audited(action: str) -> list[str]:
    return [
        r["target"]
        for r in run(AuditEntry.select(AuditEntry.target).where(AuditEntry.action == action))
    ]


def test_an_admin_lists_and_creates_accounts_and_the_new_person_logs_in(api):
    listed = api.get("admin", "/api/accounts")
    assert listed.status_code == 200
    assert {"dispatcher", "tech2"} <= {a["username"] for a in listed.json()}
    assert all("password" not in key for a in listed.json() for key in a)

    body = {
        "username": "zhao.dispatch",
        "display_name": "赵调度",
        "role": "dispatcher",
        "password": NEW_PASSWORD,
    }
    created = api.post("admin", "/api/accounts", body)
    assert created.status_code == 201, created.text
    assert created.json()["active"] is True and created.json()["role"] == "dispatcher"
    assert login(api, "zhao.dispatch", NEW_PASSWORD).status_code == 200
    assert audited("user.create").count("zhao.dispatch") == 1
    assert api.post("admin", "/api/accounts", body).status_code == 409  # the username is taken


def test_an_account_is_refused_a_short_or_blank_password_and_an_unknown_team(api):
    base = {"username": "qian", "display_name": "钱", "role": "agent"}
    for extra, field in [
        ({"password": "short"}, "password"),
        ({"password": " " * 12}, "password"),
        ({"password": NEW_PASSWORD, "role": "king"}, "role"),
    ]:
        response = api.post("admin", "/api/accounts", {**base, **extra})
        assert response.status_code == 400, response.text
        assert [e["field"] for e in response.json()["errors"]] == [field]
    response = api.post(
        "admin", "/api/accounts", {**base, "password": NEW_PASSWORD, "team_id": 9999}
    )
    assert response.status_code == 404 and response.json()["code"] == "team.not_found"
    assert "qian" not in {a["username"] for a in api.get("admin", "/api/accounts").json()}


def test_deactivation_ends_every_session_and_push_subscription_and_reactivation_lets_in_again(api):
    token = api.token("dispatcher")
    subscribe_phone(api, "dispatcher")
    uid = api.world.uid("dispatcher")
    response = api.post("admin", f"/api/accounts/{uid}/deactivate")
    assert response.status_code == 200 and response.json()["active"] is False
    assert (
        api.client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code
        == 401
    )
    assert login(api, "dispatcher").status_code == 401
    assert pushes_of(api, "dispatcher") == 0  # the phone no longer hears of orders
    assert api.post("admin", f"/api/accounts/{uid}/reactivate").json()["active"] is True
    assert login(api, "dispatcher").status_code == 200
    assert audited("user.deactivate") == ["dispatcher"] and audited("user.reactivate") == [
        "dispatcher"
    ]


def test_an_admin_cannot_deactivate_themselves(api):
    response = api.post("admin", f"/api/accounts/{api.world.uid('admin')}/deactivate")
    assert response.status_code == 409 and response.json()["code"] == "user.deactivate_self"
    assert api.get("admin", "/api/auth/me").status_code == 200


def test_a_password_reset_revokes_tokens_and_push_subscriptions(api):
    token = api.token("tech2")
    subscribe_phone(api, "tech2")
    response = api.post(
        "admin",
        f"/api/accounts/{api.world.uid('tech2')}/reset-password",
        {"password": NEW_PASSWORD},
    )
    assert response.status_code == 200, response.text
    assert (
        api.client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code
        == 401
    )
    assert login(api, "tech2").status_code == 401
    assert login(api, "tech2", NEW_PASSWORD).status_code == 200
    assert pushes_of(api, "tech2") == 0
    assert audited("user.reset_password") == ["tech2"]


def test_ending_sessions_logs_every_device_out_but_keeps_the_phones_subscribed(api):
    first = api.token("agent")
    second = login(api, "agent").json()["token"]
    subscribe_phone(api, "agent")
    response = api.post("admin", f"/api/accounts/{api.world.uid('agent')}/end-sessions")
    assert response.status_code == 200 and response.json()["revoked_tokens"] == 2
    for token in (first, second):
        assert (
            api.client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code
            == 401
        )
    assert pushes_of(api, "agent") == 1
    assert login(api, "agent").status_code == 200
    assert audited("user.end_sessions") == ["agent"]


def test_unknown_accounts_are_404(api):
    for step in ("deactivate", "reactivate", "end-sessions"):
        response = api.post("admin", f"/api/accounts/424242/{step}")
        assert response.status_code == 404 and response.json()["code"] == "user.not_found"
