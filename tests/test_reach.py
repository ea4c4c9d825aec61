"""Reaching technicians (SQLite and PostgreSQL): assignments are tracked queued → sent → delivered →
seen; WeCom and SMS (Aliyun, Tencent) reach fake services on loopback that check tokens,
signatures, templates and parameters; undelivered notices escalate to the next channel and unseen
ones alert the dispatchers on the policy's time, with the server clock stood; restarts and
failing channels lose nothing and send nothing twice."""

from __future__ import annotations

import asyncio
import contextlib
import json
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
from litestar.testing import TestClient

import servertime
from app import create_app
from db.engine import is_unique_violation
from db.reach_tables import ReachNotice, ReachOutbox
from db.tables import AuditEntry, StaffUser
from events import hub as hubs
from events.listener import live_events
from reach import records
from reach.worker import open_sender, round_
from settings import settings
from tests.conftest import run
from tests.fake_channels import FakeChannels
from tests.test_bad_input import assert_problem
from tests.test_push import push  # noqa: F401  (the fake push service fixture)

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # Monday 10:00 in Chengdu
MOBILE = "13800138000"
OTHER_MOBILE = "13900139000"


def at(minutes: float = 0) -> datetime:
    instant = T0 + timedelta(minutes=minutes)
    servertime.travel_to(instant)
    return instant


def worker_round() -> int:
    """One round of the reach worker (send, escalate, alert), as the background task runs it."""

    async def go() -> int:
        async with open_sender() as sender:
            return await round_(sender)

    return run(go())


@pytest.fixture
def fake(monkeypatch):
    with FakeChannels() as service:
        monkeypatch.setattr("reach.channels.settings", service.settings(settings))
        yield service
    assert service.errors == [], "every request passed the fake's checks"


def reachable(
    api, username: str, channels: list[str], wecom_user: str = "", mobile: str = MOBILE
) -> None:
    run(StaffUser.update({StaffUser.phone: mobile}).where(StaffUser.username == username))
    response = api.client.put(
        "/api/reach/preferences",
        json={"channels": channels, "wecom_user": wecom_user},
        headers=api.headers(username),
    )
    assert response.status_code == 200, response.text


def dispatched(api, username: str = "tech2") -> dict:
    order = api.create()
    return api.step("dispatcher", order["id"], "dispatch", assignee_id=api.world.uid(username))


def notices(api, order_id: int) -> list[dict]:
    response = api.get("dispatcher", f"/api/reach/orders/{order_id}")
    assert response.status_code == 200, response.text
    return response.json()


def outbox() -> list[dict]:
    return run(ReachOutbox.select().order_by(ReachOutbox.id))


# ---- the life of a notice ---------------------------------------------------------------------


def test_an_assignment_is_queued_sent_on_wecom_delivered_by_the_pull_and_seen_when_opened(
    api, fake
):
    at(0)
    reachable(api, "tech2", ["wecom", "sms"], wecom_user="LiWeiXiu")
    order = dispatched(api)
    [notice] = notices(api, order["id"])
    assert (notice["notice"], notice["state"], notice["recipient_name"]) == (
        "assigned",
        "queued",
        "李维修",
    )
    assert fake.deliveries == []  # nothing leaves before the worker's round

    at(0.1)
    worker_round()
    [message] = fake.of("wecom")
    assert message.to == "LiWeiXiu" and order["code"] in message.text and "新派工单" in message.text
    [notice] = notices(api, order["id"])
    assert (notice["state"], notice["sent_via"]) == ("sent", "wecom")
    assert notice["channels"][0] | {"at": None} == {
        "channel": "wecom",
        "state": "sent",
        "at": None,
        "attempts": 1,
        "error": "",
    }

    at(0.5)
    pulled = api.client.get("/api/sync/pull", headers=api.headers("tech2"))
    assert pulled.status_code == 200 and order["id"] in [o["id"] for o in pulled.json()["orders"]]
    [notice] = notices(api, order["id"])
    assert (notice["state"], notice["delivered_by"], notice["seen_at"]) == (
        "delivered",
        "pull",
        None,
    )

    at(1)
    assert (
        api.post("tech2b", "/api/reach/seen", {"work_order": order["id"]}).status_code == 204
    )  # not theirs
    assert notices(api, order["id"])[0]["state"] == "delivered"
    assert api.post("tech2", "/api/reach/seen", {"work_order": order["id"]}).status_code == 204
    [notice] = notices(api, order["id"])
    assert (notice["state"], notice["seen_by"]) == ("seen", "opened")
    assert datetime.fromisoformat(notice["seen_at"]) == at(1)

    worker_round()  # delivered: no escalation to SMS, ever
    at(60)
    worker_round()
    assert fake.of("aliyun") == [] and len(fake.of("wecom")) == 1


