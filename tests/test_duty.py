"""The duty desk (issue 19): broadcast-safety events on the handover sheet and holding it back,
the roster with the supervisor's attendance check (the handover's incoming dispatcher, the board),
calling in staff for a confirmed outage, and the contractor routing policy. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from db.tables import AuditEntry
from domain import duty as rules
from domain.routing import contractor_kinds_in_force, route_issues
from tests.conftest import run
from tests.test_work_orders import T0, at

TZ = ZoneInfo("Asia/Shanghai")
TODAY = "2026-11-23"  # T0 is Monday 10:00 in Chengdu: the day shift of the 23rd
EVENT = {
    "kind": "illegal_insertion",
    "channel": "CDTV-2 成都经济资讯",
    "description": "19:32起约40秒画面被非法插播",
    "informed": "前端机房值班员",
}


def audit(target_prefix: str) -> list[str]:
    rows = run(AuditEntry.select(AuditEntry.action, AuditEntry.target).order_by(AuditEntry.id))
    return [r["action"] for r in rows if r["target"].startswith(target_prefix)]


# ---- rules ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        (
            "2026-11-23 07:59",
            ("2026-11-22", "night"),
        ),  # the night shift belongs to the day it began
        ("2026-11-23 08:00", ("2026-11-23", "day")),
        ("2026-11-23 19:59", ("2026-11-23", "day")),
        ("2026-11-23 20:00", ("2026-11-23", "night")),
        ("2026-11-23 23:59", ("2026-11-23", "night")),
    ],
)
def test_the_shift_an_instant_falls_in(local, expected):
    instant = datetime.fromisoformat(local).replace(tzinfo=TZ).astimezone(UTC)
    shift = rules.shift_at(instant, TZ)
    assert (shift.day.isoformat(), shift.shift.value) == expected


def test_broadcast_steps_and_what_holds_the_handover_back():
    assert rules.check_broadcast_step("open", "report") == "reported"
    assert rules.check_broadcast_step("reported", "report") == "reported"  # a corrected report
    assert rules.check_broadcast_step("reported", "close") == "closed"
    for status, step in (("open", "close"), ("closed", "report"), ("closed", "close")):
        with pytest.raises(rules.Conflict):
            rules.check_broadcast_step(status, step)
    facts = [
        rules.BroadcastFacts(1, "open"),
        rules.BroadcastFacts(2, "reported"),
        rules.BroadcastFacts(3, "open"),
    ]
    assert rules.broadcast_holding_back(facts) == [1, 3]


def test_contractor_kinds_area_rows_over_branch_rows_over_the_default():
    assert contractor_kinds_in_force([], 7) == {"install", "repair"}
    rows = [
        {"area": None, "kinds": ["repair"]},
        {"area": 7, "kinds": ["install"]},
        {"area": None, "kinds": []},
    ]
    assert contractor_kinds_in_force(rows, 7) == {"install"}
    assert contractor_kinds_in_force(rows, 8) == set()  # the newest branch-wide row
    in_house = route_issues(
        "dedicated_line", "two_way", "dedicated_line", "two_way", "in_house", frozenset()
    )
    contractor = route_issues(
        "dedicated_line", "two_way", "dedicated_line", "two_way", "contractor"
    )
    assert in_house == [] and [i.key for i in contractor] == ["routing.contractor_kind"]


def test_call_in_candidates_leave_out_those_on_duty_and_put_the_area_first():
    staff = [
        rules.StaffFacts(1, frozenset({9}), None),
        rules.StaffFacts(2, frozenset({5}), None),
        rules.StaffFacts(3, frozenset({5}), "present"),
        rules.StaffFacts(4, frozenset({5}), "absent"),
        rules.StaffFacts(5, frozenset(), None),
    ]
    assert [p.id for p in rules.call_in_candidates(staff, 5)] == [2, 1, 5]


# ---- broadcast safety through the API -------------------------------------------------------


def test_a_broadcast_event_is_on_item_b_and_holds_the_handover_back_until_reported(api):
    at(0)
    recorded = api.post(
        "dispatcher",
        "/api/broadcast-events",
        {
            **EVENT,
            "occurred_at": (T0 - timedelta(minutes=3)).isoformat(),
            "area_id": api.world.area,
        },
    )
    assert recorded.status_code == 201, recorded.text
    event = recorded.json()
    assert (event["status"], event["area"]["name"], event["recorded_by"]["name"]) == (
        "open",
        "锦江片区",
        "王调度",
    )
    sheet = api.post(
        "dispatcher",
        "/api/handovers",
        {
            "scheduled_at": (T0 + timedelta(minutes=30)).isoformat(),
            "incoming_id": api.world.uid("dispatcher2"),
        },
    ).json()
    assert [(b["id"], b["status"], b["channel"]) for b in sheet["items"]["broadcast"]] == [
        (event["id"], "open", "CDTV-2 成都经济资讯")
    ]
    assert sheet["held_back_by_broadcast"] == [event["id"]] and sheet["held_back_by"] == []
    at(20)
    refused = api.post("dispatcher", f"/api/handovers/{sheet['id']}/sign-out", lang="en")
    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "handover.held_back_broadcast"
    assert f"#{event['id']}" in refused.json()["detail"]
    # Closing before the report is refused; the report releases the handover.
    early = api.post("dispatcher", f"/api/broadcast-events/{event['id']}/close", {})
    assert early.status_code == 409 and early.json()["code"] == "broadcast.wrong_status"
    at(25)
    reported = api.post(
        "dispatcher",
        f"/api/broadcast-events/{event['id']}/report",
        {
            "informed": "前端机房、分公司值班领导、市广电监管科",
            "actions": "切换备用信源,录像取证",
            "report": "19:32 CDTV-2 被非法插播约40秒,已切备用信源并报备",
        },
    )
    assert reported.status_code == 200, reported.text
    assert (reported.json()["status"], reported.json()["reported_by"]["name"]) == (
        "reported",
        "王调度",
    )
    compiled = api.post("dispatcher", f"/api/handovers/{sheet['id']}/compile").json()
    assert (
        compiled["held_back_by_broadcast"] == []
        and compiled["items"]["broadcast"][0]["status"] == "reported"
    )
    signed = api.post("dispatcher", f"/api/handovers/{sheet['id']}/sign-out")
    assert signed.status_code == 200 and signed.json()["held_back_at"].startswith(
        "2026-11-23T02:20:00"
    )
    closed = api.post(
        "dispatcher2", f"/api/broadcast-events/{event['id']}/close", {"note": "信号正常"}
    ).json()
    assert closed["status"] == "closed" and closed["closed_by"]["name"] == "钱调度"
    assert api.get("dispatcher", "/api/handovers/preview").json()["broadcast"] == []
    assert [e["id"] for e in api.get("supervisor", "/api/broadcast-events").json()] == [event["id"]]
    assert api.get("supervisor", "/api/broadcast-events?open=true").json() == []
    assert audit(f"broadcast/{event['id']}") == [
        "broadcast.recorded",
        "broadcast.reported",
        "broadcast.closed",
    ]
    assert "handover.held_back" in audit(f"handover/{sheet['id']}")


def test_broadcast_bad_input_and_roles(api):
    at(0)
    now = T0.isoformat()
    for body, code in (
        ({**EVENT, "occurred_at": (T0 + timedelta(minutes=5)).isoformat()}, 422),  # in the future
        ({**EVENT, "occurred_at": now, "area_id": 9999}, 422),
        ({**EVENT, "occurred_at": now, "description": "  \u3000"}, 400),
        ({**EVENT, "occurred_at": now, "kind": "rumour"}, 400),
        ({**EVENT, "occurred_at": "2026-11-23T10:00:00"}, 400),  # no time zone
        ({**EVENT, "occurred_at": now, "extra": 1}, 400),
    ):
        response = api.post("dispatcher", "/api/broadcast-events", body)
        assert response.status_code == code, (body, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
    assert api.get("supervisor", "/api/broadcast-events").json() == []
    for username in ("tech2", "contractor1", "agent"):
        assert (
            api.post(username, "/api/broadcast-events", {**EVENT, "occurred_at": now}).status_code
            == 403
        )
    assert api.get("dispatcher", "/api/broadcast-events/77").status_code == 404
    missing = api.post(
        "dispatcher",
        "/api/broadcast-events/77/report",
        {"informed": "a", "actions": "b", "report": "c"},
    )
    assert missing.status_code == 404 and missing.json()["code"] == "broadcast.not_found"


# ---- the roster ----------------------------------------------------------------------------


def _roster(api, *usernames, day=TODAY, shift="day", expect=200):
    response = api.post(
        "supervisor",
        "/api/duty/roster",
        {"day": day, "shift": shift, "user_ids": [api.world.uid(u) for u in usernames]},
    )
    assert response.status_code == expect, response.text
    return response.json()


def test_the_supervisor_draws_up_the_roster_checks_attendance_and_the_board_shows_it(api):
    at(0)
    roster = _roster(api, "dispatcher", "tech2", "tech2b")
    assert (roster["day"], roster["shift"], roster["current"]) == (TODAY, "day", True)
    assert {e["user"]["name"]: e["attendance"] for e in roster["entries"]} == {
        "王调度": "rostered",
        "李维修": "rostered",
        "周维修": "rostered",
    }
    # Only supervisors draw it up; nobody is on a shift twice.
    assert (
        api.post(
            "dispatcher",
            "/api/duty/roster",
            {"day": TODAY, "shift": "day", "user_ids": [api.world.uid("tech1")]},
        ).status_code
        == 403
    )
    twice = _roster(api, "tech2", expect=409)
    assert twice["code"] == "duty.already_on_shift"
    assert _roster(api, "admin", expect=422)["code"] == "duty.unknown_person"
    entry = {e["user"]["name"]: e for e in roster["entries"]}
    at(5)
    present = api.post(
        "supervisor", f"/api/duty/roster/{entry['李维修']['id']}/check", {"attendance": "present"}
    )
    assert present.status_code == 200, present.text
    assert (present.json()["attendance"], present.json()["checked_by"]["name"]) == (
        "present",
        "赵主管",
    )
    absent = api.post(
        "supervisor",
        f"/api/duty/roster/{entry['周维修']['id']}/check",
        {"attendance": "absent", "note": "病假"},
    ).json()
    assert absent["attendance"] == "absent"
    assert (
        api.post(
            "supervisor", f"/api/duty/roster/{entry['周维修']['id']}/check", {"attendance": "late"}
        ).status_code
        == 400
    )
    assert (
        api.post("supervisor", "/api/duty/roster/999/check", {"attendance": "present"}).status_code
        == 404
    )
    assert (
        api.post(
            "dispatcher",
            f"/api/duty/roster/{entry['李维修']['id']}/check",
            {"attendance": "absent"},
        ).status_code
        == 403
    )
    board = {
        p["name"]: p["duty"] for p in api.get("dispatcher", "/api/dispatch/board").json()["people"]
    }
    assert (board["李维修"], board["周维修"], board["张安装"]) == ("present", "absent", None)
    # Another shift is another roster; the night one is empty.
    night = api.get("dispatcher", f"/api/duty/roster?day={TODAY}&shift=night").json()
    assert (night["current"], night["entries"]) == (False, [])
    assert audit("duty/") == ["duty.rostered", "duty.checked", "duty.checked"]


def test_the_incoming_dispatcher_must_be_on_the_roster_or_a_named_substitute(api):
    at(0)
    handover_at = T0 + timedelta(hours=8)  # 18:00 local: still the day shift
    # No roster for that shift: nothing to check against.
    free = api.post(
        "dispatcher",
        "/api/handovers",
        {"scheduled_at": handover_at.isoformat(), "incoming_id": api.world.uid("dispatcher2")},
    )
    assert free.status_code == 201 and free.json()["incoming_on_roster"] is None
    sheet = free.json()
    _roster(api, "dispatcher", "supervisor")
    shown = api.get("dispatcher", f"/api/handovers/{sheet['id']}").json()
    assert shown["incoming_on_roster"] is False
    renamed = api.client.patch(
        f"/api/handovers/{sheet['id']}",
        json={"incoming_id": api.world.uid("dispatcher2")},
        headers=api.headers("dispatcher"),
    )
    assert (
        renamed.status_code == 422 and renamed.json()["code"] == "handover.incoming_not_on_roster"
    )
    assert api.post("dispatcher", f"/api/handovers/{sheet['id']}/sign-out").status_code == 200
    refused = api.post("dispatcher2", f"/api/handovers/{sheet['id']}/sign-in", {})
    assert refused.status_code == 403 and refused.json()["code"] == "handover.not_on_roster"
    # The supervisor names 钱调度 as the substitute: they may take over.
    named = api.post(
        "supervisor",
        f"/api/handovers/{sheet['id']}/substitute",
        {
            "side": "incoming",
            "user_id": api.world.uid("dispatcher2"),
            "reason": "孙调度病假,钱调度顶班",
        },
    )
    assert named.status_code == 200, named.text
    done = api.post("dispatcher2", f"/api/handovers/{sheet['id']}/sign-in", {})
    assert done.status_code == 200 and done.json()["status"] == "completed"


# ---- calling in staff for an outage ----------------------------------------------------------


def test_a_confirmed_outage_proposes_staff_off_duty_and_records_who_was_called_in(api):
    at(0)
    _roster(api, "dispatcher", "tech2")
    for minute in (1, 2, 3):  # three repairs from 锦华苑: a suspected outage
        at(minute)
        api.create(kind="repair")
    [outage] = api.get("dispatcher", "/api/outages").json()
    suspected = api.get("dispatcher", f"/api/outages/{outage['id']}/call-in").json()
    assert suspected["proposable"] is False
    early = api.post(
        "dispatcher",
        f"/api/outages/{outage['id']}/call-in",
        {"user_ids": [api.world.uid("tech2b")]},
    )
    assert early.status_code == 409 and early.json()["code"] == "duty.outage_not_confirmed"
    at(10)
    assert (
        api.post(
            "dispatcher", f"/api/outages/{outage['id']}/confirm", {"note": "现场确认"}
        ).status_code
        == 200
    )
    proposal = api.get("dispatcher", f"/api/outages/{outage['id']}/call-in").json()
    names = [c["name"] for c in proposal["candidates"]]
    assert proposal["proposable"] is True and (proposal["day"], proposal["shift"]) == (TODAY, "day")
    assert "王调度" not in names and "李维修" not in names  # on duty already
    assert {"周维修", "郑代维", "钱调度", "张安装"} <= set(names) and "赵主管" not in names
    assert all(c["in_area"] for c in proposal["candidates"])  # the world has one area of staff
    at(12)
    called = api.post(
        "dispatcher",
        f"/api/outages/{outage['id']}/call-in",
        {
            "user_ids": [api.world.uid("tech2b"), api.world.uid("contractor1")],
            "note": "电话通知到岗",
        },
    )
    assert called.status_code == 200, called.text
    assert {
        e["user"]["name"]: (e["attendance"], e["outage_id"]) for e in called.json()["called_in"]
    } == {"周维修": ("called_in", outage["id"]), "郑代维": ("called_in", outage["id"])}
    assert "周维修" not in [c["name"] for c in called.json()["candidates"]]
    board = {
        p["name"]: p["duty"] for p in api.get("dispatcher", "/api/dispatch/board").json()["people"]
    }
    assert (board["周维修"], board["郑代维"], board["李维修"]) == (
        "called_in",
        "called_in",
        "rostered",
    )
    again = api.post(
        "dispatcher",
        f"/api/outages/{outage['id']}/call-in",
        {"user_ids": [api.world.uid("tech2b")]},
    )
    assert again.status_code == 409
    wrong = api.post(
        "dispatcher", f"/api/outages/{outage['id']}/call-in", {"user_ids": [api.world.uid("agent")]}
    )
    assert wrong.status_code == 422 and wrong.json()["code"] == "duty.unknown_person"
    assert (
        api.post("tech2", f"/api/outages/{outage['id']}/call-in", {"user_ids": [1]}).status_code
        == 403
    )
    assert api.get("dispatcher", "/api/outages/999/call-in").status_code == 404
    assert audit(f"outage/{outage['id']}")[-1] == "duty.called_in"


# ---- the contractor routing policy ----------------------------------------------------------


def test_supervisors_set_which_kinds_contractors_take_per_area_and_dispatch_follows(api):
    at(0)
    policy = api.get("dispatcher", "/api/policies/contractor-routing").json()
    assert policy == [
        {
            "id": None,
            "area_id": None,
            "area_name": None,
            "kinds": ["install", "repair"],
            "effective_from": None,
            "updated_by": None,
        }
    ]
    first = api.create(kind="repair")
    assert api.step(
        "dispatcher", first["id"], "dispatch", assignee_id=api.world.uid("contractor1")
    )["state"]
    # The branch keeps repairs in its own area in house from now on.
    at(1)
    body = {"area_id": api.world.area, "kinds": ["install"]}
    assert api.post("dispatcher", "/api/policies/contractor-routing", body).status_code == 403
    set_ = api.post("supervisor", "/api/policies/contractor-routing", body)
    assert set_.status_code == 201, set_.text
    assert (set_.json()["area_name"], set_.json()["kinds"]) == ("锦江片区", ["install"])
    at(2)
    order = api.create(kind="repair")
    refused = api.post(
        "dispatcher",
        f"/api/work-orders/{order['id']}/dispatch",
        {"assignee_id": api.world.uid("contractor1")},
        lang="en",
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["code"] == "routing.contractor_kind"
    assert refused.json()["detail"] == (
        "Contractors' teams may take only install orders in this area, not a repair order."
    )
    names = [
        c["name"]
        for c in api.get("dispatcher", f"/api/work-orders/{order['id']}/suggestions").json()[
            "candidates"
        ]
    ]
    assert "郑代维" not in names and "李维修" in names
    # A supervisor may still override, with a reason (as for any routing refusal).
    overridden = api.step(
        "supervisor",
        order["id"],
        "dispatch",
        assignee_id=api.world.uid("contractor1"),
        override_reason="本地维修班全部在抢修",
    )
    assert overridden["state"] == "dispatched"
    current = api.get("supervisor", "/api/policies/contractor-routing").json()
    assert [(p["area_id"], p["kinds"]) for p in current] == [
        (None, ["install", "repair"]),
        (api.world.area, ["install"]),
    ]
    assert len(api.get("supervisor", "/api/policies/contractor-routing?history=true").json()) == 1
    for bad, code in (
        ({"area_id": 9999, "kinds": []}, 422),
        ({"kinds": ["pizza"]}, 400),
        ({"area_id": 1}, 400),
    ):
        assert (
            api.post("supervisor", "/api/policies/contractor-routing", bad).status_code == code
        ), bad
    assert audit("area/") == ["policy.contractor_routing"]
