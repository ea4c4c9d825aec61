"""Clock policies and the business calendar, edited through the API by supervisors."""

from __future__ import annotations

from datetime import UTC, datetime

from db.tables import AuditEntry
from tests.conftest import run
from tests.test_work_orders import at, clock


def test_defaults_of_the_manual_are_in_force(api):
    rows = api.get("dispatcher", "/api/policies/clocks").json()
    limits = {
        (r["clock"], r["kind"], r["priority"]): (r["minutes"], r["working_days"]) for r in rows
    }
    assert limits[("dispatch", "*", "normal")] == (10, 0)
    assert limits[("dispatch", "*", "high")] == (5, 0)
    assert limits[("contact", "*", "high")] == (30, 0)
    assert limits[("urge_contact", "*", "*")] == (10, 0)
    assert limits[("transfer", "*", "*")] == (30, 0)
    assert limits[("complaint_reply", "complaint", "*")] == (120, 0)
    assert limits[("callback", "*", "*")] == (0, 2)


def test_a_supervisor_sets_a_limit_from_now_on(api):
    at(0)
    before = api.create()
    at(1)
    response = api.post(
        "supervisor",
        "/api/policies/clocks",
        {"clock": "dispatch", "kind": "repair", "priority": "normal", "minutes": 20},
    )
    assert response.status_code == 201, response.text
    at(2)
    after = api.create()
    assert clock(after, "dispatch")["due"].startswith("2026-11-23T02:22:00")
    # A clock already running keeps the limit it started with.
    assert clock(api.get("dispatcher", f"/api/work-orders/{before['id']}").json(), "dispatch")[
        "due"
    ].startswith("2026-11-23T02:10:00")
    current = api.get("dispatcher", "/api/policies/clocks").json()
    assert [r["minutes"] for r in current if (r["clock"], r["kind"]) == ("dispatch", "repair")] == [
        20
    ]
    history = api.get("dispatcher", "/api/policies/clocks?history=true").json()
    assert len(history) == len(current)  # no earlier version of this key existed
    audit = run(AuditEntry.select().where(AuditEntry.action == "policy.set"))
    assert audit[0]["target"] == "dispatch/repair/normal" and audit[0]["actor"] == api.world.uid(
        "supervisor"
    )


def test_only_supervisors_and_admins_edit_policies(api):
    body = {"clock": "dispatch", "minutes": 1}
    for username, status in [("dispatcher", 403), ("agent", 403), ("tech2", 403), ("admin", 201)]:
        assert api.post(username, "/api/policies/clocks", body).status_code == status


def test_a_holiday_moves_the_callback_due_date(api):
    at(0)  # Monday 2026-11-23, 10:00 in Chengdu
    order = api.create(kind="consultation")
    closed = api.step(
        "dispatcher",
        order["id"],
        "close",
        closure_category="consultation",
        outcome="resolved",
        method="office",
        cause="咨询资费",
        solution="介绍套餐",
        result="客户已了解",
    )
    assert clock(closed, "callback")["due"].startswith("2026-11-25T16:00:00")  # end of Wed, local
    response = api.client.put(
        "/api/policies/calendar/2026-11-24",
        json={"working": False, "name": "临时停工"},
        headers=api.headers("supervisor"),
    )
    assert response.status_code == 200, response.text
    detail = api.get("dispatcher", f"/api/work-orders/{order['id']}").json()
    assert clock(detail, "callback")["due"].startswith("2026-11-26T16:00:00")  # end of Thursday
    listed = api.get("dispatcher", "/api/work-orders?clock=at_risk").json()
    assert listed["total"] == 0
    assert [
        d
        for d in api.get("dispatcher", "/api/policies/calendar?year=2026").json()
        if d["day"] >= "2026-11-01"
    ] == [{"day": "2026-11-24", "working": False, "name": "临时停工", "source": "supervisor"}]
    assert (
        api.client.delete(
            "/api/policies/calendar/2026-11-24", headers=api.headers("supervisor")
        ).status_code
        == 204
    )
    detail = api.get("dispatcher", f"/api/work-orders/{order['id']}").json()
    assert clock(detail, "callback")["due"].startswith("2026-11-25T16:00:00")
    assert (
        api.client.delete(
            "/api/policies/calendar/2026-11-24", headers=api.headers("supervisor")
        ).status_code
        == 404
    )