def test_accepting_the_order_counts_as_seen_and_a_reassignment_supersedes(api, fake):
    at(0)
    reachable(api, "tech2", ["wecom"], wecom_user="LiWeiXiu")
    reachable(api, "tech2b", ["wecom"], wecom_user="ZhouWeiXiu")
    order = dispatched(api)
    api.step("tech2", order["id"], "accept")
    [notice] = notices(api, order["id"])
    assert (notice["state"], notice["seen_by"]) == (
        "seen",
        "accept",
    )  # accepted unseen: seen, delivered

    api.step(
        "dispatcher", order["id"], "transfer", assignee_id=api.world.uid("tech2b"), reason="改派"
    )
    first, withdrawn, assigned = notices(api, order["id"])
    assert (withdrawn["notice"], withdrawn["recipient_name"]) == ("withdrawn", "李维修")
    assert first["superseded"] and not withdrawn["superseded"]
    assert (assigned["notice"], assigned["recipient_name"], assigned["state"]) == (
        "assigned",
        "周维修",
        "queued",
    )
    assert withdrawn["alert_at"] is None  # a withdrawn order needs no action: no alert
    worker_round()
    assert sorted(d.to for d in fake.of("wecom")) == ["LiWeiXiu", "ZhouWeiXiu"]


def test_the_service_worker_receipt_delivers_only_the_recipients_notice(api, fake):
    at(0)
    reachable(api, "tech2", ["wecom"], wecom_user="LiWeiXiu")
    order = dispatched(api)
    [notice] = notices(api, order["id"])
    assert_problem(api.post("tech2b", "/api/reach/receipts", {"notice": notice["id"]}), 404)
    assert (
        api.post("dispatcher", "/api/reach/receipts", {"notice": notice["id"]}).status_code == 403
    )
    assert api.post("tech2", "/api/reach/receipts", {"notice": notice["id"]}).status_code == 204
    [notice] = notices(api, order["id"])
    assert (notice["state"], notice["delivered_by"]) == ("delivered", "push")
    assert_problem(api.post("tech2", "/api/reach/receipts", {"notice": 0}), 400)


def test_a_pull_delivers_only_a_version_it_carried(api, fake):
    """A notice committed after the pull read the order (a newer version) waits for the next pull."""
    at(0)
    reachable(api, "tech2", ["wecom"], wecom_user="LiWeiXiu")
    order = dispatched(api)
    api.step("agent", order["id"], "urge")
    first, urged = notices(api, order["id"])
    run(records.delivered_by_pull(api.world.uid("tech2"), {order["id"]: order["version"]}, []))
    first, urged = notices(api, order["id"])
    assert first["state"] == "delivered" and urged["state"] == "queued"


# ---- channels -----------------------------------------------------------------------------------


@pytest.mark.parametrize("provider", ["aliyun", "tencent"])
def test_sms_sends_the_approved_template_with_the_orders_parameters(
    api, fake, monkeypatch, provider
):
    monkeypatch.setattr("reach.channels.settings", fake.settings(settings, sms=provider))
    at(0)
    reachable(api, "tech2", ["sms"])
    order = dispatched(api)
    worker_round()
    [sms] = fake.of(provider)
    assert sms.to == (MOBILE if provider == "aliyun" else f"+86{MOBILE}")
    expected = {"action": "新派工单", "code": order["code"], "kind": "报修", "area": "锦江片区"}
    if provider == "aliyun":
        assert sms.parameters | {"due": None} == expected | {"due": None}
    else:
        assert sms.parameters[:4] == list(expected.values())
    assert notices(api, order["id"])[0]["state"] == "sent"


