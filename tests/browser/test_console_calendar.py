"""The business calendar in the console (issue 19, item 5), at a laptop's 1366×800: a supervisor
sees a year's official holidays and 调休 days, enters a day of the branch's own (marked as theirs),
removes it again (the official day is back); the warning of a next year without holiday data links
to that year, stays while only a day of it is entered, and goes when the supervisor confirms the
year is all entered. axe-core finds nothing serious on the panel."""

from __future__ import annotations

import pytest

from tests.browser.conftest import shot
from tests.browser.test_console_dispatch import log_in
from tests.browser.test_field_screens import accessibility_problems, console  # noqa: F401


def row(page, day: str) -> str:
    return f'#cal-days tr[data-day="{day}"]'


def enter(page, day: str, working: bool, name: str) -> None:
    page.fill('#cal-form input[name="day"]', day)
    page.select_option('#cal-form select[name="working"]', "true" if working else "false")
    page.fill('#cal-form input[name="name"]', name)
    page.click("#cal-form button.primary")


def test_a_supervisor_enters_a_day_of_the_branchs_own_and_removes_it(console, server):  # noqa: F811
    page = console
    this_year = server.office.get("supervisor", "/api/policies/calendar/coverage")["next_year"] - 1
    log_in(page, "supervisor")
    page.click('#tabs a[data-panel="calendar"]')
    page.wait_for_selector(f'#cal-year:has-text("{this_year}")')  # the branch's year first
    page.goto("/console#calendar/2026")
    page.wait_for_selector('#cal-year:has-text("2026")')
    # China's National Day week: official, off; the Saturday after it is worked (调休).
    page.wait_for_selector(
        row(page, "2026-10-01") + '[data-source="official"][data-working="false"]'
    )
    assert "国庆节" in page.inner_text(row(page, "2026-10-01"))
    assert "周四" in page.inner_text(row(page, "2026-10-01"))
    assert page.get_attribute(row(page, "2026-10-10"), "data-working") == "true"
    assert page.locator("#cal-days .cal-remove").count() == 0  # nothing of the branch's yet

    # The branch works 1 October (an emergency rota): "change" fills the form with the day.
    page.click(row(page, "2026-10-01") + " .cal-change")
    assert page.input_value('#cal-form input[name="day"]') == "2026-10-01"
    assert page.input_value('#cal-form input[name="name"]') == "国庆节"
    page.select_option('#cal-form select[name="working"]', "true")
    page.fill('#cal-form input[name="name"]', "国庆抢修值班")
    page.click("#cal-form button.primary")
    page.wait_for_selector(
        row(page, "2026-10-01") + '[data-source="supervisor"][data-working="true"]'
    )
    assert "国庆抢修值班" in page.inner_text(row(page, "2026-10-01"))
    assert "本分公司录入" in page.inner_text(row(page, "2026-10-01"))
    # A day the official calendar does not have: a branch holiday on a Friday.
    enter(page, "2026-11-20", False, "分公司运动会")
    page.wait_for_selector(
        row(page, "2026-11-20") + '[data-source="supervisor"][data-working="false"]'
    )
    assert "分公司运动会" in page.inner_text(row(page, "2026-11-20"))
    listed = {
        d["day"]: d for d in server.office.get("dispatcher", "/api/policies/calendar?year=2026")
    }
    assert listed["2026-11-20"] == {
        "day": "2026-11-20",
        "working": False,
        "name": "分公司运动会",
        "source": "supervisor",
    }
    assert not accessibility_problems(page), accessibility_problems(page)
    page.locator(row(page, "2026-10-01")).scroll_into_view_if_needed()
    shot(page, "console-calendar")

    # Removing the entry brings the official day back; a day that was only the branch's goes.
    page.click(row(page, "2026-10-01") + " .cal-remove")
    page.wait_for_selector(
        row(page, "2026-10-01") + '[data-source="official"][data-working="false"]'
    )
    assert "国庆节" in page.inner_text(row(page, "2026-10-01"))
    page.click(row(page, "2026-11-20") + " .cal-remove")
    page.wait_for_selector(row(page, "2026-11-20"), state="detached")
    assert all(
        d["source"] == "official"
        for d in server.office.get("dispatcher", "/api/policies/calendar?year=2026")
    )
    assert page.errors == []


def test_the_warning_leads_to_next_year_and_goes_once_the_year_is_confirmed(console, server):  # noqa: F811
    page = console
    coverage = server.office.get("supervisor", "/api/policies/calendar/coverage")
    year = coverage["next_year"]
    if coverage["next_year_covered"]:
        pytest.skip(f"the installed chinesecalendar already has {year}")
    log_in(page, "supervisor")
    page.click("#calendar-notice-open")
    page.wait_for_selector(f'#cal-year:has-text("{year}")')
    page.wait_for_selector('#cal-state[data-state="missing"]')
    assert page.locator("#cal-days tr[data-day]").count() == 0
    assert not accessibility_problems(page), accessibility_problems(page)

    # One holiday entered is not the year: the warning stays (after a reload too).
    enter(page, f"{year}-01-01", False, "元旦")
    page.wait_for_selector(row(page, f"{year}-01-01") + '[data-source="supervisor"]')
    page.reload()
    page.wait_for_selector(row(page, f"{year}-01-01"))
    page.wait_for_selector(f'#calendar-notice:has-text("{year}")')
    shot(page, "console-calendar-next-year")

    # The supervisor confirms the whole year is entered: the warning goes at once.
    page.click("#cal-declare")
    page.wait_for_selector('#cal-state[data-state="entered"]')
    page.wait_for_selector("#calendar-notice", state="detached")
    assert server.office.get("dispatcher", "/api/policies/calendar/coverage")["next_year_covered"]
    # Withdrawn, it is back.
    page.click("#cal-withdraw")
    page.wait_for_selector('#cal-state[data-state="missing"]')
    page.wait_for_selector(f'#calendar-notice:has-text("{year}")')
    assert page.errors == []
