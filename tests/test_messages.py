"""User-facing texts (domain/messages.py): the caller's language and every message rendered whole.

Pure tests: no database.
"""

from __future__ import annotations

import string
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.closure import ClosureForm, DeviceSwap, MaterialUse, OrderFacts, closure_issues
from domain.errors import Conflict, DomainError, Forbidden
from domain.lifecycle import Action, transition
from domain.messages import (
    ACTION_NAMES,
    LANGUAGES,
    MESSAGES,
    NAMED_PARAMS,
    ROLE_NAMES,
    STATE_NAMES,
    pick_language,
    render,
)
from domain.routing import route_issues
from domain.vocabulary import Role, State

TZ = ZoneInfo("Asia/Shanghai")


# ---------------------------------------------------------------------------------------------
# language


@pytest.mark.parametrize(
    "header, language",
    [
        ("en-US,en;q=0.9", "en"),
        ("en", "en"),
        ("EN-GB", "en"),
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh-CN"),
        ("en;q=0.5, zh;q=0.9", "zh-CN"),
        ("zh;q=0.4, en;q=0.6", "en"),
        ("fr-FR, en;q=0.8, zh;q=0.5", "en"),
        ("fr-FR, de;q=0.9", "zh-CN"),
        ("*", "zh-CN"),
        ("zh-TW", "zh-CN"),
        ("", "zh-CN"),
        (None, "zh-CN"),
    ],
)
def test_pick_language(header, language):
    assert pick_language(header) == language


@pytest.mark.parametrize(
    "header",
    [
        "en;q=abc",
        "en;q=",
        "zh;q=1.0.0, en",
        ";;;",
        ",,,",
        "en;q=0.5;q=x",
        "q=0.9",
        "en;q=nan, zh;q=nan",
        "en;q=inf",
        "zh;q=-1",
    ],
)
def test_malformed_quality_values_do_not_crash(header):
    assert pick_language(header) in LANGUAGES


def test_a_malformed_quality_does_not_outrank_a_valid_one():
    assert pick_language("en;q=high, zh;q=0.5") == "zh-CN"


def test_english_refused_with_q_zero_is_not_chosen():
    """RFC 9110 §12.4.2: q=0 means "not acceptable"."""
    assert pick_language("fr, en;q=0") == "zh-CN"


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_any_header_yields_a_supported_language(header):
    assert pick_language(header) in LANGUAGES


# ---------------------------------------------------------------------------------------------
# names of states, actions and roles


def test_every_state_action_and_role_has_a_name_in_both_languages():
    assert set(STATE_NAMES) == {s.value for s in State}
    assert set(ACTION_NAMES) == {a.value for a in Action}
    assert set(ROLE_NAMES) == {r.value for r in Role}
    for table in (STATE_NAMES, ACTION_NAMES, ROLE_NAMES):
        for zh, en in table.values():
            assert zh.strip() and en.strip() and zh != en


# ---------------------------------------------------------------------------------------------
# rendering


def raised(call) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call()
    return caught.value


def test_illegal_step_names_the_state_and_the_allowed_steps_in_chinese():
    error = raised(lambda: transition(State.on_site, Action.accept, Role.technician, True))
    text = render(error.key, "zh-CN", error.params)
    assert "已到场" in text and "接单" in text
    assert "联系客户" in text and "结单" in text and "客户签名" in text
    assert "、" in text
    assert "on_site" not in text and "accept" not in text


def test_illegal_step_names_the_state_and_the_allowed_steps_in_english():
    error = raised(lambda: transition(State.on_site, Action.accept, Role.technician, True))
    text = render(error.key, "en", error.params)
    assert text.startswith("The order is on site; it cannot accept.")
    assert "contact customer" in text and "close" in text and "customer signature" in text


def test_illegal_step_with_nothing_allowed_says_so():
    params = {"state": "cancelled", "action": "dispatch", "allowed": []}
    assert render("lifecycle.illegal", "zh-CN", params).endswith("可执行的操作:无。")
    assert render("lifecycle.illegal", "en", params).endswith("Allowed next steps: none.")


def test_forbidden_names_the_role_in_the_callers_language():
    error = raised(lambda: transition(State.new, Action.dispatch, Role.contractor, True))
    assert render(error.key, "zh-CN", error.params) == "代维人员无权执行“派单”。"
    assert (
        render(error.key, "en", error.params)
        == "A contractor technician may not dispatch this order."
    )