def test_a_working_weekend_day_counts_for_callbacks(api):
    friday = datetime(2026, 11, 27, 7, 0, tzinfo=UTC)  # 15:00 local
    from servertime import travel_to

    travel_to(friday)
    api.client.put(
        "/api/policies/calendar/2026-11-28",
        json={"working": True, "name": "调休上班"},
        headers=api.headers("supervisor"),
    )
    order = api.create(kind="consultation")
    closed = api.step(
        "dispatcher",
        order["id"],
        "close",
        closure_category="consultation",
        outcome="resolved",
        method="office",
        cause="咨询",
        solution="解答",
        result="已答复",
    )
    # Saturday (worked) and Monday are the two working days: due at the end of Monday.
    assert clock(closed, "callback")["due"].startswith("2026-11-30T16:00:00")


def _close_consultation(api):
    order = api.create(kind="consultation")
    return api.step(
        "dispatcher",
        order["id"],
        "close",
        closure_category="consultation",
        outcome="resolved",
        method="office",
        cause="咨询",
        solution="解答",
        result="已答复",
    )


def test_the_official_national_day_holiday_and_its_working_saturday_count(api):
    """China's published 2026 calendar (chinesecalendar): 1–7 October off, Saturday 10 October worked."""
    from servertime import travel_to

    # (Later first: the test's sign-in tokens stay valid when the clock is stood back.)
    travel_to(datetime(2026, 10, 9, 7, 0, tzinfo=UTC))  # Friday 15:00 local
    closed = _close_consultation(api)
    assert clock(closed, "callback")["due"].startswith(
        "2026-10-12T16:00:00"
    )  # Saturday 10 (worked), Monday 12
    travel_to(datetime(2026, 9, 30, 7, 0, tzinfo=UTC))  # Wednesday
    closed = _close_consultation(api)
    # Thursday 8 and Friday 9 October are the two working days after the holiday week.
    assert clock(closed, "callback")["due"].startswith("2026-10-09T16:00:00")
    days = {d["day"]: d for d in api.get("agent", "/api/policies/calendar?year=2026").json()}
    assert days["2026-10-01"] == {
        "day": "2026-10-01",
        "working": False,
        "name": "国庆节",
        "source": "official",
    }
    assert days["2026-10-10"]["working"] is True and days["2026-10-10"]["source"] == "official"


def test_a_supervisors_entry_wins_over_the_official_day_and_removing_it_restores_it(api):
    from servertime import travel_to

    travel_to(datetime(2026, 9, 30, 7, 0, tzinfo=UTC))
    order = _close_consultation(api)
    # The branch decides 1 October is a working day for it (an emergency rota).
    assert (
        api.client.put(
            "/api/policies/calendar/2026-10-01",
            json={"working": True, "name": "值班"},
            headers=api.headers("supervisor"),
        ).status_code
        == 200
    )
    detail = api.get("dispatcher", f"/api/work-orders/{order['id']}").json()
    assert clock(detail, "callback")["due"].startswith(
        "2026-10-08T16:00:00"
    )  # 1 October, then Thursday 8
    listed = {d["day"]: d for d in api.get("dispatcher", "/api/policies/calendar?year=2026").json()}
    assert listed["2026-10-01"] == {
        "day": "2026-10-01",
        "working": True,
        "name": "值班",
        "source": "supervisor",
    }
    assert (
        api.client.delete(
            "/api/policies/calendar/2026-10-01", headers=api.headers("supervisor")
        ).status_code
        == 204
    )
    detail = api.get("dispatcher", f"/api/work-orders/{order['id']}").json()
    assert clock(detail, "callback")["due"].startswith("2026-10-09T16:00:00")
    listed = {d["day"]: d for d in api.get("dispatcher", "/api/policies/calendar?year=2026").json()}
    assert listed["2026-10-01"]["source"] == "official"
    # The official days themselves are not entries: there is nothing of a supervisor's to remove.
    assert (
        api.client.delete(
            "/api/policies/calendar/2026-10-02", headers=api.headers("supervisor")
        ).status_code
        == 404
    )


