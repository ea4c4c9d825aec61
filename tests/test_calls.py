"""Calls to customers (issue 19, item 1; §2.1.3 B a, d) through the API, on both engines: the
telephony system's key, its reports (idempotent by call id), taps recorded as attempts and matched
to the reported call, rest hours and the length limit (a versioned policy), and the report figures."""

from __future__ import annotations

from datetime import timedelta

import pytest

from db.call_tables import CallRecord
from db.tables import AuditEntry
from tests.conftest import run
from tests.test_work_orders import T0, at

CUSTOMER_PHONE = None  # the order's contact number, read from the order


def _key(api, name: str = "呼叫中心") -> str:
    response = api.post("admin", "/api/system-clients", {"name": name})
    assert response.status_code == 201, response.text
    return response.json()["key"]


def _report(api, key: str, expect: int | None = None, **body):
    response = api.client.post(
        "/api/telephony/calls", json=body, headers={"Authorization": f"Bearer {key}"}
    )
    if expect is not None:
        assert response.status_code == expect, response.text
    return response


def _iso(instant) -> str:
    return instant.isoformat()


def _call(
    order: dict, call_id: str, start, talk_seconds: int | None, agent: str = "dispatcher", **extra
) -> dict:
    body = {
        "call_id": call_id,
        "order_code": order["code"],
        "agent": agent,
        "caller": "8001",
        "callee": order["contact_phone"],
        "started_at": _iso(start),
        "recording_ref": f"rec/{call_id}.wav",
    }
    if talk_seconds is not None:
        body |= {
            "answered_at": _iso(start + timedelta(seconds=10)),
            "ended_at": _iso(start + timedelta(seconds=10 + talk_seconds)),
        }
    return body | extra


def test_a_reported_call_is_idempotent_by_its_call_id(api):
    at(0)
    order = api.create()
    key = _key(api)
    first = _report(api, key, 201, **_call(order, "CC-1", T0, None)).json()
    assert (
        first["origin"] == "telephony"
        and first["ended_at"] is None
        and first["within_limit"] is None
    )
    # The same report again: nothing new.
    again = _report(api, key, 200, **_call(order, "CC-1", T0, None)).json()
    assert again == first
    # A later report of the same call fills in the answer and the end: 2 minutes of talk.
    ended = _report(api, key, 200, **_call(order, "CC-1", T0, 120)).json()
    assert ended["id"] == first["id"] and ended["seconds"] == 120 and ended["within_limit"] is True
    assert ended["recorded"] is True and ended["in_rest_hours"] is False
    # A report contradicting what was reported is refused and changes nothing.
    conflict = _report(api, key, 409, **_call(order, "CC-1", T0, 120, callee="13900000000"))
    assert "callee" in conflict.json()["detail"]
    assert run(CallRecord.count()) == 1
    assert [
        c["id"] for c in api.get("dispatcher", f"/api/work-orders/{order['id']}/calls").json()
    ] == [first["id"]]
    actions = [
        r["action"]
        for r in run(AuditEntry.select(AuditEntry.action).where(AuditEntry.action.like("call.%")))
    ]
    assert actions == ["call.reported", "call.report_updated"]


