"""The reach rules (domain/reach.py) as properties: which channel comes next, the escalation
policy's deadlines from the contact limit, the state of a notice, and the SMS parameters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from domain import reach as rules
from domain.notifications import NoticeType

CHANNELS = [c.value for c in rules.Channel]
orders_of_channels = st.permutations(CHANNELS).flatmap(
    lambda p: st.integers(0, 3).map(lambda n: list(p[:n]))
)
subsets = st.sets(st.sampled_from(CHANNELS))


@given(orders_of_channels, subsets, subsets)
def test_the_next_channel_is_the_first_untried_usable_one_in_the_persons_order(
    order, tried, usable
):
    chosen = rules.next_channel(order, tried, usable)
    eligible = [c for c in order if c not in tried and c in usable]
    assert chosen == (eligible[0] if eligible else None)


@given(orders_of_channels, subsets)
def test_escalating_channel_by_channel_tries_each_usable_one_once_in_order(order, usable):
    tried: list[str] = []
    while (chosen := rules.next_channel(order, tried, usable)) is not None:
        tried.append(chosen)
    assert tried == [c for c in order if c in usable]


policies = st.builds(
    rules.EscalationPolicy,
    st.integers(1, 100),
    st.integers(1, 100),
    st.integers(0, 600),
    st.integers(0, 600),
)


@given(
    policies, st.sampled_from(list(rules.TRACKED)), st.one_of(st.none(), st.integers(1, 24 * 60))
)
def test_deadlines_follow_the_policy_and_the_contact_limit(policy, notice, contact_minutes):
    due = rules.deadlines(policy, notice, contact_minutes)
    limit = timedelta(minutes=contact_minutes or rules.FALLBACK_CONTACT_MINUTES)
    if policy.deliver_minutes:
        assert due.escalate_after == timedelta(minutes=policy.deliver_minutes)
    else:
        assert due.escalate_after == max(
            timedelta(seconds=30), limit * policy.deliver_percent / 100
        )
    if notice not in rules.NEEDS_ACTION:
        assert due.alert_after is None
    elif policy.seen_minutes:
        assert due.alert_after == timedelta(minutes=policy.seen_minutes)
    else:
        assert due.alert_after == max(timedelta(seconds=30), limit * policy.seen_percent / 100)


def test_the_default_policy_is_a_third_and_two_thirds_of_the_contact_clocks():
    contact = rules.deadlines(rules.DEFAULT_ESCALATION, NoticeType.assigned, 30)
    assert (contact.escalate_after, contact.alert_after) == (
        timedelta(minutes=9.9),
        timedelta(minutes=20.1),
    )
    urge = rules.deadlines(rules.DEFAULT_ESCALATION, NoticeType.urged, 10)
    assert (urge.escalate_after, urge.alert_after) == (
        timedelta(minutes=3.3),
        timedelta(minutes=6.7),
    )


moments = st.one_of(st.none(), st.datetimes(timezones=st.just(UTC)))


@given(moments, moments, moments)
def test_a_notice_is_as_far_as_its_furthest_receipt(sent, delivered, seen):
    state = rules.state(sent, delivered, seen)
    expected = "seen" if seen else "delivered" if delivered else "sent" if sent else "queued"
    assert state == expected


@given(st.text(max_size=80), st.text(max_size=80))
def test_sms_parameters_are_bounded_and_in_the_templates_order(code, area):
    params = {
        "code": code,
        "kind": "repair",
        "area": area,
        "due": datetime(2026, 11, 23, 2, 30, tzinfo=UTC).isoformat(),
    }
    values = rules.sms_parameters(NoticeType.urged, params, ZoneInfo("Asia/Shanghai"))
    assert list(values) == ["action", "code", "kind", "area", "due"]
    assert all(len(v) <= rules.SMS_PARAM_CHARS for v in values.values())
    assert (
        values["action"] == "催单"
        and values["kind"] == "报修"
        and values["due"] == "11月23日 10:30"
    )


def test_mobile_numbers_as_providers_take_them():
    assert rules.mobile_number("138 0013-8000") == "13800138000"
    assert rules.mobile_number("+86 138 0013 8000") == "+8613800138000"
    assert rules.mobile_number("") is None and rules.mobile_number("转分机") is None
