"""Shift handover: a sheet compiled from a known dataset, held back by an unpublished outage and
released by its notice, both signatures, substitutes, history (punctuality: tests/test_reports.py)."""

from __future__ import annotations

from datetime import timedelta

from db.tables import AuditEntry
from domain import handover as rules
from tests.conftest import run
from tests.test_outages import NOTICE
from tests.test_work_orders import T0, at


def facts(
    id_,
    state="new",
    tier="ordinary",
    kind="install",
    source="call_centre",
    urges=0,
    flagged=False,
    at_risk=False,
    breached=False,
    in_outage=False,
) -> rules.OrderFacts:
    return rules.OrderFacts(
        id_, f"GD{id_}", kind, source, state, tier, urges, flagged, at_risk, breached, in_outage
    )


def test_compiling_items_a_to_c():
    orders = [
        facts(1, breached=True),
        facts(2, at_risk=True, urges=1),
        facts(3),  # nothing to chase
        facts(4, state="returned"),
        facts(5, tier="vip"),  # special customers are tracked whatever their clocks
        facts(6, source="emergency", breached=True),
        facts(7, breached=True, in_outage=True),  # tracked through its outage in B
        facts(8, state="sent_back", breached=True),  # the call centre's now
        facts(9, state="closed", tier="vip"),
        facts(10, kind="dedicated_line", flagged=True),
    ]
    sheet = rules.compile_sheet(orders, [rules.OutageFacts(3, "published")])
    assert [(i.order, [r.value for r in i.reasons]) for i in sheet.a] == [
        (1, ["breached"]),
        (2, ["at_risk", "urged"]),
        (4, ["returned"]),
    ]
    assert sheet.b == [3]
    assert [(i.order, [r.value for r in i.reasons]) for i in sheet.c] == [
        (5, ["vip"]),
        (6, ["emergency", "breached"]),
        (10, ["dedicated_line", "flagged"]),
    ]


def _known_dataset(api) -> dict[str, int]:
    """At 10:30 local: what each order is, and so where it belongs on the sheet."""
    ids = {}
    at(0)
    ids["undispatched"] = api.create(kind="install")["id"]  # breached at 10:10 → A
    ids["urged"] = api.create(kind="consultation")["id"]
    ids["sent_back"] = api.create(kind="consultation")["id"]
    api.step(
        "dispatcher", ids["sent_back"], "send-back", reason_code="out_of_scope", reason="非我司业务"
    )
    at(2)
    ids["closed"] = api.create(kind="consultation")["id"]
    api.step(
        "dispatcher",
        ids["closed"],
        "close",
        closure_category="consultation",
        outcome="resolved",
        method="office",
        cause="咨询资费",
        solution="介绍套餐",
        result="客户已了解",
    )
    for minute in (5, 6, 7):  # three repairs from 锦华苑: a suspected outage → B, not A
        at(minute)
        ids[f"outage_{minute}"] = api.create(kind="repair")["id"]
    at(25)
    api.step("agent", ids["urged"], "urge")  # breached and urged → A
    at(28)
    ids["quiet"] = api.create(kind="after_sales")["id"]  # 2 of 10 minutes gone: not on the sheet
    at(29)
    ids["vip"] = api.create(kind="install", customer_id=api.world.customers["vip"])["id"]  # → C
    ids["mayor"] = api.create(kind="complaint", source="mayor_hotline")["id"]  # → C
    ids["dedicated"] = api.create(
        kind="dedicated_line", customer_id=api.world.customers["company"]
    )["id"]  # → C
    return ids