def test_the_telephony_key_is_a_system_credential_of_its_own(api):
    at(0)
    order = api.create()
    body = _call(order, "CC-2", T0, 60)
    assert api.client.post("/api/telephony/calls", json=body).status_code == 401
    key = _key(api)
    key_id, secret = key.removeprefix("fsc_").split(".")
    assert _report(api, f"fsc_{key_id}.{'x' * len(secret)}").status_code == 401  # wrong secret
    assert _report(api, f"fsc_{key_id}").status_code == 401  # malformed
    # A person's token is not the telephony system's, and its key opens nothing of a person's.
    assert api.post("dispatcher", "/api/telephony/calls", body).status_code == 403
    assert (
        api.client.get("/api/work-orders", headers={"Authorization": f"Bearer {key}"}).status_code
        == 403
    )
    assert (
        api.client.get("/api/auth/me", headers={"Authorization": f"Bearer {key}"}).status_code
        == 403
    )
    # Only admins hold keys; the list never shows a secret.
    assert api.post("supervisor", "/api/system-clients", {"name": "x"}).status_code == 403
    listed = api.get("admin", "/api/system-clients").json()
    assert (
        listed[0]["key"] is None
        and listed[0]["key_id"] == key_id
        and listed[0]["last_used_at"] is None
    )
    assert _report(api, key, 201, **body)
    assert api.get("admin", "/api/system-clients").json()[0]["last_used_at"] is not None
    assert api.post("admin", f"/api/system-clients/{listed[0]['id']}/deactivate").status_code == 200
    assert _report(api, key, **_call(order, "CC-3", T0, 60)).status_code == 401
    audit = {r["action"] for r in run(AuditEntry.select(AuditEntry.action))}
    assert {"system_client.create", "system_client.deactivate"} <= audit


def test_a_tap_is_an_attempt_until_the_telephony_system_reports_its_call(api):
    at(0)
    order = api.create()
    tapped = api.post(
        "dispatcher", f"/api/work-orders/{order['id']}/calls", {"tapped_on": "console"}
    )
    assert tapped.status_code == 201, tapped.text
    attempt = tapped.json()
    assert (
        attempt["origin"] == "attempt"
        and attempt["recorded"] is False
        and attempt["urgent"] is False
    )
    assert attempt["callee"] == order["contact_phone"] and attempt["staff"]["name"] == "王调度"
    at(0.5)  # a second tap, after the first one's call started
    second = api.post(
        "dispatcher", f"/api/work-orders/{order['id']}/calls", {"tapped_on": "console"}
    ).json()
    reported = _report(
        api, _key(api), 201, **_call(order, "CC-9", T0 + timedelta(seconds=20), 200)
    ).json()
    # The first tap's call: that attempt became the reported call, now recorded, over 3 minutes.
    assert reported["id"] == attempt["id"] and reported["tapped_on"] == "console"
    calls = api.get("dispatcher", f"/api/work-orders/{order['id']}/calls").json()
    assert [c["id"] for c in calls] == [attempt["id"], second["id"]]
    assert (
        calls[0]["recorded"] is True
        and calls[0]["within_limit"] is False
        and calls[1]["origin"] == "attempt"
    )
    assert calls[0]["seconds"] == 200 and calls[0]["max_minutes"] == 3
    # A call by someone else, or to another number, is not a tap's.
    other = _report(
        api,
        _key(api, "备用"),
        201,
        **_call(order, "CC-10", T0 + timedelta(seconds=40), 30, agent="dispatcher2"),
    ).json()
    assert other["id"] not in (attempt["id"], second["id"]) and other["tapped_on"] == ""


def test_technicians_tap_and_read_the_calls_of_their_own_orders_only(api):
    at(0)
    order = api.create()
    api.step("dispatcher", order["id"], "dispatch", assignee_id=api.world.uid("tech2"))
    assert (
        api.post(
            "tech2", f"/api/work-orders/{order['id']}/calls", {"tapped_on": "phone"}
        ).status_code
        == 201
    )
    assert (
        api.post(
            "tech2b", f"/api/work-orders/{order['id']}/calls", {"tapped_on": "phone"}
        ).status_code
        == 404
    )
    assert api.get("tech2b", f"/api/work-orders/{order['id']}/calls").status_code == 404
    assert [
        c["tapped_on"] for c in api.get("tech2", f"/api/work-orders/{order['id']}/calls").json()
    ] == ["phone"]


