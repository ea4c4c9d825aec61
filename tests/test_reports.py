"""Reports (domain/reports.py, /api/reports): figures equal to values counted by hand on a fixed
day of twelve orders, and on a day of outages and handovers, built through the API; the CSV a
supervisor opens in Excel, and bad periods.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from domain.clocks import Clock, ClockName, ClockState, EventFact
from domain.errors import BadRequest
from domain.messages import REPORT_NAMES
from domain.reports import (
    GROUPS,
    HandoverFacts,
    OrderHistory,
    OutageFacts,
    ReportInput,
    final_outcome,
    period,
    report,
)
from tests.test_outages import NOTICE
from tests.test_work_orders import FIELD_CLOSE, at, sign

TZ = ZoneInfo("Asia/Shanghai")
DAY = "from=2026-11-23&to=2026-11-23"
UNRESOLVED_CLOSE = {
    **FIELD_CLOSE,
    "outcome": "unresolved",
    "result": "信号仍不稳定,需网络部处理",
    "remark": "VIP客户,已说明需网络部排查光节点,预计两日内回复",
}
APPOINTMENT = {
    "closure_category": "repair",
    "outcome": "appointment",
    "cause": "机顶盒主板故障",
    "solution": "申请备件",
    "result": "已和用户预约上门更换",
}


# ---- pure rules -----------------------------------------------------------------------------


def test_a_period_is_whole_local_days_and_refuses_reversed_or_absurd_ones():
    p = period(date(2026, 11, 1), date(2026, 11, 30), TZ)
    assert (p.start, p.end) == (datetime(2026, 11, 1, tzinfo=TZ), datetime(2026, 12, 1, tzinfo=TZ))
    assert p.holds(datetime(2026, 11, 30, 23, 59, tzinfo=TZ)) and not p.holds(p.end)
    with pytest.raises(BadRequest) as reversed_:
        period(date(2026, 11, 30), date(2026, 11, 1), TZ)
    assert reversed_.value.key == "report.period_reversed"
    assert period(date(2026, 1, 1), date(2026, 12, 31), TZ).end == datetime(
        2027, 1, 1, tzinfo=TZ
    )  # a whole year
    with pytest.raises(BadRequest) as too_long:
        period(date(2025, 1, 1), date(2026, 1, 2), TZ)
    assert too_long.value.key == "report.period_too_long"


T = datetime(2026, 11, 23, 10, tzinfo=TZ)


def event(seq: int, action: str, minutes: int = 0, **payload) -> EventFact:
    return EventFact(seq, action, T + timedelta(minutes=seq + minutes), payload)


@pytest.mark.parametrize(
    "events, outcome",
    [
        ([event(1, "close", outcome="unresolved")], "unresolved"),
        # An appointment or phone guidance with no append counts as resolved (§2.1.5 B c) …
        ([event(1, "close", outcome="appointment")], "resolved"),
        # … the append gives the final outcome; an append that names none changes nothing,
        (
            [
                event(1, "close", outcome="appointment"),
                event(2, "append", final_outcome="unresolved"),
                event(3, "append", text="补充"),
            ],
            "unresolved",
        ),
        # … and one after a reopen belongs to the next closure.
        (
            [
                event(1, "close", outcome="resolved"),
                event(2, "reopen"),
                event(3, "append", final_outcome="unresolved"),
            ],
            "resolved",
        ),
    ],
)
def test_the_final_outcome_of_a_closure(events, outcome):
    assert final_outcome(events, 0) == outcome


def test_closure_category_accuracy_counts_categories_outside_the_kind_s_row():
    """The close step refuses a wrong category today; the figure still catches one from elsewhere."""
    orders = [
        OrderHistory(
            1,
            "repair",
            "normal",
            T,
            [event(1, "create"), event(2, "close", closure_category="repair")],
            [],
        ),
        OrderHistory(
            2,
            "transfer",
            "normal",
            T,
            [event(1, "create"), event(2, "close", closure_category="after_sales")],
            [],
        ),
        OrderHistory(
            3,
            "complaint",
            "normal",
            T,
            [event(1, "create"), event(2, "close", closure_category="repair")],
            [],
        ),
    ]
    data = ReportInput(
        period(date(2026, 11, 23), date(2026, 11, 23), TZ), T + timedelta(hours=1), orders
    )
    [group] = report(data, ["closure"])
    accuracy = next(f for f in group.figures if f.key == "closure_category_accuracy")
    assert (accuracy.numerator, accuracy.denominator, accuracy.target) == (2, 3, 1.0)


def test_an_empty_period_gives_no_rates_rather_than_zero():
    data = ReportInput(period(date(2026, 11, 23), date(2026, 11, 23), TZ), T, [])
    figures = [f for g in report(data) for f in g.figures]
    assert {f.key: f.value for f in figures if f.unit != "count"} == dict.fromkeys(
        [f.key for f in figures if f.unit != "count"], None
    )


def test_every_group_and_figure_is_named_in_both_languages():
    data = ReportInput(period(date(2026, 11, 23), date(2026, 11, 23), TZ), T, [])
    keys = [f"group.{g.key}" for g in report(data)] + [
        f.key for g in report(data) for f in g.figures
    ]
    assert set(GROUPS) == {g.key for g in report(data)}
    assert all(k in REPORT_NAMES for k in keys), [k for k in keys if k not in REPORT_NAMES]


def test_a_clock_still_running_before_its_due_time_is_pending_not_breached():
    running = Clock(
        ClockName.dispatch,
        T,
        1,
        T + timedelta(minutes=10),
        T + timedelta(minutes=8),
        ClockState.running,
        False,
    )
    order = OrderHistory(1, "repair", "normal", T, [event(0, "create")], [running])
    data = ReportInput(
        period(date(2026, 11, 23), date(2026, 11, 23), TZ), T + timedelta(minutes=1), [order]
    )
    first = report(data, ["dispatch"])[0].figures[0]
    assert (first.numerator, first.denominator, first.pending, first.value) == (0, 0, 1, None)


# ---- a day of twelve orders, through the API ---------------------------------------------------


def build_day(api) -> dict[str, int]:
    """Twelve orders on Monday 2026-11-23 from 10:00 local (minutes after it below). The figures
    each one feeds are noted; the expected values in the tests are counted from these notes."""
    w = api.world
    ids: dict[str, int] = {}

    def create(name: str, kind: str, customer: str = "ordinary"):
        return lambda: ids.__setitem__(
            name, api.create(kind=kind, customer_id=w.customers[customer])["id"]
        )

    def step(name: str, username: str, action: str, **body):
        return lambda: api.step(username, ids[name], action, **body)

    def dispatch(name: str, assignee: str):
        return step(name, "dispatcher", "dispatch", assignee_id=w.uid(assignee))

    def signed(name: str, satisfaction: int):
        return lambda: sign(api, "tech2", ids[name], satisfaction=satisfaction)

    timeline = [
        # o1 ordinary repair: dispatched in 4 min (met); signed 5; resolved; called back: 4
        (0, create("o1", "repair")),
        (4, dispatch("o1", "tech2")),
        (5, step("o1", "tech2", "accept")),
        (6, step("o1", "tech2", "contact")),
        (7, step("o1", "tech2", "start-travel")),
        (30, step("o1", "tech2", "arrive")),
        (55, signed("o1", 5)),
        (60, step("o1", "tech2", "close", **FIELD_CLOSE)),
        (120, step("o1", "agent", "callback", reached=True, satisfaction=4, remark="满意")),
        # o2 VIP repair: dispatched at 7 of 5 min (breached); urged at +9, contacted 5 min later
        # (urge met) and 14 min after creation (30-min contact met); signed 3; unresolved;
        # called back dissatisfied (2): covered, and reopened
        (1, create("o2", "repair", "vip")),
        (8, dispatch("o2", "tech2")),
        (10, step("o2", "agent", "urge")),
        (11, step("o2", "tech2", "accept")),
        (15, step("o2", "tech2", "contact")),
        (40, step("o2", "tech2", "arrive")),
        (70, signed("o2", 3)),
        (75, step("o2", "tech2", "close", **UNRESOLVED_CLOSE)),
        (130, step("o2", "agent", "callback", reached=True, satisfaction=2, remark="仍然掉线")),
        # o3 ordinary repair never dispatched (breached), urged twice, never contacted (2 breached)
        (100, create("o3", "repair")),
        (110, step("o3", "agent", "urge")),
        (115, step("o3", "agent", "urge")),
        # o4 consultation raised 7 minutes before the report: its dispatch clock is pending
        (293, create("o4", "consultation")),
        # o5 after-sales: dispatched in 5 (met); result returned at +30, dispatched again 20 min later
        # (transfer met); resolved at the desk; not called back yet
        (20, create("o5", "after_sales")),
        (25, dispatch("o5", "backoffice")),
        (26, step("o5", "backoffice", "accept")),
        (30, step("o5", "backoffice", "return-result", result="需营业厅核实")),
        (50, dispatch("o5", "backoffice")),
        (51, step("o5", "backoffice", "accept")),
        (52, step("o5", "backoffice", "contact")),
        (
            80,
            step(
                "o5",
                "backoffice",
                "close",
                closure_category="after_sales",
                outcome="resolved",
                method="office",
                cause="资料有误",
                solution="更正资料",
                result="已更正",
            ),
        ),
        # o6 repair: dispatched in 5 (met); result returned at +60 and left (transfer breached)
        (30, create("o6", "repair")),
        (35, dispatch("o6", "tech2b")),
        (36, step("o6", "tech2b", "accept")),
        (60, step("o6", "tech2b", "return-result", result="需更换楼道放大器")),
        # o7 complaint: dispatched in 5 (met); customer replied to in 60 min (met); resolved; no callback
        (40, create("o7", "complaint")),
        (45, dispatch("o7", "complaints")),
        (46, step("o7", "complaints", "accept")),
        (100, step("o7", "complaints", "contact")),
        (
            110,
            step(
                "o7",
                "complaints",
                "close",
                closure_category="complaint",
                outcome="resolved",
                method="office",
                cause="迟到",
                solution="致歉",
                result="客户接受",
            ),
        ),
        # o8 complaint: dispatched after 20 min (breached); never replied to (breached)
        (50, create("o8", "complaint")),
        (70, dispatch("o8", "complaints")),
        # o9 install: dispatched in 5 (met), then sent back as mis-dispatched
        (120, create("o9", "install")),
        (125, dispatch("o9", "tech1")),
        (
            130,
            step(
                "o9", "dispatcher", "send-back", reason_code="wrong_dispatch", reason="应为售后单"
            ),
        ),
        # o10 repair sent back at once as out of scope (the send-back stops the dispatch clock: met)
        (140, create("o10", "repair")),
        (
            145,
            step("o10", "dispatcher", "send-back", reason_code="out_of_scope", reason="电信业务"),
        ),
        # o11 repair: dispatched in 2 (met); closed by appointment, no append yet (counts resolved)
        (150, create("o11", "repair")),
        (152, dispatch("o11", "tech2")),
        (153, step("o11", "tech2", "accept")),
        (154, step("o11", "tech2", "contact")),
        (
            160,
            step(
                "o11",
                "tech2",
                "close",
                **APPOINTMENT,
                appointment_date="2026-11-24",
                appointment_half_day="pm",
            ),
        ),
        # o12 repair: dispatched in 2 (met); appointment, then an append: unresolved (the append
        # completes the service: its callback clock starts then)
        (170, create("o12", "repair")),
        (172, dispatch("o12", "tech2")),
        (173, step("o12", "tech2", "accept")),
        (
            180,
            step(
                "o12",
                "tech2",
                "close",
                **APPOINTMENT,
                appointment_date="2026-11-25",
                appointment_half_day="am",
            ),
        ),
        (
            200,
            step(
                "o12",
                "tech2",
                "append",
                text="上门更换机顶盒后仍无法开机",
                final_outcome="unresolved",
            ),
        ),
    ]
    for minute, action in sorted(timeline, key=lambda pair: pair[0]):
        at(minute)
        action()
    return ids


def figures(body: dict) -> dict[str, tuple]:
    return {
        f["key"]: (f["numerator"], f["denominator"], f["pending"], f["value"])
        for g in body["groups"]
        for f in g["figures"]
    }


def get_report(
    api, query: str = DAY, username: str = "supervisor", lang: str | None = None
) -> dict:
    response = api.get(username, f"/api/reports?{query}", lang=lang)
    assert response.status_code == 200, response.text
    return response.json()


def test_figures_of_a_day_equal_those_counted_by_hand(api):
    ids = build_day(api)
    at(300)  # 15:00 local
    body = get_report(api)
    assert (body["first_day"], body["last_day"], body["area"], body["orders"]) == (
        "2026-11-23",
        "2026-11-23",
        None,
        12,
    )
    # (met or counted, out of, pending, value)
    assert figures(body) == {
        "first_dispatch_on_time": (8, 11, 1, 8 / 11),  # o2, o3, o8 late; o4 pending
        "first_dispatch_on_time_normal": (8, 10, 1, 0.8),
        "first_dispatch_on_time_high": (0, 1, 0, 0.0),  # o2
        "transfer_on_time": (1, 2, 0, 0.5),  # o5 met, o6 breached
        "contact_on_time": (2, 4, 0, 0.5),
        "contact_on_time_priority": (1, 1, 0, 1.0),  # o2
        "contact_on_time_urged": (1, 3, 0, 1 / 3),  # o2's urge met, o3's two breached
        "urges_per_order": (3, 12, 0, 0.25),
        "unresolved_rate": (2, 6, 0, 1 / 3),  # o2, o12 of o1 o2 o5 o7 o11 o12
        "closure_category_accuracy": (6, 6, 0, 1.0),
        "appointments_without_append": (1, 2, 0, 0.5),  # o11 of o11 o12
        "send_backs": (2, 0, 0, 2),
        "complaint_reply_on_time": (1, 2, 0, 0.5),  # o7 met, o8 breached
        "callback_coverage": (2, 5, 0, 0.4),  # o1 o2 of o1 o2 o5 o7 o12
        "callback_on_time": (2, 2, 3, 1.0),
        "complaint_callback_coverage": (0, 1, 0, 0.0),  # o7
        "satisfaction_callback": (6, 2, 0, 3.0),  # 4 and 2
        "satisfaction_signing": (8, 2, 0, 4.0),  # 5 and 3
        # o1, o2 and o6, repairs from 锦华苑 within 30 minutes, make a suspected outage with no
        # notice yet; no handover that day.
        "outages": (1, 0, 0, 1),
        "outage_minutes_to_publish": (0, 0, 1, None),
        "outage_minutes_to_restore": (0, 0, 0, None),
        "outage_minutes_past_estimate": (0, 0, 0, None),
        "outage_restored_by_estimate": (0, 0, 0, None),
        "handover_on_time": (0, 0, 0, None),
        "handovers_held_back": (0, 0, 0, 0),
        "handover_minutes_late": (0, 0, 0, None),
        # 10 dispatches, o2's urge and o9's send-back (tech1's order withdrawn): 12 notices. The
        # technician's own step delivers (and sees) them: o2's dispatch after 3 min, o2's urge and
        # the other 7 after 1 (o8 and o9's withdrawal pending; o9's assignment superseded unseen).
        "notices": (12, 0, 0, 12),
        "notices_delivered": (9, 10, 2, 0.9),
        "notice_minutes_to_delivery": (11, 9, 2, 11 / 9),
        "notices_unseen_alerts": (0, 0, 0, 0),  # no reach worker ran
        # No calls that day (tests/test_calls.py counts them).
        "calls_within_limit": (0, 0, 0, None),
        "calls_outside_rest_hours": (0, 0, 0, None),
        "calls_recorded": (0, 0, 0, None),
        "call_minutes": (0, 0, 0, None),
    }
    breakdowns = {
        f["key"]: [(b["label"], b["count"]) for b in f["breakdown"]]
        for g in body["groups"]
        for f in g["figures"]
        if f["breakdown"]
    }
    assert breakdowns["send_backs"] == [
        ("非我司业务范围", 1),
        ("派单错误", 1),
        ("重复工单", 0),
        ("客户信息有误", 0),
        ("其他", 0),
    ]
    assert breakdowns["satisfaction_callback"] == [
        ("1分", 0),
        ("2分", 1),
        ("3分", 0),
        ("4分", 1),
        ("5分", 0),
    ]
    titles = {g["key"]: g["title"] for g in body["groups"]}
    assert titles["callback"] == "回访"
    assert get_report(api, lang="en")["groups"][4]["title"] == "Callbacks"

    # The next day o5 is called back: it counts for the day its service was completed, and the
    # clocks still running are judged again (o4's dispatch clock has run out).
    at(24 * 60)
    api.log_in_again()
    api.step("agent", ids["o5"], "callback", reached=True, satisfaction=5)
    later = figures(get_report(api))
    assert later["first_dispatch_on_time"] == (8, 12, 0, 8 / 12)
    assert later["callback_coverage"] == (3, 5, 0, 0.6)
    assert later["callback_on_time"] == (3, 3, 2, 1.0)
    assert later["satisfaction_callback"] == (6, 2, 0, 3.0)
    next_day = get_report(api, "from=2026-11-24&to=2026-11-24")
    assert next_day["orders"] == 1
    assert figures(next_day)["satisfaction_callback"] == (5, 1, 0, 5.0)
    assert figures(next_day)["callback_coverage"] == (0, 0, 0, None)
    assert figures(next_day)["first_dispatch_on_time"] == (0, 0, 0, None)
    # Both days together, and one area.
    assert figures(get_report(api, "from=2026-11-23&to=2026-11-24"))["satisfaction_callback"] == (
        11,
        3,
        0,
        11 / 3,
    )
    other = get_report(api, f"{DAY}&area_id={api.world.other_area}")
    assert (other["area"]["name"], other["orders"]) == ("青羊片区", 0)
    assert get_report(api, f"{DAY}&area_id={api.world.area}")["orders"] == 12


def read_csv(response) -> list[list[str]]:
    assert response.content.startswith(b"\xef\xbb\xbf")  # the BOM: Excel then reads UTF-8
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_the_csv_opens_in_excel_with_chinese_or_english_headers(api):
    build_day(api)
    at(300)
    response = api.get("supervisor", f"/api/reports.csv?{DAY}&area_id={api.world.area}")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert (
        response.headers["content-disposition"]
        == 'attachment; filename="report-2026-11-23-2026-11-23.csv"'
    )
    rows = read_csv(response)
    assert rows[:4] == [
        ["统计期间", "2026-11-23 – 2026-11-23"],
        ["片区", "锦江片区"],
        [],
        ["类别", "指标", "数值", "达标/合计", "统计基数", "未到期", "目标"],
    ]
    assert ["派单", "首次派单及时率", "72.7%", "8", "11", "1", ""] in rows
    assert ["结单", "回退工单数", "2", "2", "", "", ""] in rows
    assert ["结单", "回退工单数 · 派单错误", "1", "", "", "", ""] in rows
    assert ["回访", "回访率", "40.0%", "2", "5", "0", ""] in rows
    assert ["回访", "有效投诉回访率", "0.0%", "0", "1", "0", "100%"] in rows
    assert ["满意度", "回访满意度", "3.00", "6", "2", "", ""] in rows
    assert ["满意度", "签名满意度 · 5分", "1", "", "", "", ""] in rows
    assert (
        len(rows) == 4 + 26 + 4 + 4 + 5 + 5 + 5 + 5
    )  # figures (26, reach's 4, calls' 4), then the breakdown rows of four of them

    english = read_csv(api.get("supervisor", f"/api/reports.csv?{DAY}", lang="en-US,en;q=0.9"))
    assert english[:4] == [
        ["Period", "2026-11-23 – 2026-11-23"],
        ["Area", "All areas"],
        [],
        ["Group", "Figure", "Value", "Count", "Out of", "Pending", "Target"],
    ]
    assert ["Callbacks", "Callback coverage", "40.0%", "2", "5", "0", ""] in english


@pytest.mark.parametrize(
    "query, status, code",
    [
        ("from=2026-11-30&to=2026-11-01", 400, "report.period_reversed"),
        ("from=2025-01-01&to=2026-01-02", 400, "report.period_too_long"),
        ("from=2026-13-01&to=2026-12-31", 400, "request.invalid"),
        ("from=2026-11-01", 400, "request.invalid"),
        ("from=0001-01-01&to=9999-12-31", 400, "report.period_too_long"),
        (f"{DAY}&area_id=0", 400, "request.invalid"),
        (f"{DAY}&area_id=999", 404, "area.not_found"),
    ],
)
@pytest.mark.parametrize("path", ["/api/reports", "/api/reports.csv"])
def test_a_bad_period_or_area_is_a_problem_not_a_report(api, path, query, status, code):
    response = api.get("supervisor", f"{path}?{query}")
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == code


def test_reports_are_the_supervisors_as_the_manual_says_not_the_dispatchers(api):
    for username, status in [
        ("supervisor", 200),
        ("dispatcher", 403),
        ("admin", 200),
        ("agent", 403),
        ("backoffice", 403),
        ("tech2", 403),
        ("contractor1", 403),
    ]:
        assert api.get(username, f"/api/reports?{DAY}").status_code == status, username
        assert api.get(username, f"/api/reports.csv?{DAY}").status_code == status, username


# ---- outages and handovers --------------------------------------------------------------------


def at_minutes(m: float | None) -> datetime | None:
    return None if m is None else T + timedelta(minutes=m)


def test_outage_figures_count_the_outages_detected_in_the_period():
    def outage(id_, detected, published, estimate, restored, status="restored") -> OutageFacts:
        return OutageFacts(
            id_, status, *(at_minutes(m) for m in (detected, published, estimate, restored))
        )

    outages = [
        outage(1, 0, 10, 120, 100),  # restored 20 minutes before the estimate
        outage(2, 60, 90, 150, 190),  # 40 minutes after it
        outage(3, 30, None, None, None, "dismissed"),
        outage(4, 200, 230, 300, None, "published"),  # its estimate not reached yet: pending
        outage(5, 210, 220, 230, None, "published"),  # past its estimate, not restored: missed it
        outage(6, 220, None, None, None, "suspected"),  # no notice yet
        outage(7, 24 * 60, 24 * 60 + 5, 24 * 60 + 60, None, "published"),  # the next day
    ]
    data = ReportInput(
        period(date(2026, 11, 23), date(2026, 11, 23), TZ), T + timedelta(minutes=240), [], outages
    )
    [group] = report(data, ["outage"])
    got = {f.key: (f.numerator, f.denominator, f.pending, f.value) for f in group.figures}
    assert got == {
        "outages": (6, 0, 0, 6),
        "outage_minutes_to_publish": (80, 4, 1, 20.0),  # 10, 30, 30, 10; 6 pending
        "outage_minutes_to_restore": (230, 2, 2, 115.0),  # 100, 130; 4 and 5 pending
        "outage_minutes_past_estimate": (20, 2, 2, 10.0),  # −20, +40
        "outage_restored_by_estimate": (1, 3, 1, 1 / 3),  # 1 of 1, 2 and 5; 4 pending
    }
    assert dict(group.figures[0].breakdown) == {
        "suspected": 1,
        "confirmed": 0,
        "published": 2,
        "restored": 2,
        "dismissed": 1,
    }


def test_handover_punctuality_leaves_the_waits_for_an_outage_out():
    def handover(scheduled, completed, held_back=False) -> HandoverFacts:
        return HandoverFacts(at_minutes(scheduled), at_minutes(completed), held_back)

    handovers = [
        handover(0, -2),  # early
        handover(240, 252),  # 12 minutes late
        handover(480, 510, held_back=True),  # 30 late: an unpublished outage held it back
        handover(540, None, held_back=True),  # still held back
        handover(720, None),  # 22:00, not signed yet
        handover(24 * 60, 24 * 60),  # the next day
    ]

    def figures_at(minute: int) -> dict[str, tuple]:
        data = ReportInput(
            period(date(2026, 11, 23), date(2026, 11, 23), TZ),
            at_minutes(minute),
            [],
            handovers=handovers,
        )
        [group] = report(data, ["handover"])
        return {f.key: (f.numerator, f.denominator, f.pending, f.value) for f in group.figures}

    assert figures_at(660) == {
        "handover_on_time": (1, 2, 1, 0.5),  # the 22:00 one pending
        "handovers_held_back": (2, 0, 0, 2),
        "handover_minutes_late": (42, 3, 0, 14.0),  # 0 (early), 12, 30
    }
    assert figures_at(780)["handover_on_time"] == (
        1,
        3,
        0,
        1 / 3,
    )  # the 22:00 one not signed by then


def build_desk_day(api) -> None:
    """Outages (o) and handovers (h) on Monday 2026-11-23 from 10:00 local (minutes after it below),
    the figures each feeds noted as in build_day."""
    w = api.world
    ids: dict[str, int] = {}

    def expect(response, status: int = 201) -> dict:
        assert response.status_code == status, response.text
        return response.json()

    def declare(name: str, area: int, **place):
        return lambda: ids.__setitem__(
            name,
            expect(
                api.post(
                    "dispatcher", "/api/outages", {"area_id": area, "network": "two_way", **place}
                )
            )["id"],
        )

    def publish(name: str, estimate: int):
        return lambda: expect(
            api.post(
                "dispatcher",
                f"/api/outages/{ids[name]}/notices",
                {**NOTICE, "estimated_restoration": at_minutes(estimate).isoformat()},
            )
        )

    def restore(name: str, restored: int):
        return lambda: expect(
            api.post(
                "dispatcher",
                f"/api/outages/{ids[name]}/restoration",
                {
                    "confirmed_cause": "主干光缆被挖断",
                    "restored_at": at_minutes(restored).isoformat(),
                },
            )
        )

    def dismiss(name: str):
        return lambda: expect(
            api.post("dispatcher", f"/api/outages/{ids[name]}/dismiss", {"reason": "割接取消"}), 200
        )

    def prepare(name: str, scheduled: int):
        return lambda: ids.__setitem__(
            name,
            expect(
                api.post(
                    "dispatcher",
                    "/api/handovers",
                    {
                        "scheduled_at": at_minutes(scheduled).isoformat(),
                        "incoming_id": w.uid("dispatcher2"),
                    },
                )
            )["id"],
        )

    def signs(name: str, username: str, side: str, status: int = 200):
        return lambda: expect(api.post(username, f"/api/handovers/{ids[name]}/{side}"), status)

    timeline = [
        # o1 春熙路: published after 5 minutes; restored at 100, 20 before its estimate
        (0, declare("o1", w.area, scope="road", place_id=w.road)),
        (5, publish("o1", estimate=120)),
        (100, restore("o1", 100)),
        # o2 the other area: published after 10; restored at 230, 30 after its estimate
        (20, declare("o2", w.other_area)),
        (30, publish("o2", estimate=200)),
        (230, restore("o2", 230)),
        # o3: dismissed
        (60, declare("o3", w.area)),
        (70, dismiss("o3")),
        # o4 锦华苑: published after 30; not restored (its estimate is 20:00)
        (150, declare("o4", w.area, scope="community", place_id=w.community)),
        (180, publish("o4", estimate=600)),
        # o5 the whole area: no notice yet
        (300, declare("o5", w.area)),
        # h1 at 10:45: signed at 10:44, on time
        (31, prepare("h1", 45)),
        (40, signs("h1", "dispatcher", "sign-out")),
        (44, signs("h1", "dispatcher2", "sign-in")),
        # h2 at 12:00: signed 12 minutes late
        (110, prepare("h2", 120)),
        (125, signs("h2", "dispatcher", "sign-out")),
        (132, signs("h2", "dispatcher2", "sign-in")),
        # h3 at 12:50: held back by o4 until its notice is out, signed 20 minutes late
        (160, prepare("h3", 170)),
        (165, signs("h3", "dispatcher", "sign-out", status=409)),
        (185, signs("h3", "dispatcher", "sign-out")),
        (190, signs("h3", "dispatcher2", "sign-in")),
        # h4 at 18:00: not signed yet
        (195, prepare("h4", 480)),
    ]
    for minute, action in sorted(timeline, key=lambda pair: pair[0]):
        at(minute)
        action()


DESK_FIGURES = (
    "outages",
    "outage_minutes_to_publish",
    "outage_minutes_to_restore",
    "outage_minutes_past_estimate",
    "outage_restored_by_estimate",
    "handover_on_time",
    "handovers_held_back",
    "handover_minutes_late",
)


def test_outage_and_handover_figures_of_a_day_equal_those_counted_by_hand(api):
    build_desk_day(api)
    at(400)  # 16:40 local
    body = get_report(api)
    # (counted or summed, out of, pending, value)
    assert {k: v for k, v in figures(body).items() if k in DESK_FIGURES} == {
        "outages": (5, 0, 0, 5),
        "outage_minutes_to_publish": (45, 3, 1, 15.0),  # o1 5, o2 10, o4 30; o5 pending
        "outage_minutes_to_restore": (310, 2, 1, 155.0),  # o1 100, o2 210; o4 pending
        "outage_minutes_past_estimate": (10, 2, 1, 5.0),  # o1 −20, o2 +30
        "outage_restored_by_estimate": (1, 2, 1, 0.5),  # o1 of o1 o2; o4 pending
        "handover_on_time": (1, 2, 1, 0.5),  # h1 of h1 h2 (h3 held back); h4 pending
        "handovers_held_back": (1, 0, 0, 1),  # h3
        "handover_minutes_late": (32, 3, 0, 32 / 3),  # h1 0, h2 12, h3 20
    }
    statuses = {g["key"]: g for g in body["groups"]}["outage"]["figures"][0]["breakdown"]
    assert [(b["label"], b["count"]) for b in statuses] == [
        ("疑似", 0),
        ("已确认", 1),
        ("已发布公告", 1),
        ("已恢复", 2),
        ("已排除", 1),
    ]
    assert {g["key"]: g["branch_wide"] for g in body["groups"]}["handover"] is True

    # One area: its outages only; handovers are the whole branch's.
    area = figures(get_report(api, f"{DAY}&area_id={api.world.area}"))
    assert {k: v for k, v in area.items() if k in DESK_FIGURES} == {
        "outages": (4, 0, 0, 4),  # o1 o3 o4 o5
        "outage_minutes_to_publish": (35, 2, 1, 17.5),
        "outage_minutes_to_restore": (100, 1, 1, 100.0),
        "outage_minutes_past_estimate": (-20, 1, 1, -20.0),
        "outage_restored_by_estimate": (1, 1, 1, 1.0),
        "handover_on_time": (1, 2, 1, 0.5),
        "handovers_held_back": (1, 0, 0, 1),
        "handover_minutes_late": (32, 3, 0, 32 / 3),
    }
    other = figures(get_report(api, f"{DAY}&area_id={api.world.other_area}"))
    assert (other["outages"], other["outage_minutes_past_estimate"]) == (
        (1, 0, 0, 1),
        (30, 1, 0, 30.0),
    )

    csv_rows = read_csv(api.get("supervisor", f"/api/reports.csv?{DAY}&area_id={api.world.area}"))
    expected = [
        ["片区故障", "片区故障数", "4", "4", "", "", ""],
        ["片区故障", "片区故障数 · 已恢复", "1", "", "", "", ""],
        ["片区故障", "发现至发布故障公告", "17.5", "35", "2", "1", ""],
        ["片区故障", "实际恢复晚于首次预计", "-20.0", "-20", "1", "1", ""],
        ["片区故障", "按预计时间恢复率", "100.0%", "1", "1", "1", ""],
        # Handovers are the branch's, and the area's CSV says so.
        ["交接班(全部片区)", "交接班准时率", "50.0%", "1", "2", "1", ""],
        ["交接班(全部片区)", "因故障未发公告推迟的交接班", "1", "1", "", "", ""],
        ["交接班(全部片区)", "交接班延迟", "10.7", "32", "3", "0", ""],
    ]
    assert [row for row in expected if row not in csv_rows] == []
    english = read_csv(api.get("supervisor", f"/api/reports.csv?{DAY}", lang="en"))
    assert ["Area outages", "Detection to restoration", "155.0", "310", "2", "1", ""] in english
    assert ["Shift handover", "Handovers on time", "50.0%", "1", "2", "1", ""] in english

    # At 21:00 h4 (18:00) is late unsigned, and o4 (estimated for 20:00) has missed its estimate.
    at(660)
    later = figures(get_report(api))
    assert later["handover_on_time"] == (1, 3, 0, 1 / 3)
    assert later["outage_restored_by_estimate"] == (1, 3, 0, 1 / 3)
    assert later["outage_minutes_past_estimate"] == (
        10,
        2,
        1,
        5.0,
    )  # o4 not restored: no actual yet
    # The next day had none of them.
    next_day = figures(get_report(api, "from=2026-11-24&to=2026-11-24"))
    assert (next_day["outages"], next_day["handover_on_time"]) == ((0, 0, 0, 0), (0, 0, 0, None))