def test_coverage_says_when_next_year_has_no_holiday_data(api):
    at(0)  # November 2026: the package (1.11) has 2004–2026
    coverage = api.get("supervisor", "/api/policies/calendar/coverage").json()
    assert coverage["next_year"] == 2027 and coverage["next_year_covered"] is False
    assert 2026 in coverage["official_years"] and 2027 not in coverage["official_years"]
    assert coverage["entered_years"] == []
    from servertime import travel_to

    travel_to(datetime(2025, 6, 1, tzinfo=UTC))
    assert api.get("dispatcher", "/api/policies/calendar/coverage").json() == {
        "official_years": coverage["official_years"],
        "entered_years": [],
        "next_year": 2026,
        "next_year_covered": True,
    }


def test_a_few_entries_do_not_cover_next_year_until_the_supervisors_say_it_is_all_entered(api):
    """One holiday entered by hand leaves the rest of the year unknown: the warning stays until a
    supervisor says the whole year is entered, and comes back when that is withdrawn."""
    at(0)
    put = api.client.put(
        "/api/policies/calendar/2027-01-01",
        json={"working": False, "name": "元旦"},
        headers=api.headers("supervisor"),
    )
    assert put.status_code == 200, put.text
    coverage = api.get("supervisor", "/api/policies/calendar/coverage").json()
    assert coverage["next_year_covered"] is False and coverage["entered_years"] == []

    entered = api.client.put("/api/policies/calendar/years/2027", headers=api.headers("supervisor"))
    assert entered.status_code == 200, entered.text
    assert entered.json()["entered_years"] == [2027] and entered.json()["next_year_covered"] is True
    # Saying it twice is the same; everyone in the office reads it.
    again = api.client.put("/api/policies/calendar/years/2027", headers=api.headers("admin"))
    assert again.json()["entered_years"] == [2027]
    assert api.get("dispatcher", "/api/policies/calendar/coverage").json()["next_year_covered"]
    audit = run(AuditEntry.select().where(AuditEntry.action == "calendar.year_entered"))
    assert [(a["target"], a["actor"]) for a in audit] == [
        ("2027", api.world.uid("supervisor")),
        ("2027", api.world.uid("admin")),
    ]

    gone = api.client.delete("/api/policies/calendar/years/2027", headers=api.headers("supervisor"))
    assert gone.status_code == 204
    coverage = api.get("supervisor", "/api/policies/calendar/coverage").json()
    assert coverage["next_year_covered"] is False and coverage["entered_years"] == []
    again = api.client.delete(
        "/api/policies/calendar/years/2027", headers=api.headers("supervisor")
    )
    assert again.status_code == 404
    assert again.headers["content-type"].startswith("application/problem+json")


def test_only_supervisors_say_a_year_is_entered_and_only_for_a_plausible_year(api):
    for username, status in [("dispatcher", 403), ("agent", 403), ("tech2", 403)]:
        r = api.client.put("/api/policies/calendar/years/2027", headers=api.headers(username))
        assert r.status_code == status
    for year in ("1999", "2101", "0", "-1", "twenty"):
        r = api.client.put(
            f"/api/policies/calendar/years/{year}", headers=api.headers("supervisor")
        )
        assert r.status_code == (404 if year == "twenty" else 400), (year, r.status_code)
        assert r.headers["content-type"].startswith("application/problem+json")
    assert api.get("supervisor", "/api/policies/calendar/coverage").json()["entered_years"] == []