def test_a_sheet_compiled_from_live_data_is_held_back_until_the_notice_is_out(api):
    ids = _known_dataset(api)
    at(30)
    [outage] = api.get("dispatcher", "/api/outages").json()
    response = api.post(
        "dispatcher",
        "/api/handovers",
        {
            "scheduled_at": (T0 + timedelta(minutes=45)).isoformat(),
            "incoming_id": api.world.uid("dispatcher2"),
            "planned_work": "今晚22:00—次日02:00 锦江片区前端机房系统割接",
            "systems": "调度系统、呼叫中心系统运行正常",
        },
    )
    assert response.status_code == 201, response.text
    sheet = response.json()
    items = sheet["items"]
    assert [(o["id"], o["reasons"]) for o in items["a"]] == [
        (ids["undispatched"], ["breached"]),
        (ids["urged"], ["breached", "urged"]),
    ]
    assert [(o["id"], o["orders"], o["status"]) for o in items["b"]] == [
        (outage["id"], 3, "suspected")
    ]
    assert [(o["id"], o["reasons"]) for o in items["c"]] == [
        (ids["vip"], ["vip"]),
        (ids["mayor"], ["mayor_hotline"]),
        (ids["dedicated"], ["dedicated_line"]),
    ]
    assert items["c"][0]["customer_name"] == "客户vip"
    assert sheet["held_back_by"] == [outage["id"]] and sheet["status"] == "draft"
    # Held back: the outage has no notice yet (§1.2.4 A).
    at(44)
    refused = api.post("dispatcher", f"/api/handovers/{sheet['id']}/sign-out", lang="en")
    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "handover.held_back"
    assert refused.json()["detail"] == (
        f"Outages without a published notice (#{outage['id']}): "
        "the handover waits until the notice is out."
    )
    held = api.get("dispatcher", f"/api/handovers/{sheet['id']}").json()
    assert held["status"] == "draft" and held["held_back_at"].startswith("2026-11-23T02:44:00")
    # The notice is published: the handover goes ahead.
    at(46)
    published = api.post(
        "dispatcher2",
        f"/api/outages/{outage['id']}/notices",
        {**NOTICE, "estimated_restoration": (T0 + timedelta(hours=5)).isoformat()},
    )
    assert published.status_code == 201, published.text
    at(47)
    compiled = api.post("dispatcher", f"/api/handovers/{sheet['id']}/compile").json()
    assert compiled["items"]["b"][0]["status"] == "published" and compiled["held_back_by"] == []
    assert compiled["items"]["b"][0]["estimated_restoration"] == "2026-11-23T07:00:00Z"
    signed = api.post("dispatcher", f"/api/handovers/{sheet['id']}/sign-out")
    assert signed.status_code == 200, signed.text
    assert signed.json()["status"] == "signed_out"
    # Only the named incoming dispatcher takes over; the sheet is frozen once signed.
    assert api.post("supervisor", f"/api/handovers/{sheet['id']}/sign-in", {}).status_code == 403
    assert (
        api.client.patch(
            f"/api/handovers/{sheet['id']}",
            json={"other": "补充"},
            headers=api.headers("dispatcher"),
        ).status_code
        == 409
    )
    at(50)
    done = api.post(
        "dispatcher2", f"/api/handovers/{sheet['id']}/sign-in", {"note": "已阅,片区故障持续跟踪"}
    ).json()
    assert done["status"] == "completed" and done["incoming_signed_at"].startswith(
        "2026-11-23T02:50:00"
    )
    assert done["incoming"]["name"] == "钱调度" and done["planned_work"].startswith("今晚22:00")
    history = api.get("supervisor", "/api/handovers").json()
    assert [(h["id"], h["status"]) for h in history] == [(sheet["id"], "completed")]
    audit = [
        a["action"]
        for a in run(
            AuditEntry.select(AuditEntry.action)
            .where(AuditEntry.target == f"handover/{sheet['id']}")
            .order_by(AuditEntry.id)
        )
    ]
    assert audit == [
        "handover.prepared",
        "handover.held_back",
        "handover.compiled",
        "handover.signed_out",
        "handover.completed",
    ]


def test_who_may_prepare_sign_and_substitute(api):
    at(0)
    for username in ("agent", "tech2", "backoffice"):
        assert api.get(username, "/api/handovers").status_code == 403
        assert (
            api.post(username, "/api/handovers", {"scheduled_at": T0.isoformat()}).status_code
            == 403
        )
    sheet = api.post(
        "dispatcher", "/api/handovers", {"scheduled_at": (T0 + timedelta(hours=8)).isoformat()}
    ).json()
    again = api.post(
        "dispatcher", "/api/handovers", {"scheduled_at": (T0 + timedelta(hours=8)).isoformat()}
    )
    assert again.status_code == 409 and again.json()["code"] == "handover.open_exists"
    bad = api.client.patch(
        f"/api/handovers/{sheet['id']}",
        json={"incoming_id": api.world.uid("tech2")},
        headers=api.headers("dispatcher"),
    )
    assert bad.status_code == 422 and bad.json()["code"] == "handover.unknown_person"
    assert (
        api.client.patch(
            f"/api/handovers/{sheet['id']}", json={"other": "x"}, headers=api.headers("dispatcher2")
        ).status_code
        == 403
    )
    # The outgoing dispatcher is called away: the duty supervisor names who hands over instead.
    body = {"side": "outgoing", "user_id": api.world.uid("dispatcher2"), "reason": "王调度临时请假"}
    assert (
        api.post("dispatcher", f"/api/handovers/{sheet['id']}/substitute", body).status_code == 403
    )
    named = api.post("supervisor", f"/api/handovers/{sheet['id']}/substitute", body).json()
    assert (
        named["outgoing"]["name"] == "钱调度" and named["substitute_named_by"]["name"] == "赵主管"
    )
    assert api.post("dispatcher", f"/api/handovers/{sheet['id']}/sign-out").status_code == 403
    assert api.post("dispatcher2", f"/api/handovers/{sheet['id']}/sign-out").status_code == 200
    assert (
        api.post("dispatcher2", f"/api/handovers/{sheet['id']}/sign-in", {}).status_code == 403
    )  # not to oneself
    # No incoming named: whoever on duty signs takes over.
    assert (
        api.post("dispatcher", f"/api/handovers/{sheet['id']}/sign-in", {}).json()["incoming"][
            "name"
        ]
        == "王调度"
    )