def test_an_unconfigured_channel_is_skipped_never_an_error(api):
    """No WeCom or SMS credentials (the default): a notice for someone reachable only there stays
    queued, and the dispatchers are alerted in time; no request fails."""
    at(0)
    reachable(api, "tech2", ["wecom", "sms"], wecom_user="LiWeiXiu")
    order = dispatched(api)
    worker_round()
    assert outbox() == []
    [notice] = notices(api, order["id"])
    assert (notice["state"], notice["channels"]) == ("queued", [])
    prefs = api.get("tech2", "/api/reach/preferences").json()
    assert (
        prefs["configured"] == ["webpush"]
        and prefs["mobile"] is True
        and prefs["channels"] == ["wecom", "sms"]
    )
    at(21)
    worker_round()
    assert [a["id"] for a in api.get("dispatcher", "/api/reach/alerts").json()] == [notice["id"]]


def test_wecom_token_is_reused_and_fetched_again_when_it_expires(api, fake):
    at(0)
    reachable(api, "tech2", ["wecom"], wecom_user="LiWeiXiu")

    async def two_rounds_one_sender() -> None:
        async with open_sender() as sender:
            dispatched(api)
            await round_(sender)
            dispatched(api)
            await round_(sender)
            fake.expire_tokens()
            dispatched(api)
            await round_(sender)

    run(two_rounds_one_sender())
    assert len(fake.of("wecom")) == 3 and fake.token_fetches == 2


def test_a_rate_limited_channel_pauses_and_a_refusing_one_escalates_at_once(api, fake):
    at(0)
    reachable(api, "tech2", ["wecom", "sms"], wecom_user="LiWeiXiu")
    one, two = dispatched(api), dispatched(api)
    fake.script("wecom", {"errcode": 45009, "errmsg": "api freq out of limit"})
    worker_round()
    assert fake.of("wecom") == []  # the second was not tried while the channel was limited
    rows = outbox()
    assert [r["state"] for r in rows] == ["pending", "pending"]
    assert all(r["next_attempt_at"] >= at(0) + timedelta(seconds=60) for r in rows)
    assert rows[0]["last_error"].startswith("wecom:45009")
    at(0.5)
    worker_round()
    assert fake.of("wecom") == []  # still waiting: the limit is honoured
    at(1.1)
    worker_round()
    assert len(fake.of("wecom")) == 2
    assert [n["state"] for n in notices(api, one["id"]) + notices(api, two["id"])] == [
        "sent",
        "sent",
    ]

    three = dispatched(api)
    fake.script("wecom", {"errcode": 81013, "errmsg": "user & party & tag all invalid"})
    worker_round()
    [refused] = [r for r in outbox() if r["state"] == "failed"]
    assert refused["last_status"] == "wecom:81013"
    worker_round()  # the next round takes the next channel, without waiting for the policy's time
    assert [s.to for s in fake.of("aliyun")] == [MOBILE]
    [notice] = notices(api, three["id"])
    assert [(c["channel"], c["state"]) for c in notice["channels"]] == [
        ("wecom", "failed"),
        ("sms", "sent"),
    ]