def test_rest_hours_and_the_limit_are_a_versioned_policy(api):
    at(150)  # 12:30 local: the lunch rest of the default policy
    order = api.create()
    # The console asked first; the dispatcher dialled anyway: an urgent case, recorded as such.
    tapped = api.post(
        "dispatcher",
        f"/api/work-orders/{order['id']}/calls",
        {"tapped_on": "console", "urgent": True},
    ).json()
    assert tapped["in_rest_hours"] is True and tapped["urgent"] is True
    audit = run(
        AuditEntry.select()
        .where(AuditEntry.action == "call.attempt")
        .first()
        .output(load_json=True)
    )
    assert audit["payload"] == {"tapped_on": "console", "urgent": True}
    assert api.get("dispatcher", "/api/policies/calls").json()[0]["rest_hours"] == [
        {"start": "12:00", "end": "14:00"},
        {"start": "21:00", "end": "08:00"},
    ]
    at(151)
    body = {"max_minutes": 5, "rest_hours": [{"start": "22:00", "end": "07:30"}]}
    assert api.post("dispatcher", "/api/policies/calls", body).status_code == 403
    set_ = api.post("supervisor", "/api/policies/calls", body)
    assert set_.status_code == 201, set_.text
    at(152)
    later = api.post(
        "dispatcher", f"/api/work-orders/{order['id']}/calls", {"tapped_on": "console"}
    ).json()
    assert later["in_rest_hours"] is False and later["max_minutes"] == 5
    calls = api.get("dispatcher", f"/api/work-orders/{order['id']}/calls").json()
    # The first tap keeps the verdict of the policy it was made under.
    assert [c["in_rest_hours"] for c in calls] == [True, False] and [
        c["max_minutes"] for c in calls
    ] == [3, 5]
    assert (
        len(api.get("agent", "/api/policies/calls?history=true").json()) == 2
    )  # the default, then this
    bad = api.post(
        "supervisor",
        "/api/policies/calls",
        {"max_minutes": 3, "rest_hours": [{"start": "25:00", "end": "07:00"}]},
    )
    assert bad.status_code == 400
    same = api.post(
        "supervisor",
        "/api/policies/calls",
        {"max_minutes": 3, "rest_hours": [{"start": "07:00", "end": "07:00"}]},
    )
    assert (
        same.status_code == 422
        and len(api.get("agent", "/api/policies/calls?history=true").json()) == 2
    )


def test_bad_reports_are_refused_and_change_nothing(api):
    at(0)
    order = api.create()
    key = _key(api)
    late_answer = _call(order, "CC-5", T0, 60) | {"answered_at": _iso(T0 - timedelta(seconds=5))}
    assert _report(api, key, 422, **late_answer).json()["title"]
    assert (
        _report(api, key, 422, **_call(order, "CC-6", T0, 60, order_code="NOPE-1")).status_code
        == 422
    )
    assert _report(api, key, 422, **_call(order, "CC-7", T0, 60, agent="nobody")).status_code == 422
    assert _report(api, key, 400, **_call(order, "CC-8", T0, 60, extra_field=1)).status_code == 400
    assert (
        _report(
            api, key, 400, **_call(order, "CC-8", T0, 60, started_at="2026-11-23T10:00:00")
        ).status_code
        == 400
    )
    assert run(CallRecord.count()) == 0


def test_the_reports_count_call_length_rest_hours_and_recording(api):
    at(0)
    order = api.create()
    key = _key(api)
    _report(api, key, 201, **_call(order, "R-1", T0, 120))  # 2 min, recorded, 10:00
    _report(
        api, key, 201, **_call(order, "R-2", T0 + timedelta(minutes=10), 300)
    )  # 5 min: over the limit
    at(150)  # 12:30, lunch rest: a tap never reported
    api.post("dispatcher", f"/api/work-orders/{order['id']}/calls", {"tapped_on": "console"})
    report = api.get("supervisor", "/api/reports?from=2026-11-23&to=2026-11-23").json()
    figures = {f["key"]: f for g in report["groups"] if g["key"] == "calls" for f in g["figures"]}
    assert (
        figures["calls_within_limit"]["numerator"],
        figures["calls_within_limit"]["denominator"],
    ) == (1, 2)
    assert (
        figures["calls_outside_rest_hours"]["numerator"],
        figures["calls_outside_rest_hours"]["denominator"],
    ) == (2, 3)
    assert (figures["calls_recorded"]["numerator"], figures["calls_recorded"]["denominator"]) == (
        2,
        3,
    )
    assert figures["call_minutes"]["value"] == 3.5
    csv = api.get("supervisor", "/api/reports.csv?from=2026-11-23&to=2026-11-23").text
    assert "电联客户,通话时长达标率,50.0%,1,2,0," in csv
    assert "电联客户,呼叫中心系统录音率,66.7%,2,3,0,100%" in csv


