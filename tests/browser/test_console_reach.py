"""The dispatcher sees whether a technician got and opened an assignment (issue 18), live, in
Chromium: the order pane says "已送达 … · 未查看" once the phone has pulled the job, then "已查看"
when the technician opens it on the phone, with no reload of the console."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import publish, shot
from tests.browser.test_console_dispatch import log_in as desk_log_in
from tests.browser.test_console_live import LIVE
from tests.browser.test_pwa_offline import create_order
from tests.world import PASSWORD


def test_the_console_shows_unseen_then_seen_live_when_the_phone_opens_the_job(desk, phone, server):
    order = create_order(server, "ordinary", "宽带断网,光猫红灯闪烁")
    desk_log_in(desk)
    expect(desk.locator("#live")).to_have_attribute("data-state", "open")
    desk.goto(f"/console#queue/{order['id']}")
    notice = desk.locator("#pane-notices li.notice").first
    expect(notice).to_have_attribute("data-state", "queued", timeout=LIVE)
    expect(notice.locator(".reach-state")).to_have_text("排队中 · 未查看")
    desk.evaluate("window.sameDocument = true")  # gone if anything reloads the console

    # The technician logs in: the app's first pull carries the order, which delivers the notice.
    phone.goto("/")
    phone.fill("#login-username", "tech2")
    phone.fill("#login-password", PASSWORD)
    phone.click("#login-submit")
    phone.wait_for_selector(f'.job-card[data-id="{order["id"]}"]')
    expect(notice).to_have_attribute("data-state", "delivered", timeout=LIVE)
    expect(notice.locator(".reach-state")).to_have_text(re.compile(r"^已送达 \d\d:\d\d · 未查看$"))
    shot(desk, "console-notice-unseen")
    publish("console-notice-unseen")

    # The technician opens the job: the console says 已查看, live.
    phone.click(f'.job-card[data-id="{order["id"]}"]')
    expect(notice).to_have_attribute("data-state", "seen", timeout=LIVE)
    expect(notice.locator(".reach-state")).to_have_text(re.compile(r"^已查看 \d\d:\d\d$"))
    assert desk.evaluate("window.sameDocument") is True
    shot(desk, "console-notice-seen")

    # The board's column says the same.
    desk.goto("/console#board")
    expect(
        desk.locator(f'#board tr[data-person="{server.world.uid("tech2")}"] td.reach')
    ).to_contain_text("已查看", timeout=LIVE)
    # The 通知送达 tab: each technician's newest notice.
    desk.goto("/console#reach")
    expect(
        desk.locator(f'#reach-board tr[data-person="{server.world.uid("tech2")}"]')
    ).to_have_attribute("data-state", "seen")
    assert desk.errors == [] and phone.errors == []


def test_a_supervisor_sets_a_new_version_of_the_escalation_policy(desk, server):
    desk_log_in(desk, "supervisor")
    desk.goto("/console#reach")
    expect(desk.locator("#reach-policy-now")).to_contain_text("33%")
    desk.fill('#reach-policy-form input[name="seen_minutes"]', "45")
    desk.click("#reach-policy-form button")
    expect(desk.locator("#reach-policy-now")).to_contain_text("45 分钟")
    policy = server.office.get("supervisor", "/api/policies/escalation")
    assert [(p["seen_minutes"], p["deliver_percent"]) for p in policy] == [(45, 33)]
    assert desk.errors == []


CHANNELS_ON = {
    "WECOM_CORP_ID": "ww-test",
    "WECOM_AGENT_ID": "1000002",
    "WECOM_SECRET": "s",
    "SMS_PROVIDER": "aliyun",
    "SMS_ACCESS_KEY_ID": "k",
    "SMS_ACCESS_KEY_SECRET": "s",
    "SMS_SIGN_NAME": "装维调度",
    "SMS_TEMPLATE_ID": "SMS_1",
}


@pytest.mark.parametrize("server_env", [CHANNELS_ON])
def test_the_technician_chooses_their_channels_on_the_phone(phone, server):
    order = create_order(server, "ordinary", "宽带断网")
    phone.goto("/")
    phone.fill("#login-username", "tech2")
    phone.fill("#login-password", PASSWORD)
    phone.click("#login-submit")
    phone.wait_for_selector(f'.job-card[data-id="{order["id"]}"]')
    phone.goto("/#/sync")
    form = phone.locator("#reach-settings-form")
    expect(form.locator('select[name="c1"] option')).to_have_count(4)  # —, push, WeCom, SMS
    form.locator('select[name="c1"]').select_option("wecom")
    form.locator('select[name="c2"]').select_option("sms")
    form.locator('select[name="c3"]').select_option("")
    form.locator('input[name="wecom_user"]').fill("LiWeiXiu")
    form.locator("button").click()
    expect(phone.locator("#reach-settings-note")).to_have_text("已保存")
    prefs = server.office.get("tech2", "/api/reach/preferences")
    assert (prefs["channels"], prefs["wecom_user"], prefs["own"]) == (
        ["wecom", "sms"],
        "LiWeiXiu",
        True,
    )
    assert phone.errors == []
