"""The call rules (domain/calls.py), pure: rest windows (spanning midnight or not), which policy version judges a call, and the length limit. Property-based where they are rules of time."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from domain import calls

TZ = ZoneInfo("Asia/Shanghai")
minutes_of_day = st.integers(0, 24 * 60 - 1).map(lambda m: time(m // 60, m % 60))
instants = st.datetimes(datetime(2026, 1, 1), datetime(2027, 12, 31), timezones=st.just(UTC))
windows = (
    st.tuples(minutes_of_day, minutes_of_day)
    .filter(lambda w: w[0] != w[1])
    .map(lambda w: calls.RestWindow(*w))
)
policies = st.builds(calls.CallPolicy, st.integers(1, 60), st.lists(windows, max_size=3).map(tuple))


def test_a_window_may_span_midnight():
    night = calls.RestWindow(time(21), time(8))
    assert night.holds(time(23, 59)) and night.holds(time(0)) and night.holds(time(7, 59))
    assert not night.holds(time(8)) and not night.holds(time(20, 59))
    lunch = calls.RestWindow(time(12), time(14))
    assert lunch.holds(time(12)) and not lunch.holds(time(14))


@given(st.integers(0, 3600), st.integers(1, 10))
def test_a_call_is_within_the_limit_exactly_when_its_talk_time_is(seconds, limit):
    start = datetime(2026, 11, 23, 2, tzinfo=UTC)
    policy = calls.CallPolicy(limit, (), effective_from=start - timedelta(days=1))
    facts = calls.CallFacts(
        "telephony",
        start,
        start + timedelta(seconds=5),
        start + timedelta(seconds=5 + seconds),
        "rec",
        to_customer=True,
    )
    verdict = calls.judge(facts, [policy], TZ)
    assert verdict.seconds == seconds and verdict.within_limit == (seconds <= limit * 60)
    assert verdict.recorded and not verdict.ongoing


@given(
    st.lists(st.integers(-1000, 1000), min_size=1, max_size=5, unique=True),
    st.integers(-1000, 1000),
)
def test_the_version_in_force_when_a_call_started_judges_it(offsets, at):
    base = datetime(2026, 11, 23, tzinfo=UTC)
    versions = [
        calls.CallPolicy(i + 1, (), base + timedelta(minutes=m))
        for i, m in enumerate(sorted(offsets))
    ]
    chosen = calls.policy_at(versions, base + timedelta(minutes=at))
    started = [v for v in versions if v.effective_from <= base + timedelta(minutes=at)]
    assert chosen == (started[-1] if started else calls.DEFAULT_CALL_POLICY)


def test_a_repeated_report_may_fill_in_but_not_change():
    stored = {"callee": "139", "ended_at": None, "recording_ref": ""}
    assert (
        calls.conflicting_fields(stored, {"callee": "139", "ended_at": 5, "recording_ref": "r"})
        == []
    )
    assert calls.conflicting_fields(stored, {"callee": "138"}) == ["callee"]