def test_the_command_line_creates_a_key_that_the_api_accepts(tmp_path):
    """An operator without an admin account at hand: `cli.py create-system-client NAME` on the machine."""
    import os
    import subprocess
    import sys

    from litestar.testing import TestClient
    from piccolo.engine.sqlite import SQLiteEngine

    from app import create_app
    from db.engine import bind
    from tests.conftest import ROOT, migrate

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    migrate(url)
    env = {**os.environ, "DATABASE_URL": url}
    made = subprocess.run(
        [sys.executable, "cli.py", "create-system-client", "呼叫中心"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert made.returncode == 0, made.stderr
    key = made.stdout.strip().splitlines()[-1]
    again = subprocess.run(
        [sys.executable, "cli.py", "create-system-client", "呼叫中心"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert again.returncode == 1 and "exists" in again.stderr
    bind(SQLiteEngine(path=str(tmp_path / "cli.db"), timeout=30))
    with TestClient(create_app(), raise_server_exceptions=False) as client:
        body = {
            "call_id": "C-1",
            "caller": "96123",
            "callee": "13800000000",
            "started_at": "2026-11-23T02:00:00+00:00",
        }
        assert (
            client.post(
                "/api/telephony/calls", json=body, headers={"Authorization": f"Bearer {key}"}
            ).status_code
            == 201
        )


@pytest.mark.parametrize("tapped_first", [False, True])
def test_two_identical_reports_at_once_answer_like_a_report_and_its_repeat(
    api, engine_name, monkeypatch, tapped_first
):
    """The telephony system sends the same report twice at once (a retry racing the first): one
    is the call (201), the other its repeat (200), one row, one `call.reported`. On PostgreSQL
    both are held until each has looked for the call id and found none, so the second meets the
    first's row (by its call id, or the tap both matched) only when it writes."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    from services.calls import service

    at(0)
    order = api.create()
    key = _key(api)
    if tapped_first:
        api.post("dispatcher", f"/api/work-orders/{order['id']}/calls", {"tapped_on": "console"})
    if engine_name == "postgres":  # SQLite's writers queue for the database: they cannot race
        original, arrived, both = service._matching_attempt, [], asyncio.Event()

        async def together(*args):
            arrived.append(1)
            if len(arrived) == 2:
                both.set()
            await asyncio.wait_for(both.wait(), 10)
            return await original(*args)

        monkeypatch.setattr(service, "_matching_attempt", together)
    body = _call(order, "CC-20", T0 + timedelta(seconds=5), 60)
    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(lambda _: _report(api, key, **body), range(2)))
    assert sorted(a.status_code for a in answers) == [200, 201], [a.text for a in answers]
    assert answers[0].json() == answers[1].json()
    assert run(CallRecord.count()) == 1
    reported = run(AuditEntry.count().where(AuditEntry.action == "call.reported"))
    assert reported == 1


def test_an_orders_calls_come_with_its_detail_and_reach_its_technicians_phone(api):
    """Calls are shown in the order's history: its detail (the console) and its document (the
    phone's copy, sent again when a call is reported) carry them, judged, beside the steps; the
    history itself stays the steps only."""
    from tests.test_sync import assigned, pull

    at(0)
    order_id = assigned(api)
    order = api.get("dispatcher", f"/api/work-orders/{order_id}").json()
    steps = [e["action"] for e in order["history"]]
    assert order["calls"] == []
    cursor = pull(api)["cursor"]
    tapped = api.post("dispatcher", f"/api/work-orders/{order_id}/calls", {"tapped_on": "console"})
    assert tapped.status_code == 201
    # The tap alone already reaches the phone: the order's document changed.
    after_tap = pull(api, cursor=cursor)
    assert [(o["id"], [c["origin"] for c in o["calls"]]) for o in after_tap["orders"]] == [
        (order_id, ["attempt"])
    ]
    _report(api, _key(api), 201, **_call(order, "CC-30", T0 + timedelta(seconds=5), 95))
    detail = api.get("dispatcher", f"/api/work-orders/{order_id}").json()
    assert [e["action"] for e in detail["history"]] == steps  # no step was made up
    (call,) = detail["calls"]
    assert (call["origin"], call["staff"]["name"], call["callee"], call["seconds"]) == (
        "telephony",
        "王调度",
        order["contact_phone"],
        95,
    )
    assert call["recording_ref"] == "rec/CC-30.wav" and call["recorded"] is True
    (document,) = pull(api, cursor=after_tap["cursor"])["orders"]
    assert document["calls"] == detail["calls"]


def test_a_tap_queued_offline_is_recorded_when_the_phone_syncs(api):
    """The phone queues its tap (`call_customer`) like a step: sent when it is online again, the
    call started when it was tapped (the device's time, bounded like a step's), the server heard
    of it later; sent twice, it is recorded once; it comes back in the order's document."""
    from tests.test_sync import assigned, mutation, pull, push

    at(0)
    order_id = assigned(api)
    cursor = pull(api)["cursor"]
    at(150)  # sent at 12:30, tapped at 10:05 (outside rest hours)
    tap = mutation(1, "call_customer", order_id, minutes=5)
    assert [r["status"] for r in push(api, [tap])["results"]] == ["applied"]
    assert [r["status"] for r in push(api, [tap])["results"]] == ["applied"]  # a replay
    (call,) = api.get("dispatcher", f"/api/work-orders/{order_id}").json()["calls"]
    assert (call["origin"], call["tapped_on"], call["staff"]["name"]) == (
        "attempt",
        "phone",
        "李维修",
    )
    assert call["started_at"].startswith("2026-11-23T02:05:00")  # 10:05 in Shanghai
    assert call["in_rest_hours"] is False and call["urgent"] is False
    assert run(CallRecord.select(CallRecord.tapped_at).first())["tapped_at"] == T0 + timedelta(
        minutes=150
    )
    (document,) = pull(api, cursor=cursor)["orders"]
    assert [c["id"] for c in document["calls"]] == [call["id"]]
    # Confirmed in rest hours (12:40): urgent. An argument the API does not take is refused.
    urgent = mutation(2, "call_customer", order_id, minutes=160, urgent=True)
    odd = mutation(3, "call_customer", order_id, minutes=161, tapped_on="console")
    assert [r["status"] for r in push(api, [urgent, odd])["results"]] == ["applied", "rejected"]
    calls = api.get("dispatcher", f"/api/work-orders/{order_id}").json()["calls"]
    assert [(c["in_rest_hours"], c["urgent"]) for c in calls] == [(False, False), (True, True)]


def test_the_phone_knows_the_rest_hours_before_it_dials(api):
    """The call policy in force comes with the phone's reference data, with the zone its hours are
    in, and a new version reaches phones at their next pull."""
    from tests.test_sync import pull

    at(0)
    snapshot = pull(api)
    assert snapshot["reference"]["call_policy"] == {
        "max_minutes": 3,
        "rest_hours": [{"start": "12:00", "end": "14:00"}, {"start": "21:00", "end": "08:00"}],
        "timezone": "Asia/Shanghai",
        "effective_from": None,
        "updated_by": None,
    }
    assert pull(api, cursor=snapshot["cursor"])["reference"] is None
    body = {"max_minutes": 5, "rest_hours": [{"start": "22:00", "end": "07:30"}]}
    assert api.post("supervisor", "/api/policies/calls", body).status_code == 201
    after = pull(api, cursor=snapshot["cursor"])["reference"]["call_policy"]
    assert after["rest_hours"] == body["rest_hours"] and after["max_minutes"] == 5
