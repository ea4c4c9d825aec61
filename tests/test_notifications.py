"""The push rules as plain functions: who hears of which step, urgency, clock warnings, texts and
payload size, and when a refused push is tried again."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from zoneinfo import ZoneInfo

import pytest

from domain.notifications import (
    MAX_PAYLOAD_BYTES,
    NoticeType,
    OrderView,
    OutageNotice,
    Urgency,
    clock_warning,
    for_event,
    outage_notifications,
    payload,
    urgency,
)
from push.sender import BACKOFF_CAP, Verdict, retry_delay, verdict_for

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
DISPATCHER, TECH, OTHER_TECH = 1, 2, 3
NEW = OrderView(
    id=9,
    code="GD20261123000009",
    kind="repair",
    area="锦江片区",
    state="new",
    assignee=None,
    priority="normal",
    urge_count=0,
    due=NOW + timedelta(minutes=10),
)
HELD = replace(NEW, state="accepted", assignee=TECH)


def told(
    before: OrderView, after: OrderView, action: str, actor: int
) -> list[tuple[int, NoticeType]]:
    return [(n.recipient, n.type) for n in for_event(before, after, action, actor, 3600)]


@pytest.mark.parametrize(
    "before, after, action, actor, expected",
    [
        (
            NEW,
            replace(NEW, state="dispatched", assignee=TECH),
            "dispatch",
            DISPATCHER,
            [(TECH, NoticeType.assigned)],
        ),
        (
            HELD,
            replace(HELD, state="dispatched", assignee=OTHER_TECH),
            "transfer",
            DISPATCHER,
            [(TECH, NoticeType.withdrawn), (OTHER_TECH, NoticeType.assigned)],
        ),
        # A second dispatch back to the same technician is news to them.
        (
            replace(HELD, state="returned"),
            replace(HELD, state="dispatched"),
            "dispatch",
            DISPATCHER,
            [(TECH, NoticeType.assigned)],
        ),
        (
            replace(HELD, state="dispatched"),
            replace(HELD, state="cancelled", assignee=None),
            "cancel",
            DISPATCHER,
            [(TECH, NoticeType.withdrawn)],
        ),
        (
            replace(HELD, state="dispatched"),
            replace(HELD, state="new", assignee=None),
            "reject",
            TECH,
            [],
        ),
        (HELD, replace(HELD, urge_count=1), "urge", DISPATCHER, [(TECH, NoticeType.urged)]),
        (NEW, replace(NEW, urge_count=1), "urge", DISPATCHER, []),  # no one to tell yet
        (
            replace(HELD, state="closed"),
            replace(HELD, state="new", assignee=None),
            "reopen",
            DISPATCHER,
            [],
        ),
        (HELD, replace(HELD, state="contacted"), "contact", TECH, []),
    ],
)
def test_who_hears_of_a_step(before, after, action, actor, expected):
    assert told(before, after, action, actor) == expected


def test_urgency_is_high_for_priority_and_urged_orders():
    assert urgency(HELD) == Urgency.normal
    assert (
        urgency(replace(HELD, priority="high")) == Urgency.high
    )  # VIP, dedicated line, 110, hotline
    assert urgency(replace(HELD, urge_count=1)) == Urgency.high


def test_every_order_notice_replaces_the_previous_one_of_that_order():
    notes = for_event(
        HELD, replace(HELD, state="dispatched", assignee=OTHER_TECH), "transfer", DISPATCHER, 3600
    )
    assert {n.topic for n in notes} == {"wo-9"}
    assert {n.ttl_seconds for n in notes} == {3600}


@pytest.mark.parametrize(
    "minutes_before_due, at_risk_minutes_before, warned",
    [
        (5.01, None, False),
        (5, None, True),
        (0.01, None, True),
        (0, None, False),
        (7, 8, True),  # the policy's at-risk time comes first
        (8.5, 8, False),
    ],
)
def test_clock_warning_window(minutes_before_due, at_risk_minutes_before, warned):
    due = NOW + timedelta(minutes=10)
    order = replace(HELD, due=due)
    risk = due - timedelta(minutes=at_risk_minutes_before) if at_risk_minutes_before else None
    now = due - timedelta(minutes=minutes_before_due)
    note = clock_warning(order, risk, now, timedelta(minutes=5))
    assert (note is not None) == warned
    if note:
        assert note.recipient == TECH and note.ttl_seconds >= 60


def test_no_clock_warning_for_an_order_no_one_holds():
    assert clock_warning(NEW, None, NOW + timedelta(minutes=8), timedelta(minutes=5)) is None
    closed = replace(HELD, state="closed")
    assert clock_warning(closed, None, NOW + timedelta(minutes=8), timedelta(minutes=5)) is None


def test_long_outage_texts_keep_the_payload_far_under_four_kilobytes():
    notice = OutageNotice(
        id=2**31,
        area="片" * 64,
        location="锦" * 2000,
        cause="断" * 2000,
        scope="楼" * 2000,
        estimated_restoration=NOW,
    )
    [note] = outage_notifications(notice, [TECH], 3600)
    for lang in ("zh-CN", "en"):
        data = payload(note.type, note.params, note.topic, None, lang, TZ)
        assert len(data) <= MAX_PAYLOAD_BYTES < 4096
        message = json.loads(data)
        assert message["body"].endswith("…") and message["title"].startswith(
            ("片区故障", "Area outage")
        )


def test_times_are_written_in_branch_time_in_each_language():
    note = for_event(
        NEW, replace(NEW, state="dispatched", assignee=TECH), "dispatch", DISPATCHER, 3600
    )[0]
    english = json.loads(payload(note.type, note.params, note.topic, 9, "en", TZ))
    chinese = json.loads(payload(note.type, note.params, note.topic, 9, "zh-CN", TZ))
    assert english["body"] == "GD20261123000009 · repair · 锦江片区 · due 23 Nov 10:10"
    assert chinese["body"] == "GD20261123000009 · 报修 · 锦江片区 · 时限 11月23日 10:10"


@pytest.mark.parametrize(
    "status, verdict",
    [
        (201, Verdict.sent),
        (404, Verdict.gone),
        (410, Verdict.gone),
        (429, Verdict.retry),
        (500, Verdict.retry),
        (503, Verdict.retry),
        (400, Verdict.failed),
        (403, Verdict.failed),
        (413, Verdict.failed),
    ],
)
def test_what_a_push_service_answer_means(status, verdict):
    assert verdict_for(status) == verdict


def test_retry_after_is_honoured_in_seconds_and_as_a_date():
    assert retry_delay(1, "120", NOW) == timedelta(seconds=120)
    assert retry_delay(
        1, format_datetime(NOW + timedelta(minutes=3), usegmt=True), NOW
    ) == timedelta(minutes=3)


def test_without_retry_after_the_backoff_doubles_up_to_a_cap():
    for attempts, upper in [(1, 5), (2, 10), (3, 20)]:
        assert (
            timedelta(seconds=upper / 2)
            <= retry_delay(attempts, None, NOW)
            <= timedelta(seconds=upper)
        )
    assert retry_delay(30, "soon", NOW) <= BACKOFF_CAP  # unreadable Retry-After: the backoff
