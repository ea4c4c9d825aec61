"""Calls to customers in Chromium (issue 19): the dispatcher taps "call" in the console's order pane
(an attempt, with a warning in the customer's rest hours), the telephony system's report of the call
shows as recorded; the technician's tap on the phone is recorded too; a supervisor is warned when
the business calendar has no holidays for next year."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx

from tests.browser.conftest import shot
from tests.browser.test_console_dispatch import log_in, new_order
from tests.browser.test_field_screens import open_job
from tests.browser.test_pwa_offline import log_in as phone_log_in
from tests.browser.test_pwa_offline import wait_synced

TZ = ZoneInfo("Asia/Shanghai")
# tel: links would hand over to the operating system: keep the page where it is (after the app's
# own handlers), counting the dials the app let through in `window.__dials`.
NO_DIAL = """() => { window.__dials = 0; document.addEventListener("click", (e) => {
  if (!e.target.closest('a[href^="tel:"]')) return;
  if (!e.defaultPrevented) window.__dials += 1;
  e.preventDefault(); }); }"""


def rest_hours(server, *windows: tuple[str, str]) -> None:
    server.office.post(
        "supervisor",
        "/api/policies/calls",
        {"max_minutes": 3, "rest_hours": [{"start": a, "end": b} for a, b in windows]},
    )


def rest_window_around_now() -> tuple[str, str]:
    now = datetime.now(TZ)
    return (now - timedelta(hours=1)).strftime("%H:%M"), (now + timedelta(hours=1)).strftime(
        "%H:%M"
    )


def test_the_dispatcher_calls_from_the_order_pane_and_sees_the_recorded_call(desk, server):
    page = desk
    order = new_order(server, "电视无信号")
    rest_hours(server)  # none: whatever the hour this test runs at
    log_in(page, "dispatcher")
    page.goto(f"/console#queue/{order['id']}")
    page.wait_for_selector("#pane-history li")
    assert page.locator("#pane-history li.call").count() == 0  # no calls yet
    page.evaluate(NO_DIAL)
    dialogs = []
    page.on("dialog", lambda d: dialogs.append(d.message))
    assert page.get_attribute("#call-customer", "href") == f"tel:{order['contact_phone']}"
    page.click("#call-customer")
    page.wait_for_selector('.toast.ok:has-text("已记录拨号")')
    # The tap is in the order's history, newest first: who called whom, not yet recorded.
    page.wait_for_selector('#pane-history li:first-child[data-origin="attempt"]')
    tapped = page.inner_text('#pane-history li[data-origin="attempt"]')
    assert f"去电 王调度 → {order['contact_phone']}" in tapped and "未收到录音系统记录" in tapped
    # The call's clock counts down the policy's 3 minutes (it started just now).
    page.wait_for_selector('#pane-calls .call-clock:has-text("通话限时 3 分钟:剩 2:")')

    assert page.evaluate("window.__dials") == 1 and dialogs == []  # outside rest hours: no question

    # In the customer's rest hours (a window around now) the console asks before dialling: "no"
    # dials nothing and records nothing; "yes" dials, recorded as an urgent call.
    start, end = rest_window_around_now()
    rest_hours(server, (start, end))
    page.reload()
    page.wait_for_selector("#pane-history li.call")
    page.evaluate(NO_DIAL)
    page.once("dialog", lambda d: d.dismiss())
    page.click("#call-customer")
    assert page.evaluate("window.__dials") == 0 and f"({start}–{end})" in dialogs[-1]
    assert len(server.office.get("dispatcher", f"/api/work-orders/{order['id']}/calls")) == 1
    page.once("dialog", lambda d: d.accept())
    page.click("#call-customer")
    assert page.evaluate("window.__dials") == 1
    page.wait_for_selector('.toast.ok:has-text("已记录紧急拨号")')
    page.wait_for_selector('#pane-history li.call-bad:has-text("客户休息时间 · 紧急")')
    calls = server.office.get("dispatcher", f"/api/work-orders/{order['id']}/calls")
    assert [c["urgent"] for c in calls] == [False, True]

    # The telephony system reports the first call: the attempt becomes the recorded call.
    key = server.office.post("admin", "/api/system-clients", {"name": "呼叫中心"})["key"]
    attempt = server.office.get("dispatcher", f"/api/work-orders/{order['id']}/calls")[0]
    started = datetime.fromisoformat(attempt["started_at"]) + timedelta(seconds=5)
    r = httpx.post(
        f"{server.url}/api/telephony/calls",
        headers={"Authorization": f"Bearer {key}"},
        json={
            "call_id": "CC-100",
            "order_code": order["code"],
            "agent": "dispatcher",
            "caller": "8001",
            "callee": order["contact_phone"],
            "started_at": started.isoformat(),
            "answered_at": (started + timedelta(seconds=8)).isoformat(),
            "ended_at": (started + timedelta(seconds=8 + 95)).isoformat(),
            "recording_ref": "rec/CC-100.wav",
        },
        timeout=60,
    )
    assert r.status_code == 201, r.text
    # Live: the report redraws the pane (the `call` event), no reload. The history says how long
    # they talked and where the recording is, among the steps by time (the order's creation last).
    page.wait_for_selector(
        '#pane-history li[data-origin="telephony"]:has-text("录音 rec/CC-100.wav")'
    )
    assert "通话 1:35" in page.inner_text('#pane-history li[data-origin="telephony"]')
    assert page.locator("#pane-history li.call").count() == 2
    assert page.locator("#pane-history li").last.get_attribute("class") in (None, "")
    shot(page, "console-calls")
    page.click("#lang")  # and in English
    page.wait_for_selector(
        '#pane-history li[data-origin="telephony"]:has-text("recording rec/CC-100.wav")'
    )
    assert "talked 1:35" in page.inner_text('#pane-history li[data-origin="telephony"]')
    assert page.errors == []


def test_the_technicians_tap_is_recorded_and_listed_on_the_job(phone, server):
    page = phone
    order = new_order(server, "宽带断网")
    server.office.post(
        "dispatcher",
        f"/api/work-orders/{order['id']}/dispatch",
        {"assignee_id": server.world.uid("tech2")},
    )
    rest_hours(server)
    phone_log_in(page, "tech2")
    open_job(page, order["id"])
    page.evaluate(NO_DIAL)
    dialogs = []
    page.on("dialog", lambda d: dialogs.append(d.message))
    page.click("#call")
    # The tap reaches the server and comes back with the job's document, in its history.
    page.wait_for_selector('#history li[data-origin="attempt"]:has-text("李维修")')
    calls = server.office.get("dispatcher", f"/api/work-orders/{order['id']}/calls")
    assert [(c["tapped_on"], c["staff"]["name"]) for c in calls] == [("phone", "李维修")]
    assert page.evaluate("window.__dials") == 1 and dialogs == []  # outside rest hours: dialled
    assert page.errors == []


def test_in_rest_hours_the_phone_asks_first_and_a_tap_offline_reaches_the_server(phone, server):
    """The phone knows the rest hours offline (its reference data): it asks before dialling, and
    a "no" dials and records nothing. A tap offline waits in the outbox with its time and reaches
    the server when the phone is online again: an urgent call, started when it was tapped."""
    page = phone
    order = new_order(server, "宽带断网")
    server.office.post(
        "dispatcher",
        f"/api/work-orders/{order['id']}/dispatch",
        {"assignee_id": server.world.uid("tech2")},
    )
    start, end = rest_window_around_now()
    rest_hours(server, (start, end))
    phone_log_in(page, "tech2")
    open_job(page, order["id"])
    page.context.set_offline(True)
    page.evaluate(NO_DIAL)
    dialogs = []
    page.on("dialog", lambda d: dialogs.append(d.message))
    page.once("dialog", lambda d: d.dismiss())
    page.click("#call")
    assert f"({start}–{end})" in dialogs[-1] and page.evaluate("window.__dials") == 0
    assert page.locator("#history li.local").count() == 0
    page.once("dialog", lambda d: d.accept())
    tapped = datetime.now(UTC)
    page.click("#call")
    assert page.evaluate("window.__dials") == 1
    page.wait_for_selector('#history li.local:has-text("拨打客户电话")')
    page.wait_for_selector('#sync-ind[data-pending="1"]')
    time.sleep(3)  # offline a while: the call started when it was tapped, not when it was sent
    assert server.office.get("dispatcher", f"/api/work-orders/{order['id']}/calls") == []
    online = datetime.now(UTC)
    page.context.set_offline(False)
    wait_synced(page)
    (call,) = server.office.get("dispatcher", f"/api/work-orders/{order['id']}/calls")
    assert (call["tapped_on"], call["urgent"], call["in_rest_hours"]) == ("phone", True, True)
    started = datetime.fromisoformat(call["started_at"])
    assert tapped - timedelta(seconds=1) <= started < online - timedelta(seconds=2)
    page.wait_for_selector('#history li[data-origin="attempt"]:has-text("紧急")')
    assert page.locator("#history li.local").count() == 0
    assert page.errors == []


def test_a_supervisor_is_warned_when_next_year_has_no_holidays_and_reads_the_call_figures(
    desk, server
):
    page = desk
    coverage = server.office.get("supervisor", "/api/policies/calendar/coverage")
    year = coverage["next_year"]
    log_in(page, "dispatcher")  # not a supervisor's matter
    page.wait_for_selector("#tabs a")
    assert page.locator("#calendar-notice").count() == 0
    page.click("#logout")
    log_in(page, "supervisor")
    page.wait_for_selector("#tabs a")
    # The reports panel shows the calls group beside the others.
    page.click('#tabs a[data-panel="reports"]')
    page.wait_for_selector('#report section[data-group="calls"] [data-figure="calls_recorded"]')
    if coverage["next_year_covered"]:  # a newer chinesecalendar already has next year
        assert page.locator("#calendar-notice").count() == 0
        return
    page.wait_for_selector(f'#calendar-notice:has-text("{year}")')
    shot(page, "console-calendar-notice")
    # (What answers it: tests/browser/test_console_calendar.py.)


def test_a_supervisor_sets_the_call_policy_in_the_console(desk, server):
    """The 电联规则 tab shows the call policy in force and its versions; a supervisor saves a new
    version (the rest hours and the limit), a refused one changes nothing; dispatchers only read."""
    page = desk
    log_in(page, "supervisor")
    page.click('#tabs a[data-panel="call-policy"]')
    now = page.locator("#call-policy-now")
    page.locator('#call-policy-now:has-text("默认规则")').wait_for()
    assert "通话时长上限 3 分钟" in now.inner_text()
    assert "12:00–14:00、21:00–08:00" in now.inner_text()

    page.fill('input[name="max_minutes"]', "5")
    page.locator(".remove-window").nth(1).click()  # no night rest …
    page.locator('.rest-window[data-window="0"] input').nth(0).fill("22:00")  # … but this one
    page.locator('.rest-window[data-window="0"] input').nth(1).fill("07:30")
    page.click("#add-window")
    page.locator('.rest-window[data-window="1"] input').nth(0).fill("12:30")
    page.locator('.rest-window[data-window="1"] input').nth(1).fill("13:30")
    page.click("#call-policy-save")
    page.wait_for_selector('.toast.ok:has-text("电联规则已更新")')
    page.locator('#call-policy-now:has-text("22:00–07:30、12:30–13:30")').wait_for()
    assert "通话时长上限 5 分钟" in now.inner_text() and "赵主管设置" in now.inner_text()
    assert page.locator("#call-policy-versions tbody tr").count() == 2
    versions = server.office.get("supervisor", "/api/policies/calls?history=true")
    assert versions[-1]["max_minutes"] == 5 and versions[-1]["rest_hours"] == [
        {"start": "22:00", "end": "07:30"},
        {"start": "12:30", "end": "13:30"},
    ]
    shot(page, "console-call-policy")

    # A window that starts when it ends is refused, with the server's reason; nothing is saved.
    page.locator('.rest-window[data-window="1"] input').nth(1).fill("12:30")
    page.click("#call-policy-save")
    page.wait_for_selector('.toast:not(.ok):has-text("休息时段的开始和结束不能相同")')
    assert len(server.office.get("supervisor", "/api/policies/calls?history=true")) == 2

    page.click("#logout")
    log_in(page, "dispatcher")
    page.click('#tabs a[data-panel="call-policy"]')
    page.locator('#call-policy-now:has-text("22:00–07:30")').wait_for()
    assert page.locator("#call-policy-form").count() == 0
    assert page.errors == []
