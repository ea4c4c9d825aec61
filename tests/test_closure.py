"""What a closure must contain (domain/closure.py, §2.1.5 and the service rules).

Pure tests: no database. `issues(...)` checks a form that starts out complete for an on-site,
resolved, ordinary repair, with the given fields replaced.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from msgspec.structs import replace

from domain.closure import (
    ClosureForm,
    DeviceSwap,
    MaterialUse,
    OrderFacts,
    appointment_phrase,
    closure_issues,
    expects_append,
    needs_signature,
)
from domain.errors import Issue
from domain.vocabulary import Kind

TZ = ZoneInfo("Asia/Shanghai")
UTC = UTC
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=TZ)  # Monday 10:00 local
CATALOGUE = {"CAB-RG6", "STB-HD2", "CONN-F"}

CATEGORY = {
    "install": "installation",
    "repair": "repair",
    "after_sales": "after_sales",
    "transfer": "after_sales",
    "complaint": "complaint",
    "consultation": "consultation",
    "dedicated_line": "repair",
}
FIELD = {"install", "repair", "dedicated_line"}
DETAILED = "更换机顶盒后信号恢复,客户确认正常"

COMPLETE = ClosureForm(
    closure_category="repair",
    outcome="resolved",
    cause="分支器进水",
    solution="更换分支器",
    result="信号恢复正常",
    method="on_site",
    work_done="更换入户分支器一个",
    labour_hours=1.5,
    materials=(MaterialUse("CAB-RG6", 10), MaterialUse("CONN-F", 2)),
)


def form(kind: str = "repair", **fields) -> ClosureForm:
    return replace(COMPLETE, **{"closure_category": CATEGORY[kind], **fields})


def facts(
    kind: str = "repair", tier: str = "ordinary", signed: bool = True, waiver: bool = False
) -> OrderFacts:
    return OrderFacts(kind=kind, tier=tier, signed=signed, waiver_approved=waiver)


def issues(
    closure: ClosureForm, order: OrderFacts | None = None, now: datetime = NOW
) -> list[Issue]:
    return closure_issues(closure, order or facts(), CATALOGUE, now, TZ)


def keys(found: list[Issue]) -> set[str]:
    return {issue.key for issue in found}


def only(found: list[Issue]) -> Issue:
    assert len(found) == 1, found
    return found[0]


def test_a_complete_on_site_repair_closure_has_no_issues():
    assert issues(form()) == []


@pytest.mark.parametrize("kind", list(CATEGORY))
def test_each_kind_closes_under_its_own_category(kind):
    closure = form(kind, remark=DETAILED)  # dedicated-line orders need the detailed remark
    assert issues(closure, facts(kind)) == []


@pytest.mark.parametrize(
    "kind, wrong",
    [
        ("repair", "after_sales"),
        ("transfer", "repair"),
        ("install", "repair"),
        ("complaint", "consultation"),
        ("dedicated_line", "installation"),
    ],
)
def test_a_category_not_matching_the_kind_is_reported(kind, wrong):
    issue = only(issues(form(kind, closure_category=wrong, remark=DETAILED), facts(kind)))
    assert issue.key == "closure.category_mismatch"
    assert issue.params == {"kind": kind, "expected": CATEGORY[kind]}
    assert issue.field == "closure_category"


@pytest.mark.parametrize("part", ["cause", "solution", "result"])
@pytest.mark.parametrize("blank", ["", "   ", "\n\t "])
def test_cause_solution_and_result_are_each_required(part, blank):
    issue = only(issues(form(**{part: blank})))
    assert (issue.key, issue.field) == (f"closure.missing_{part}", part)


@pytest.mark.parametrize(
    "kind, tier",
    [
        ("repair", "vip"),
        ("repair", "dedicated_line"),
        ("dedicated_line", "ordinary"),
        ("complaint", "vip"),
    ],
)
def test_vip_and_dedicated_line_orders_need_a_detailed_remark(kind, tier):
    for short in ("", "已修复", "   已修复好了     ", "123456789"):
        issue = only(issues(form(kind, remark=short), facts(kind, tier)))
        assert issue.key == "closure.detailed_remark_required"
        assert issue.params == {"min": 10}
    assert issues(form(kind, remark="1234567890"), facts(kind, tier)) == []
    assert issues(form(kind, remark=DETAILED), facts(kind, tier)) == []


def test_ordinary_orders_need_no_remark():
    assert issues(form(remark=""), facts(tier="ordinary")) == []


# ---------------------------------------------------------------------------------------------
# appointments (预约)


def appointment(day: date | None, half: str | None, kind: str = "repair") -> ClosureForm:
    return form(
        kind,
        outcome="appointment",
        appointment_date=day,
        appointment_half_day=half,
        work_done="",
        labour_hours=None,
        materials=(),
    )


@pytest.mark.parametrize("day, half", [(None, "am"), (date(2026, 11, 24), None), (None, None)])
def test_an_appointment_needs_its_date_and_half_day(day, half):
    issue = only(issues(appointment(day, half)))
    assert (issue.key, issue.field) == ("closure.appointment_time_required", "appointment_date")


@pytest.mark.parametrize(
    "now, day, half, past",
    [
        (datetime(2026, 11, 23, 11, 59, tzinfo=TZ), date(2026, 11, 23), "am", False),
        (datetime(2026, 11, 23, 12, 0, tzinfo=TZ), date(2026, 11, 23), "am", True),
        (datetime(2026, 11, 23, 15, 0, tzinfo=TZ), date(2026, 11, 23), "pm", False),
        (datetime(2026, 11, 23, 9, 0, tzinfo=TZ), date(2026, 11, 22), "pm", True),
        (datetime(2026, 11, 23, 23, 0, tzinfo=TZ), date(2026, 11, 24), "am", False),
        # 05:00 UTC is 13:00 in Shanghai: this morning is gone
        (datetime(2026, 11, 23, 5, 0, tzinfo=UTC), date(2026, 11, 23), "am", True),
        # 17:00 UTC on the 22nd is already the 23rd in Shanghai: the 22nd is past
        (datetime(2026, 11, 22, 17, 0, tzinfo=UTC), date(2026, 11, 22), "pm", True),
        (datetime(2026, 11, 22, 17, 0, tzinfo=UTC), date(2026, 11, 23), "am", False),
    ],
)
def test_an_appointment_must_not_be_in_the_past(now, day, half, past):
    found = issues(appointment(day, half), now=now)
    assert keys(found) == ({"closure.appointment_in_past"} if past else set())


@settings(max_examples=200, deadline=None)
@given(
    now=st.datetimes(
        min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
    ),
    days_ahead=st.integers(-400, 400),
    half=st.sampled_from(["am", "pm"]),
)
def test_appointments_before_today_are_past_and_after_today_are_not(now, days_ahead, half):
    today = now.astimezone(TZ).date()
    found = keys(issues(appointment(today + timedelta(days=days_ahead), half), now=now))
    if days_ahead < 0:
        assert found == {"closure.appointment_in_past"}
    elif days_ahead > 0:
        assert found == set()
    else:
        morning_over = now.astimezone(TZ).hour >= 12
        assert found == (
            {"closure.appointment_in_past"} if half == "am" and morning_over else set()
        )


def test_an_appointment_needs_no_field_work_or_signature_yet():
    assert issues(appointment(date(2026, 11, 24), "pm"), facts(signed=False)) == []


def test_appointment_phrase_follows_the_manual():
    assert appointment_phrase(date(2026, 11, 23), "am") == "已和用户预约至23号周一(上午)处理"
    assert appointment_phrase(date(2026, 11, 29), "pm") == "已和用户预约至29号周日(下午)处理"
    assert appointment_phrase(date(2026, 12, 5), "am") == "已和用户预约至5号周六(上午)处理"


# ---------------------------------------------------------------------------------------------
# field work done on site


@pytest.mark.parametrize("blank", ["", "  "])
def test_on_site_field_work_needs_the_work_done(blank):
    issue = only(issues(form(work_done=blank)))
    assert (issue.key, issue.field) == ("closure.missing_work_done", "work_done")


@pytest.mark.parametrize("hours", [None, 0, -1.0])
def test_on_site_field_work_needs_positive_labour_hours(hours):
    issue = only(issues(form(labour_hours=hours)))
    assert (issue.key, issue.field) == ("closure.missing_labour_hours", "labour_hours")


def test_labour_hours_may_be_a_fraction():
    assert issues(form(labour_hours=0.25)) == []


def test_each_unknown_material_code_is_reported_with_its_position():
    used = (
        MaterialUse("CAB-RG6", 5),
        MaterialUse("XX-1", 1),
        MaterialUse("STB-HD2", 1),
        MaterialUse("YY-2", 3),
    )
    found = issues(form(materials=used))
    assert [(i.key, i.params, i.field) for i in found] == [
        ("closure.unknown_material", {"code": "XX-1"}, "materials[1]"),
        ("closure.unknown_material", {"code": "YY-2"}, "materials[3]"),
    ]


@pytest.mark.parametrize("old, new", [("", "SN-NEW"), ("SN-OLD", " "), ("", "")])
def test_a_device_swap_needs_both_serials(old, new):
    swaps = (DeviceSwap("机顶盒", "SN1", "SN2"), DeviceSwap("光猫", old, new))
    issue = only(issues(form(device_swaps=swaps)))
    assert (issue.key, issue.params, issue.field) == (
        "closure.swap_serials_required",
        {"device": "光猫"},
        "device_swaps[1]",
    )


def test_a_device_swap_with_both_serials_is_accepted():
    assert issues(form(device_swaps=(DeviceSwap("机顶盒", "SN-OLD", "SN-NEW"),))) == []


@pytest.mark.parametrize("kind", sorted(FIELD))
@pytest.mark.parametrize("outcome", ["resolved", "unresolved"])
def test_on_site_field_work_needs_the_customer_signature(kind, outcome):
    closure = form(kind, outcome=outcome, remark=DETAILED)
    issue = only(issues(closure, facts(kind, signed=False)))
    assert (issue.key, issue.field) == ("closure.signature_required", "signature")
    assert issues(closure, facts(kind, signed=False, waiver=True)) == []
    assert issues(closure, facts(kind, signed=True)) == []


@pytest.mark.parametrize("method", ["phone_guidance", "remote"])
def test_a_repair_solved_by_phone_or_remotely_needs_no_signature_or_field_report(method):
    closure = form(
        method=method, work_done="", labour_hours=None, materials=(MaterialUse("??", 1),)
    )
    assert issues(closure, facts(signed=False)) == []
    assert needs_signature("repair", closure) is False


@pytest.mark.parametrize("kind", sorted(set(CATEGORY) - FIELD))
def test_desk_kinds_need_no_signature_or_field_report(kind):
    closure = form(kind, work_done="", labour_hours=None)
    assert issues(closure, facts(kind, signed=False)) == []
    assert needs_signature(kind, closure) is False


def test_every_problem_is_reported_at_once():
    closure = ClosureForm(
        closure_category="complaint",
        outcome="resolved",
        cause=" ",
        solution="",
        result="",
        method="on_site",
        remark="短",
        work_done="",
        labour_hours=0,
        materials=(MaterialUse("NOPE", 1),),
        device_swaps=(DeviceSwap("光猫", "", "SN"),),
    )
    found = issues(closure, facts("dedicated_line", "vip", signed=False))
    assert sorted(i.key for i in found) == sorted(
        [
            "closure.category_mismatch",
            "closure.missing_cause",
            "closure.missing_solution",
            "closure.missing_result",
            "closure.detailed_remark_required",
            "closure.missing_work_done",
            "closure.missing_labour_hours",
            "closure.unknown_material",
            "closure.swap_serials_required",
            "closure.signature_required",
        ]
    )


def test_every_appointment_problem_is_reported_with_the_others():
    closure = appointment(date(2026, 11, 20), "am", kind="repair")
    closure = replace(closure, cause="", closure_category="complaint")
    assert keys(issues(closure, facts(tier="vip"))) == {
        "closure.category_mismatch",
        "closure.missing_cause",
        "closure.detailed_remark_required",
        "closure.appointment_in_past",
    }


# ---------------------------------------------------------------------------------------------
# closures completed by a later information append (§2.1.5 B c)


@pytest.mark.parametrize(
    "outcome, method, expected",
    [
        ("appointment", "on_site", True),
        ("resolved", "phone_guidance", True),
        ("unresolved", "phone_guidance", True),
        ("resolved", "remote", True),
        ("resolved", "on_site", False),
        ("unresolved", "on_site", False),
    ],
)
def test_appointment_and_phone_guidance_expect_an_append(outcome, method, expected):
    assert expects_append(form(outcome=outcome, method=method)) is expected


def test_every_kind_has_a_closure_category():
    assert set(CATEGORY) == {k.value for k in Kind}
