"""Web push end to end (SQLite and PostgreSQL): steps on orders reach a fake push service on
loopback that verifies the VAPID JWT and decrypts every push with the subscriber's private key."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from litestar.testing import TestClient

import servertime
from app import create_app
from db.push_tables import PushClockWarning, PushOutbox, PushSubscription, VapidKey
from db.reach_tables import ReachNotice
from db.tables import StaffUser
from domain.notifications import OutageNotice
from push.outbox import enqueue_outage_notice, warn_of_clocks
from push.sender import open_sender
from push.worker import claim, deliver_due
from settings import settings
from tests.conftest import run
from tests.fake_push import FakePushService, unb64url
from tests.test_bad_input import assert_problem

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # Monday 10:00 in Chengdu
LOOPBACK = replace(settings, push_endpoint_origins=("http://127.0.0.1:*",))


def at(minutes: float = 0, seconds: float = 0) -> datetime:
    instant = T0 + timedelta(minutes=minutes, seconds=seconds)
    servertime.travel_to(instant)
    return instant


def deliver() -> int:
    """One round of the sender, as the background task runs it."""

    async def round_() -> int:
        async with open_sender() as sender:
            return await deliver_due(sender)

    return run(round_())


def outbox() -> list[dict]:
    return run(PushOutbox.select().order_by(PushOutbox.id))


@pytest.fixture
def push(api, monkeypatch):
    """The fake push service, and the server accepting endpoints on loopback."""
    monkeypatch.setattr("services.push.service.settings", LOOPBACK)
    with FakePushService(subject=settings.push_vapid_subject) as service:
        service.server_key = api.get("tech2", "/api/push/vapid-public-key").json()["public_key"]
        yield service
    assert service.errors == [], "every push verified and decrypted"


def subscribe(api, username: str, body: dict, lang: str | None = None, expect: int = 201) -> dict:
    response = api.client.post(
        "/api/push/subscriptions", json=body, headers=api.headers(username, lang)
    )
    assert response.status_code == expect, response.text
    return response.json()


def dispatch(api, order_id: int, username: str) -> dict:
    return api.step("dispatcher", order_id, "dispatch", assignee_id=api.world.uid(username))


# ---- the key --------------------------------------------------------------------------------


def test_vapid_key_is_generated_once_and_kept_across_restarts(api):
    first = api.get("tech2", "/api/push/vapid-public-key")
    assert first.status_code == 200
    key = first.json()["public_key"]
    point = unb64url(key)
    assert len(point) == 65 and point[0] == 4  # what PushManager.subscribe() takes
    assert api.get("dispatcher", "/api/push/vapid-public-key").json()["public_key"] == key
    with TestClient(create_app()) as restarted:
        token = api.token("tech2")
        again = restarted.get(
            "/api/push/vapid-public-key", headers={"Authorization": f"Bearer {token}"}
        )
        assert again.json()["public_key"] == key
    assert run(VapidKey.count()) == 1
    assert api.client.get("/api/push/vapid-public-key").status_code == 401


# ---- subscriptions ------------------------------------------------------------------------


def test_a_device_resubscribing_refreshes_its_row(api, push):
    phone = push.subscriber()
    created = subscribe(api, "tech2", phone.subscription("phone-1"), lang="en")
    assert created["device_id"] == "phone-1" and created["language"] == "en"  # from Accept-Language
    renewed = push.subscriber()  # the browser rotated its subscription
    refreshed = subscribe(
        api, "tech2", renewed.subscription("phone-1", language="zh-CN"), expect=200
    )
    assert refreshed["language"] == "zh-CN" and refreshed["created_at"] == created["created_at"]
    rows = run(PushSubscription.select())
    assert [(r["device_id"], r["endpoint"]) for r in rows] == [("phone-1", renewed.endpoint)]


def test_a_phone_changing_hands_stops_showing_the_previous_holders_orders(api, push):
    shared = push.subscriber()
    subscribe(api, "tech2", shared.subscription("shared-phone"))
    subscribe(api, "tech2b", shared.subscription("shared-phone"))
    rows = run(PushSubscription.select(PushSubscription.user))
    assert [r["user"] for r in rows] == [api.world.uid("tech2b")]
    order = api.create()
    dispatch(api, order["id"], "tech2")
    assert outbox() == []


def test_a_user_keeps_at_most_ten_devices(api, push):
    for n in range(11):
        servertime.travel_to(T0 + timedelta(seconds=n))
        subscribe(api, "tech2", push.subscriber().subscription(f"device-{n}"))
    devices = {r["device_id"] for r in run(PushSubscription.select(PushSubscription.device_id))}
    assert devices == {f"device-{n}" for n in range(1, 11)}  # the one heard from longest ago went


def test_unsubscribing_a_device(api, push):
    phone, tablet = push.subscriber(), push.subscriber()
    subscribe(api, "tech2", phone.subscription("phone"))
    subscribe(api, "tech2", tablet.subscription("tablet"))
    assert (
        api.client.delete("/api/push/subscriptions/phone", headers=api.headers("tech2")).status_code
        == 204
    )
    assert_problem(
        api.client.delete("/api/push/subscriptions/phone", headers=api.headers("tech2")), 404
    )
    # Another user cannot remove someone else's device.
    assert_problem(
        api.client.delete("/api/push/subscriptions/tablet", headers=api.headers("tech2b")), 404
    )
    assert [r["device_id"] for r in run(PushSubscription.select())] == ["tablet"]


BAD_SUBSCRIPTIONS = {
    # (what is wrong, how to spoil a good body, status)
    "unknown field": (lambda b: {**b, "expirationTime": None}, 400),
    "no keys": (lambda b: {k: v for k, v in b.items() if k != "keys"}, 400),
    "device id with spaces": (lambda b: {**b, "device_id": "my phone"}, 400),
    "device id of 65 characters": (lambda b: {**b, "device_id": "d" * 65}, 400),
    "endpoint with NUL": (lambda b: {**b, "endpoint": b["endpoint"] + "\x00"}, 400),
    "endpoint of 3000 characters": (lambda b: {**b, "endpoint": b["endpoint"] + "x" * 3000}, 400),
    "endpoint not ASCII": (lambda b: {**b, "endpoint": b["endpoint"] + "中" * 1000}, 400),
    "language not offered": (lambda b: {**b, "language": "fr"}, 400),
    "p256dh not base64url": (lambda b: {**b, "keys": {**b["keys"], "p256dh": "not base64!"}}, 400),
    "endpoint on an internal host": (
        lambda b: {**b, "endpoint": "http://10.0.0.5:8080/admin"},
        422,
    ),
    "endpoint not a URL": (lambda b: {**b, "endpoint": "push-me"}, 422),
    "endpoint with a bad port": (lambda b: {**b, "endpoint": "http://127.0.0.1:99999/x"}, 422),
    "endpoint with credentials": (
        lambda b: {**b, "endpoint": b["endpoint"].replace("http://", "http://u:p@")},
        422,
    ),
    "p256dh not a curve point": (
        lambda b: {**b, "keys": {**b["keys"], "p256dh": "BA" + "A" * 85}},
        422,
    ),
    "p256dh compressed": (
        lambda b: {**b, "keys": {**b["keys"], "p256dh": b["keys"]["p256dh"][:44]}},
        422,
    ),
    "auth secret of 8 bytes": (lambda b: {**b, "keys": {**b["keys"], "auth": "AAAAAAAAAAA"}}, 422),
    "auth secret of impossible length": (
        lambda b: {**b, "keys": {**b["keys"], "auth": "AAAAA"}},
        422,
    ),
}


@pytest.mark.parametrize("case", BAD_SUBSCRIPTIONS)
def test_bad_subscriptions_are_refused_and_store_nothing(api, push, case):
    spoil, status = BAD_SUBSCRIPTIONS[case]
    body = spoil(push.subscriber().subscription("phone"))
    response = api.client.post(
        "/api/push/subscriptions", json=body, headers=api.headers("tech2", "en")
    )
    problem = assert_problem(response, status)
    if status == 422:
        assert problem["code"] == "push.subscription_invalid" and problem["errors"]
    assert run(PushSubscription.count()) == 0


def test_the_production_allowlist_takes_only_browser_push_services(api):
    body = {
        "device_id": "phone",
        "endpoint": "http://127.0.0.1:9/push/x",
        "keys": {"p256dh": "BA" + "A" * 85, "auth": "A" * 22},
    }
    for endpoint, allowed in [
        ("http://127.0.0.1:9/push/x", False),
        ("https://fcm.googleapis.com/fcm/send/abc", True),
        ("https://web.push.apple.com/QOm2", True),
        ("https://push.apple.com.evil.example/x", False),
    ]:
        response = api.client.post(
            "/api/push/subscriptions",
            json={**body, "endpoint": endpoint},
            headers=api.headers("tech2"),
        )
        codes = [e["code"] for e in response.json()["errors"]]
        assert ("push.endpoint_not_allowed" not in codes) == allowed, endpoint


# ---- what is pushed -----------------------------------------------------------------------


def test_a_new_assignment_reaches_every_device_in_its_language(api, push):
    at(0)
    order = api.create(customer_id=api.world.customers["vip"])
    phone, tablet = push.subscriber(), push.subscriber()
    subscribe(api, "tech2", phone.subscription("phone"), lang="en")
    subscribe(api, "tech2", tablet.subscription("tablet", language="zh-CN"))
    at(1)
    dispatch(api, order["id"], "tech2")
    assert deliver() == 2
    [english] = push.for_subscriber(phone)
    [chinese] = push.for_subscriber(tablet)
    code = order["code"]
    # VIP: a technician must be in contact within 30 minutes of creation, by 10:30 in Chengdu.
    assert english.message == {
        "type": "assigned",
        "title": "New order assigned",
        "body": f"{code} · repair · 锦江片区 · due 23 Nov 10:30",
        "tag": f"wo-{order['id']}",
        "order": order["id"],
        "lang": "en",
        # the tracked notice the service worker reports received (reach/, issue 18)
        "notice": run(ReachNotice.select(ReachNotice.id).first())["id"],
    }
    assert chinese.message["title"] == "新派工单"
    assert chinese.message["body"] == f"{code} · 报修 · 锦江片区 · 时限 11月23日 10:30"
    for delivery in (english, chinese):
        assert delivery.headers["urgency"] == "high"  # a VIP customer
        assert delivery.headers["topic"] == f"wo-{order['id']}"
        assert delivery.headers["ttl"] == str(settings.push_ttl_seconds)
        assert delivery.claims["sub"] == settings.push_vapid_subject
        assert "客户vip" not in json.dumps(delivery.message, ensure_ascii=False)  # no customer data
    assert {r["state"] for r in outbox()} == {"sent"}
    assert deliver() == 0  # nothing is sent twice


def test_transfer_tells_the_previous_holder_and_the_new_one(api, push):
    at(0)
    order = api.create()
    old, new = push.subscriber(), push.subscriber()
    subscribe(api, "tech2", old.subscription("phone"))
    subscribe(api, "tech2b", new.subscription("phone"))
    dispatch(api, order["id"], "tech2")
    deliver()  # (one round sends in parallel: rounds keep the order of arrival known)
    api.step("tech2", order["id"], "accept")
    api.step("dispatcher", order["id"], "transfer", assignee_id=api.world.uid("tech2b"))
    deliver()
    assert [d.message["type"] for d in push.for_subscriber(old)] == ["assigned", "withdrawn"]
    assert (
        push.for_subscriber(old)[1].message["body"]
        == f"{order['code']} · 报修 · 锦江片区:已不再由您处理。"
    )
    assert [d.message["type"] for d in push.for_subscriber(new)] == ["assigned"]
    assert {d.headers["urgency"] for d in push.deliveries} == {"normal"}  # an ordinary order


def test_urge_is_pushed_urgently_with_the_new_contact_deadline(api, push):
    at(0)
    order = api.create()
    phone = push.subscriber()
    dispatch(api, order["id"], "tech2")
    api.step("tech2", order["id"], "accept")
    subscribe(api, "tech2", phone.subscription("phone"), lang="en")
    at(20)
    api.step("agent", order["id"], "urge")
    deliver()
    [urged] = push.for_subscriber(phone)
    assert urged.message["title"] == "Customer chased the order (1×)"
    assert urged.message["body"].endswith("due 23 Nov 10:30")  # 10 minutes from the urge
    assert urged.headers["urgency"] == "high"


def test_own_steps_and_refused_steps_push_nothing(api, push):
    at(0)
    order = api.create()
    subscribe(api, "tech2", push.subscriber().subscription("phone"))
    subscribe(api, "tech1", push.subscriber().subscription("phone"))
    # The routing matrix refuses a repair order for the install team: the step is rolled back.
    api.step("dispatcher", order["id"], "dispatch", expect=422, assignee_id=api.world.uid("tech1"))
    assert outbox() == []
    dispatch(api, order["id"], "tech2")
    api.step("tech2", order["id"], "reject", reason="不在我的片区")  # their own step
    assert [r["notice"] for r in outbox()] == ["assigned"]


# ---- delivery -----------------------------------------------------------------------------


def test_gone_subscription_is_forgotten(api, push):
    at(0)
    phone, tablet = push.subscriber(), push.subscriber()
    subscribe(api, "tech2", phone.subscription("phone"))
    subscribe(api, "tech2", tablet.subscription("tablet"))
    push.script(phone, (410, {}))
    dispatch(api, api.create()["id"], "tech2")
    deliver()
    assert (phone.token, 410) in push.requests
    assert [r["device_id"] for r in run(PushSubscription.select())] == ["tablet"]
    assert len(push.for_subscriber(tablet)) == 1
    dispatch(api, api.create()["id"], "tech2")
    deliver()
    assert [token for token, _ in push.requests].count(phone.token) == 1  # never tried again


def test_429_is_retried_when_the_push_service_says(api, push):
    at(0)
    phone = push.subscriber()
    subscribe(api, "tech2", phone.subscription("phone"))
    push.script(phone, (429, {"Retry-After": "120"}))
    dispatch(api, api.create()["id"], "tech2")
    deliver()
    [row] = outbox()
    assert row["state"] == "pending" and row["last_status"] == 429
    assert row["next_attempt_at"] == T0 + timedelta(seconds=120)
    at(seconds=119)
    assert deliver() == 0 and push.deliveries == []  # not before the push service allows
    at(seconds=120)
    deliver()
    [delivery] = push.wait_for(1)
    assert delivery.headers["ttl"] == str(
        settings.push_ttl_seconds - 120
    )  # the TTL left, not the full one
    assert [status for _, status in push.requests] == [429, 201]
    assert outbox()[0]["state"] == "sent" and outbox()[0]["attempts"] == 2


def test_a_server_error_is_retried_with_backoff(api, push):
    at(0)
    phone = push.subscriber()
    subscribe(api, "tech2", phone.subscription("phone"))
    push.script(phone, (503, {}), (500, {}))
    dispatch(api, api.create()["id"], "tech2")
    deliver()
    first = outbox()[0]["next_attempt_at"]
    assert T0 + timedelta(seconds=2.5) <= first <= T0 + timedelta(seconds=5)
    servertime.travel_to(first)
    deliver()
    second = outbox()[0]["next_attempt_at"]
    assert first + timedelta(seconds=5) <= second <= first + timedelta(seconds=10)  # it doubles
    servertime.travel_to(second)
    deliver()
    assert len(push.deliveries) == 1 and outbox()[0]["state"] == "sent"


def test_a_notification_older_than_its_ttl_is_not_sent(api, push):
    at(0)
    subscribe(api, "tech2", push.subscriber().subscription("phone"))
    dispatch(api, api.create()["id"], "tech2")
    servertime.travel_to(T0 + timedelta(seconds=settings.push_ttl_seconds))
    deliver()
    assert push.requests == [] and outbox()[0]["state"] == "expired"


def test_a_restart_between_enqueue_and_send_still_delivers(api, push, monkeypatch):
    at(0)
    phone = push.subscriber()
    subscribe(api, "tech2", phone.subscription("phone"))
    order = api.create()
    dispatch(api, order["id"], "tech2")  # committed to the outbox; this app sends nothing
    assert push.requests == []
    monkeypatch.setattr(
        "push.worker.settings", replace(settings, push_worker=True, push_poll_seconds=0.05)
    )
    with TestClient(create_app()):  # the next start runs the sender in its lifespan
        [delivery] = push.wait_for(1)
    assert delivery.message["order"] == order["id"]
    assert outbox()[0]["state"] == "sent"


def test_rows_claimed_by_a_sender_that_died_are_sent_after_the_lease(api, push):
    at(0)
    subscribe(api, "tech2", push.subscriber().subscription("phone"))
    dispatch(api, api.create()["id"], "tech2")
    assert len(run(claim(T0, "crashed-sender"))) == 1  # claimed, then the process died
    assert deliver() == 0  # still leased to the dead sender
    at(seconds=61)
    assert deliver() == 1 and len(push.deliveries) == 1
    assert outbox()[0]["attempts"] == 2


# ---- clocks and outages -------------------------------------------------------------------


def test_the_holder_is_warned_once_before_a_clock_breaches(api, push):
    at(0)
    waiting = api.create()  # no one holds it: the dispatcher's console shows it, no push
    order = api.create(
        customer_id=api.world.customers["vip"]
    )  # contact clock: 30 min, at risk from 24
    phone = push.subscriber()
    subscribe(api, "tech2", phone.subscription("phone"), lang="en")
    dispatch(api, order["id"], "tech2")
    deliver()
    at(23)
    assert run(warn_of_clocks()) == 0
    at(24)
    assert run(warn_of_clocks()) == 1
    at(25)
    assert run(warn_of_clocks()) == 0  # once per due time
    deliver()
    warning = push.for_subscriber(phone)[-1]
    assert warning.message["type"] == "clock_warning"
    assert warning.message["title"] == "Order about to breach its time limit"
    assert warning.message["body"] == f"{order['code']} · repair · 锦江片区 · due 23 Nov 10:30"
    assert warning.headers["ttl"] == str(5 * 60)  # worthless after the breach
    assert run(PushClockWarning.select(PushClockWarning.work_order)) == [
        {"work_order": order["id"]}
    ]
    assert waiting["id"] not in {r["work_order"] for r in outbox()}


def test_an_outage_notice_reaches_the_field_staff_of_the_area(api, push):
    """Outage notices are issue 7: their publishing will call enqueue_outage_notice."""
    world = api.world
    run(StaffUser.update({StaffUser.area: world.other_area}).where(StaffUser.username == "tech2b"))
    here, elsewhere, office = push.subscriber(), push.subscriber(), push.subscriber()
    subscribe(api, "tech2", here.subscription("phone"))
    subscribe(api, "tech2b", elsewhere.subscription("phone"))
    subscribe(api, "dispatcher", office.subscription("desk"))
    at(0)
    notice = OutageNotice(
        id=7,
        area="锦江片区",
        location="锦华苑3栋",
        cause="光交箱断纤",
        scope="锦华苑1-5栋宽带",
        estimated_restoration=T0 + timedelta(hours=4),
    )
    run(enqueue_outage_notice(world.area, notice))
    deliver()
    [fault] = push.deliveries
    assert fault.token == here.token
    assert fault.message["title"] == "片区故障:锦江片区"
    assert (
        fault.message["body"]
        == "锦华苑3栋:光交箱断纤。影响范围:锦华苑1-5栋宽带。预计恢复:11月23日 14:00。"
    )
    assert fault.headers["urgency"] == "high" and fault.headers["topic"] == "outage-7"
    at(180)
    run(enqueue_outage_notice(world.area, replace(notice, restored_at=T0 + timedelta(hours=3))))
    deliver()
    restored = push.deliveries[-1]
    assert restored.message["title"] == "故障已恢复:锦江片区"
    assert restored.headers["topic"] == "outage-7"  # replaces the fault notice if not yet shown