def test_a_server_error_is_retried_with_backoff_and_sent_once(api, fake):
    at(0)
    reachable(api, "tech2", ["sms"])
    dispatched(api)
    fake.script("aliyun", 503, {"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "触发分钟级流控"})
    worker_round()
    [row] = outbox()
    assert row["state"] == "pending" and timedelta(seconds=2) <= row["next_attempt_at"] - at(
        0
    ) <= timedelta(seconds=5)
    at(0.1)
    worker_round()
    [row] = outbox()
    assert row["last_status"] == "aliyun:isv.BUSINESS_LIMIT_CONTROL" and row[
        "next_attempt_at"
    ] >= at(0.1) + timedelta(seconds=60)
    at(2)
    worker_round()
    at(3)
    worker_round()
    assert len(fake.of("aliyun")) == 1 and outbox()[0]["state"] == "sent"


NUMBER_LIMITED = {
    "aliyun": {"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "触发小时级流控Permits:5"},
    "tencent": {
        "Response": {
            "SendStatusSet": [
                {
                    "Code": "LimitExceeded.PhoneNumberOneHourLimit",
                    "Message": "单个手机号1小时内超限",
                }
            ],
            "RequestId": "limited",
        }
    },
}


def as_sent(provider: str, mobile: str) -> str:
    """A mobile number as the provider receives it."""
    return mobile if provider == "aliyun" else f"+86{mobile}"


@pytest.mark.parametrize("provider", ["aliyun", "tencent"])
def test_one_numbers_sms_limit_holds_back_only_that_numbers_sms(api, fake, monkeypatch, provider):
    """A provider's limit for one mobile number (Aliyun isv.BUSINESS_LIMIT_CONTROL, Tencent
    LimitExceeded.PhoneNumber*): everyone else's SMS goes out at once; that number's is tried
    again less and less often, and its notice escalates on the policy's time as usual."""
    monkeypatch.setattr("reach.channels.settings", fake.settings(settings, sms=provider))
    at(0)
    reachable(api, "tech2", ["sms", "wecom"], wecom_user="LiWeiXiu")
    reachable(api, "tech2b", ["sms"], mobile=OTHER_MOBILE)
    fake.limit_number(as_sent(provider, MOBILE), NUMBER_LIMITED[provider])
    limited, other = dispatched(api, "tech2"), dispatched(api, "tech2b")
    worker_round()
    assert [s.to for s in fake.of(provider)] == [as_sent(provider, OTHER_MOBILE)]
    assert notices(api, other["id"])[0]["state"] == "sent"

    tried_at = [0]
    for minute in range(1, 31):
        at(minute)
        worker_round()
        [row] = [r for r in outbox() if r["channel"] == "sms" and r["address"] == MOBILE]
        if row["attempts"] > len(tried_at):
            tried_at.append(minute)
    waits = [b - a for a, b in zip(tried_at, tried_at[1:], strict=False)]
    assert len(tried_at) <= 8 and waits[-1] >= 4 * waits[0], tried_at  # not every minute
    assert row["state"] == "pending" and row["last_status"].split(":")[1].startswith(
        ("isv.BUSINESS_LIMIT_CONTROL", "LimitExceeded.PhoneNumber")
    )
    assert [m.to for m in fake.of("wecom")] == ["LiWeiXiu"]  # escalated at a third of 30 minutes
    [notice] = notices(api, limited["id"])
    assert [(c["channel"], c["state"]) for c in notice["channels"]] == [
        ("sms", "pending"),
        ("wecom", "sent"),
    ]

    fake.limit_number(as_sent(provider, MOBILE), None)  # the number's window is over
    at(46)
    worker_round()
    assert sorted(s.to for s in fake.of(provider)) == sorted(
        as_sent(provider, m) for m in (MOBILE, OTHER_MOBILE)
    )


def test_a_row_that_keeps_drawing_the_apps_limit_does_not_hold_back_the_others(api, fake):
    """The provider answers its limit for the whole app (Throttling.User) to one technician's SMS
    every time (as a per-number limit under a code not known here would): the channel pauses,
    then the SMS it held back goes first; the row that drew it waits longer."""
    at(0)
    reachable(api, "tech2", ["sms"])
    reachable(api, "tech2b", ["sms"], mobile=OTHER_MOBILE)
    fake.limit_number(MOBILE, {"Code": "Throttling.User", "Message": "Request was denied"})
    dispatched(api, "tech2")
    dispatched(api, "tech2b")
    worker_round()
    assert fake.of("aliyun") == []  # the channel waits for the limit
    at(0.5)
    worker_round()
    assert fake.of("aliyun") == []
    at(1.02)
    worker_round()
    assert [s.to for s in fake.of("aliyun")] == [OTHER_MOBILE]


def test_an_sms_the_provider_took_before_the_worker_died_is_not_sent_again(api, fake):
    """The worker dies after the provider took the SMS and before its answer (no provider takes an
    idempotency key): when the lease runs out the SMS is not sent again but recorded as unknown,
    and the notice goes on as if it failed: to WeCom at once."""
    at(0)
    reachable(api, "tech2", ["sms", "wecom"], wecom_user="LiWeiXiu")
    order = dispatched(api)
    fake.stall("aliyun", 3)

    async def dies_mid_send() -> None:
        async with open_sender() as sender:
            worker = asyncio.create_task(round_(sender))
            while not fake.of("aliyun"):
                await asyncio.sleep(0.02)
            worker.cancel()  # killed: nothing after the provider's call runs
            with contextlib.suppress(asyncio.CancelledError):
                await worker

    run(dies_mid_send())
    assert [s.to for s in fake.of("aliyun")] == [MOBILE]
    at(0.5)
    worker_round()
    assert fake.of("wecom") == []  # its lease still holds
    at(1.1)
    worker_round()
    assert [m.to for m in fake.of("wecom")] == ["LiWeiXiu"]
    [notice] = notices(api, order["id"])
    assert [(c["channel"], c["state"]) for c in notice["channels"]] == [
        ("sms", "unknown"),
        ("wecom", "sent"),
    ]
    at(30)
    worker_round()
    assert len(fake.of("aliyun")) == 1


def test_an_sms_whose_answer_never_came_is_not_resent_and_the_dispatchers_are_alerted(
    api, fake, monkeypatch
):
    """The provider's answer times out: the SMS may have gone, so it is not sent again; with no
    channel left, the dispatchers are alerted on the policy's time."""
    monkeypatch.setattr("reach.providers.TIMEOUT", aiohttp.ClientTimeout(total=0.5))
    at(0)
    reachable(api, "tech2", ["sms"])
    order = dispatched(api)
    fake.stall("aliyun", 2)
    worker_round()
    [row] = outbox()
    assert (row["state"], row["last_status"]) == ("unknown", "TimeoutError:")
    for minute in (1, 10, 20.2):
        at(minute)
        worker_round()
    assert len(fake.of("aliyun")) == 1
    [alert] = api.get("dispatcher", "/api/reach/alerts").json()
    assert (alert["work_order"], alert["state"]) == (order["id"], "queued")


def test_wecom_and_sms_still_queued_are_dropped_once_the_phone_has_the_notice(api, fake):
    """WeCom is busy when the notices are queued; meanwhile the phone gets them (one by its
    service worker's receipt, one by a pull): no WeCom message or SMS follows."""
    at(0)
    reachable(api, "tech2", ["wecom", "sms"], wecom_user="LiWeiXiu")
    by_receipt = dispatched(api)
    fake.script("wecom", 503, 503)
    worker_round()
    assert fake.of("wecom") == []
    [notice] = notices(api, by_receipt["id"])
    at(0.2)
    assert api.post("tech2", "/api/reach/receipts", {"notice": notice["id"]}).status_code == 204
    by_pull = dispatched(api)
    at(0.5)
    assert api.client.get("/api/sync/pull", headers=api.headers("tech2")).status_code == 200
    assert [notices(api, o["id"])[0]["state"] for o in (by_receipt, by_pull)] == [
        "delivered",
        "delivered",
    ]
    for minute in (1, 15):
        at(minute)
        worker_round()
    assert fake.deliveries == []
    assert [r["state"] for r in outbox()] == ["dropped", "dropped"]


def test_nothing_is_lost_or_sent_twice_across_a_restart(api, fake, db):
    """Queued by one app, which stops before sending (or dies holding a lease): the next app's
    worker sends each notice once."""
    at(0)
    reachable(api, "tech2", ["wecom"], wecom_user="LiWeiXiu")
    dispatched(api)
    api.client.__exit__(None, None, None)  # the first app process stops
    with TestClient(create_app()):
        from push.worker import claim_due
        from reach.worker import CLAIMED_COLUMNS

        dispatched_later = run(ReachNotice.count())
        assert dispatched_later == 1
        # a worker claims the row and dies before sending it
        assert len(run(claim_due(ReachOutbox, CLAIMED_COLUMNS, at(0), "dead", 10))) == 1
        worker_round()
        assert fake.deliveries == []  # held by the lease
        at(1.1)
        worker_round()
        worker_round()
        assert len(fake.of("wecom")) == 1
    assert [r["state"] for r in outbox()] == ["sent"]
    assert run(ReachOutbox.count()) == 1  # one row per notice and channel, ever


def test_a_notice_is_queued_once_per_channel(api, fake):
    at(0)
    reachable(api, "tech2", ["wecom"], wecom_user="LiWeiXiu")
    order = dispatched(api)
    [notice] = notices(api, order["id"])
    with pytest.raises(Exception) as refused:  # noqa: B017  (each driver has its own class for it)
        run(ReachOutbox.insert(ReachOutbox(notice=notice["id"], channel="wecom", address="again")))
    assert is_unique_violation(refused.value)


# ---- escalation on the policy's time ------------------------------------------------------------


def test_escalation_and_alert_follow_the_policy_in_force_when_queued(api, fake):
    """Defaults from the contact clock (30 minutes without a limit for the order's class): the next
    channel at a third, the dispatchers at two thirds. A new policy applies to later notices only."""
    at(0)
    reachable(api, "tech2", ["wecom", "sms"], wecom_user="LiWeiXiu")
    order = dispatched(api)
    worker_round()
    assert len(fake.of("wecom")) == 1 and fake.of("aliyun") == []
    at(9.8)
    worker_round()
    assert fake.of("aliyun") == []
    at(10)
    worker_round()
    assert [s.to for s in fake.of("aliyun")] == [MOBILE]  # escalated once, sent once
    at(20)
    worker_round()
    assert api.get("dispatcher", "/api/reach/alerts").json() == []
    at(20.2)
    worker_round()
    [alert] = api.get("dispatcher", "/api/reach/alerts").json()
    assert (alert["work_order"], alert["state"]) == (order["id"], "sent")
    assert datetime.fromisoformat(alert["alerted_at"]) == at(20.2)
    at(30)
    worker_round()
    assert len(api.get("dispatcher", "/api/reach/alerts").json()) == 1  # alerted once

    assert (
        api.post("dispatcher", "/api/policies/escalation", {"deliver_minutes": 2}).status_code
        == 403
    )
    assert_problem(api.post("supervisor", "/api/policies/escalation", {"seen_percent": 0}), 400)
    response = api.post(
        "supervisor", "/api/policies/escalation", {"deliver_minutes": 2, "seen_minutes": 5}
    )
    assert response.status_code == 201, response.text
    later = dispatched(api)
    at(32.1)
    worker_round()
    assert len(fake.of("aliyun")) == 2  # the new notice escalated after 2 minutes
    at(35.1)
    worker_round()
    assert {a["work_order"] for a in api.get("dispatcher", "/api/reach/alerts").json()} == {
        order["id"],
        later["id"],
    }
    history = api.get("dispatcher", "/api/policies/escalation?history=true").json()
    assert [h["deliver_minutes"] for h in history] == [0, 2] and history[0][
        "effective_from"
    ] is None
    assert run(AuditEntry.count().where(AuditEntry.action == "policy.escalation")) == 1

    # seen at last: off the alerts
    api.post("tech2", "/api/reach/seen", {"work_order": order["id"]})
    assert {a["work_order"] for a in api.get("dispatcher", "/api/reach/alerts").json()} == {
        later["id"]
    }


def test_an_urge_alerts_sooner_its_contact_limit_being_ten_minutes(api, fake):
    at(0)
    reachable(api, "tech2", ["wecom"], wecom_user="LiWeiXiu")
    order = dispatched(api)
    api.post("tech2", "/api/reach/seen", {"work_order": order["id"]})
    at(1)
    api.step("agent", order["id"], "urge")
    urged = notices(api, order["id"])[-1]
    assert urged["notice"] == "urged"
    assert datetime.fromisoformat(urged["alert_at"]) - at(1) == timedelta(minutes=10) * 67 / 100


# ---- the live stream ----------------------------------------------------------------------------


def test_every_move_of_a_notice_is_a_live_event(api, fake, db):
    at(0)
    reachable(api, "tech2", ["wecom"], wecom_user="LiWeiXiu")
    order = dispatched(api)
    [notice] = notices(api, order["id"])

    async def scenario() -> list[dict]:
        async with live_events(None):
            subscription = hubs.current().subscribe()
            async with open_sender() as sender:
                await round_(sender)
            await records.delivered_by_push(notice["recipient"], notice["id"])
            from db.engine import write_transaction

            async with write_transaction():
                await records.seen(notice["recipient"], order["id"], "opened")
            got = []
            while len(got) < 3:
                event = await subscription.next(5)
                assert event is not None, got
                if event.name == "notice":
                    got.append(json.loads(event.data))
            return got

    got = run(scenario())
    assert [(e["id"], e["state"]) for e in got] == [
        (notice["id"], "sent"),
        (notice["id"], "delivered"),
        (notice["id"], "seen"),
    ]


def test_the_alert_event_tells_how_far_the_notice_got(api, db):
    """No channel could send the notice (WeCom is not configured): the dispatchers' live alert
    says it is still queued, not sent."""
    at(0)
    reachable(api, "tech2", ["wecom"], wecom_user="LiWeiXiu")
    order = dispatched(api)
    at(21)

    async def alerted() -> dict:
        async with live_events(None):
            subscription = hubs.current().subscribe()
            assert await records.alert_due() == 1
            while (event := await subscription.next(5)) is not None:
                if event.name == "notice":
                    return json.loads(event.data)
        raise AssertionError("no notice event")

    event = run(alerted())
    assert (event["work_order"], event["state"], event["alert"]) == (order["id"], "queued", True)


def test_preferences_are_validated_and_audited(api):
    response = api.client.put(
        "/api/reach/preferences", json={"channels": ["pigeon"]}, headers=api.headers("tech2")
    )
    assert_problem(response, 400)
    response = api.client.put(
        "/api/reach/preferences",
        json={"channels": ["sms", "webpush"], "wecom_user": "a b"},
        headers=api.headers("tech2"),
    )
    assert_problem(response, 400)
    response = api.client.put(
        "/api/reach/preferences",
        json={"channels": ["sms", "webpush"]},
        headers=api.headers("tech2"),
    )
    assert response.json()["channels"] == ["sms", "webpush"] and response.json()["own"] is True
    assert run(AuditEntry.count().where(AuditEntry.action == "reach.preferences")) == 1
    assert api.get("tech2b", "/api/reach/preferences").json()["channels"] == list(
        settings.reach_channels
    )


# ---- web push in the chain ----------------------------------------------------------------------


def test_web_push_first_then_wecom_when_the_push_service_drops_the_phone(api, fake, push):
    """The phone's push subscription is gone (410, as when a browser drops it): the notice goes to
    WeCom in the next round, without waiting for the policy's time. The push carried the notice's
    id, which the service worker reports as a receipt."""
    from tests.test_push import deliver, subscribe

    at(0)
    phone = push.subscriber()
    subscribe(api, "tech2", phone.subscription("phone"))
    reachable(api, "tech2", ["webpush", "wecom"], wecom_user="LiWeiXiu")
    order = dispatched(api)
    deliver()
    [first] = push.for_subscriber(phone)
    [notice] = notices(api, order["id"])
    assert first.message["notice"] == notice["id"] and (notice["state"], notice["sent_via"]) == (
        "sent",
        "webpush",
    )

    second = dispatched(api)
    push.script(phone, (410, {}))
    deliver()
    worker_round()
    assert [m.text.split("\n")[0] for m in fake.of("wecom")] == ["新派工单"]
    [notice] = notices(api, second["id"])
    assert (notice["state"], notice["sent_via"]) == ("sent", "wecom")
    assert [c["channel"] for c in notice["channels"]] == [
        "wecom"
    ]  # the push row went with its subscription


def test_a_supervisor_sets_a_technicians_wecom_id_and_nobody_else_can(api):
    tech = api.world.uid("tech2")
    assert (
        api.client.put(
            f"/api/reach/preferences/{tech}",
            json={"wecom_user": "LiWeiXiu"},
            headers=api.headers("dispatcher"),
        ).status_code
        == 403
    )
    assert api.get("tech2b", f"/api/reach/preferences/{tech}").status_code == 403
    response = api.client.put(
        f"/api/reach/preferences/{tech}",
        json={"channels": ["wecom"], "wecom_user": "LiWeiXiu"},
        headers=api.headers("supervisor"),
    )
    assert response.status_code == 200 and response.json()["wecom_user"] == "LiWeiXiu"
    assert api.get("tech2", "/api/reach/preferences").json()["channels"] == ["wecom"]
    assert_problem(api.get("supervisor", "/api/reach/preferences/999999"), 404)
    [entry] = run(AuditEntry.select().where(AuditEntry.action == "reach.preferences"))
    assert (entry["actor"], entry["target"]) == (api.world.uid("supervisor"), f"user/{tech}")