def test_render_does_not_alter_the_callers_params():
    params = {"state": "new", "action": "dispatch", "allowed": ["dispatch", "note"]}
    render("lifecycle.illegal", "en", params)
    assert params == {"state": "new", "action": "dispatch", "allowed": ["dispatch", "note"]}


def test_an_unknown_key_renders_as_itself():
    assert render("no.such.key", "en") == "no.such.key"


def fields_of(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


# The parameters each message's raiser passes (api/, domain/), as found in the code.
CODE_PARAMS: dict[str, dict[str, object]] = {
    "reach.notice_not_found": {"notice": 12},
    "reach.user_not_found": {"user": 9},
    "call.unknown_order": {"code": "GD20261204-0001"},
    "call.unknown_agent": {"agent": "8001"},
    "call.report_conflict": {"call_id": "c-1", "fields": "started_at, callee"},
    "system_client.name_taken": {"name": "呼叫中心"},
    "system_client.not_found": {"id": 3},
    "lifecycle.forbidden": {"action": "dispatch", "role": "contractor"},
    "lifecycle.illegal": {"action": "accept", "state": "on_site", "allowed": ["contact", "close"]},
    "order.not_found": {"id": 42},
    "order.assignee_not_found": {"id": 7},
    "order.assignee_role": {"name": "王师傅"},
    "order.unknown_location": {"field": "community", "id": 3},
    "order.unknown_customer": {"id": 9},
    "routing.no_team": {"kind": "repair"},
    "routing.wrong_team": {"kind": "repair", "team_function": "install", "allowed": ["repair"]},
    "routing.wrong_network": {"team_network": "one_way", "customer_network": "two_way"},
    "closure.category_mismatch": {"kind": "repair", "expected": "repair"},
    "closure.detailed_remark_required": {"min": 10},
    "closure.unknown_material": {"code": "XX-1"},
    "closure.material_quantity": {"code": "ONU"},
    "closure.swap_serials_required": {"device": "光猫"},
    "auth.rate_limited": {"retry_after": 300},  # api/errors.py adds retry_after from the exception
    "customer.not_found": {"id": 5},
    "user.exists": {"username": "wang"},
    "push.endpoint_not_allowed": {"origin": "http://10.0.0.5:8080"},
    "push.key_invalid": {"field": "p256dh"},
    "push.subscription_not_found": {"device_id": "phone-1"},
    "photo.absurd_dimensions": {"width": 1, "height": 25000},
    "photo.too_many_pixels": {"width": 8000, "height": 8000, "max": 50_000_000},
    "photo.unknown_kind": {"photo_kind": "selfie"},
    "photo.not_found": {"id": 4},
    "photo.not_ready": {"id": 4},
    "upload.too_large": {"max_mb": 25},
    "upload.past_length": {"length": 5_000_000},
    "upload.bad_metadata": {"key": "filename"},
    "upload.checksum_algorithm": {"algorithm": "crc32"},
    "upload.bad_header": {"header": "Upload-Offset"},
    "upload.finished": {"offset": 5_000_000},
    "upload.store_unavailable": {"retry_after": 5},
    "server.database_unavailable": {"retry_after": 2},
    "upload.offset_mismatch": {"expected": 1000, "given": 500},
    "signature.too_many_points": {"max": 20000},
    "signature.time_goes_back": {"stroke": 2},
    "signature.too_small": {"min": 20},
    "signature.not_found": {"id": 8},
    "record.state_pending": {"state": "closed", "count": 2},
    # sync/push.py: why an offline mutation was rejected (name of the new holder, local time)
    "sync.reassigned": {"name": "周维修", "at": "11-23 10:42"},
    "sync.you_rejected": {"name": "", "at": "11-23 10:42"},
    "sync.sent_back": {"name": "", "at": "11-23 10:42"},
    "sync.cancelled": {"name": "", "at": "11-23 10:42"},
    "sync.reopened": {"name": "", "at": "11-23 10:42"},
    "sync.unknown_mutation": {"name": "teleport"},
    "sync.invalid_args": {"detail": "order_id"},
    "sync.conflict_not_found": {"id": 12},
    "sync.first_unsettled_after_batch": {"first_unsettled": 7},
    # api/outages, api/handover
    "outage.not_found": {"id": 3},
    "outage.illegal": {"status": "dismissed", "step": "publish", "allowed": ["confirm", "dismiss"]},
    "outage.unknown_place": {"scope": "road", "id": 9},
    "outage.closed": {"status": "restored"},
    "outage.not_restored": {"status": "published"},
    "outage.order_in_other": {"outage": 4},
    "outage.restored_note": {
        "id": 3,
        "reporter": "网络部",
        "cause": "光缆被挖断",
        "at": "2026-11-23 11:25",
    },
    "outage.closed_result": {"at": "2026-11-23 11:25"},
    "handover.not_found": {"id": 1},
    "handover.held_back": {"ids": "#1、#2", "outages": [1, 2]},
    "handover.wrong_status": {"sheet_status": "completed"},
    "handover.open_exists": {"id": 2},
    "handover.unknown_person": {"id": 7},
    # api/reports
    "report.period_reversed": {"first": "2026-11-30", "last": "2026-11-01"},
    "report.period_too_long": {"max": 366},
    "area.not_found": {"id": 9},
    "team.not_found": {"id": 9},
    "user.not_found": {"id": 9},
    # the duty desk (issue 19): api/duty, api/routing, domain/duty.py, domain/routing.py
    "routing.contractor_kind": {
        "kind": "dedicated_line",
        "contractor_kinds": ["install", "repair"],
    },
    "broadcast.not_found": {"id": 4},
    "broadcast.wrong_status": {"broadcast_status": "closed"},
    "duty.not_found": {"id": 4},
    "duty.unknown_person": {"ids": "7, 8"},
    "duty.already_on_shift": {"ids": "7"},
    "duty.wrong_check": {},
    "duty.called_in": {"attendance": "called_in"},
    "duty.outage_not_confirmed": {"status": "suspected"},
    "handover.held_back_broadcast": {"ids": "#1", "broadcast_events": [1]},
    "handover.incoming_not_on_roster": {"id": 7},
    # not raised anywhere yet: the parameters their templates name
    "policy.not_found": {"id": 1},
    "policy.unknown_kind": {"kind": "fax"},
}


@pytest.mark.parametrize("key", sorted(MESSAGES))
def test_both_languages_use_the_same_parameters(key):
    zh, en = MESSAGES[key]
    assert fields_of(zh) == fields_of(en)


@pytest.mark.parametrize("key", sorted(MESSAGES))
@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_message_renders_whole_with_the_params_the_code_passes(key, lang):
    params = CODE_PARAMS.get(key, {})
    template = MESSAGES[key][LANGUAGES.index(lang)]
    assert fields_of(template) <= set(params), f"{key} needs {fields_of(template) - set(params)}"
    text = render(key, lang, params)
    assert "{" not in text and "}" not in text
    assert text.strip()
    for name, value in params.items():
        if name in NAMED_PARAMS:  # identifiers are shown by their name in the reader's language
            for one in value if isinstance(value, list) else [value]:
                assert _name_of(NAMED_PARAMS[name], one, lang) in text
        elif isinstance(value, (int, str)):
            assert str(value) in text


def _name_of(table, value, lang):
    names = table.get(str(value), (str(value), str(value)))
    return names[LANGUAGES.index(lang)]


def test_identifiers_in_messages_are_translated():
    zh = render(
        "routing.wrong_network", "zh-CN", {"team_network": "one_way", "customer_network": "two_way"}
    )
    assert zh == "客户为双向网络,所选队伍负责单向网络。"
    en = render(
        "routing.wrong_team",
        "en",
        {"kind": "repair", "team_function": "install", "allowed": ["repair"]},
    )
    assert en == "A repair order goes to a repair team; the assignee is in the install team."


def test_alternatives_read_as_a_sentence_in_english():
    """ "a or b", "a, b or c": not a bare comma between the teams or kinds that may take an order."""
    assert (
        render(
            "routing.wrong_team",
            "en",
            {
                "kind": "after_sales",
                "team_function": "repair",
                "allowed": ["data_entry", "branch_office"],
            },
        )
        == "An after-sales order goes to a data-entry or branch-office team; the assignee is in the repair team."
    )
    assert render(
        "routing.contractor_kind",
        "en",
        {"kind": "dedicated_line", "contractor_kinds": ["install", "repair"]},
    ) == (
        "Contractors' teams may take only install or repair orders in this area, not a dedicated-line order."
    )
    three = {"state": "on_site", "action": "accept", "allowed": ["contact", "note", "close"]}
    assert render("lifecycle.illegal", "en", three).endswith(
        "Allowed next steps: contact customer, note or close."
    )


def test_alternatives_read_as_a_sentence_in_chinese():
    """Names run on without spaces, 、 between them and 或 before the last."""
    assert (
        render(
            "routing.wrong_team",
            "zh-CN",
            {
                "kind": "after_sales",
                "team_function": "repair",
                "allowed": ["data_entry", "branch_office"],
            },
        )
        == "售后工单应派给资料录入或营业网点队伍,所选处理人属于维修队伍。"
    )
    assert (
        render(
            "routing.contractor_kind",
            "zh-CN",
            {"kind": "dedicated_line", "contractor_kinds": ["install", "repair"]},
        )
        == "代维队伍在该片区只能承接安装或报修工单,不能承接专线工单。"
    )
    three = {"state": "on_site", "action": "accept", "allowed": ["contact", "note", "close"]}
    assert render("lifecycle.illegal", "zh-CN", three).endswith(
        "可执行的操作:联系客户、备注或结单。"
    )


def test_messages_exist_in_chinese_and_english():
    for key, (zh, en) in MESSAGES.items():
        assert any("\u4e00" <= ch <= "\u9fff" for ch in zh), key
        assert en.isascii(), key


def _domain_issues():
    """Every issue the closure and routing rules can produce, with the params they really pass."""
    bad = ClosureForm(
        closure_category="complaint",
        outcome="resolved",
        cause="",
        solution="",
        result="",
        remark="",
        work_done="",
        labour_hours=0,
        materials=(MaterialUse("NOPE", 1),),
        device_swaps=(DeviceSwap("机顶盒", "", ""),),
    )
    now = datetime(2026, 11, 23, 13, 0, tzinfo=TZ)
    found = closure_issues(bad, OrderFacts("dedicated_line", "vip", False, False), set(), now, TZ)
    appointment = ClosureForm("repair", "appointment", "c", "s", "r")
    found += closure_issues(
        appointment, OrderFacts("repair", "ordinary", False, False), set(), now, TZ
    )
    late = ClosureForm(
        "repair",
        "appointment",
        "c",
        "s",
        "r",
        appointment_date=date(2026, 11, 23),
        appointment_half_day="am",
    )
    found += closure_issues(late, OrderFacts("repair", "ordinary", False, False), set(), now, TZ)
    zero = ClosureForm(
        "repair",
        "resolved",
        "c",
        "s",
        "r",
        work_done="w",
        labour_hours=1,
        materials=(MaterialUse("ONU", 0),),
    )
    found += closure_issues(zero, OrderFacts("repair", "ordinary", True, False), {"ONU"}, now, TZ)
    changed = OrderFacts("repair", "ordinary", False, False, signature_changed=True)
    found += closure_issues(zero, changed, {"ONU"}, now, TZ)
    found += route_issues("repair", "two_way", None, None)
    found += route_issues("repair", "two_way", "install", "two_way")
    found += route_issues("repair", "two_way", "repair", "one_way")
    found += route_issues("dedicated_line", "two_way", "dedicated_line", "two_way", "contractor")
    return found


DOMAIN_ISSUES = _domain_issues()


def test_the_domain_rules_produce_every_closure_and_routing_message():
    produced = {issue.key for issue in DOMAIN_ISSUES}
    expected = {
        k for k in MESSAGES if k.startswith(("closure.", "routing.")) and k != "closure.invalid"
    }
    assert produced == expected


@pytest.mark.parametrize("issue", DOMAIN_ISSUES, ids=lambda issue: issue.key)
@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_issue_from_the_rules_renders_whole(issue, lang):
    assert issue.key in MESSAGES
    text = render(issue.key, lang, issue.params)
    assert "{" not in text and "}" not in text
    assert text != issue.key


@pytest.mark.parametrize(
    "state, action, role, holds",
    [
        (s, a, r, h)
        for s in (State.new, State.on_site, State.closed)
        for a in (Action.dispatch, Action.sign)
        for r in (Role.contractor, Role.technician, Role.dispatcher)
        for h in (True, False)
    ],
)
@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_lifecycle_refusal_renders_whole(state, action, role, holds, lang):
    try:
        transition(state, action, role, holds)
    except (Forbidden, Conflict) as error:
        text = render(error.key, lang, error.params)
        assert "{" not in text and "}" not in text
        assert action.value not in text or lang == "en"
