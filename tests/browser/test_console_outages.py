"""The console's outage and handover panels in Chromium: a fault notice missing an element is
refused with the element named and nothing published; completed, it is published and agents see
its explanation; the handover is held back until then."""

from __future__ import annotations

from tests.world import PASSWORD

EXPLANATION = "您所在小区因市政施工光缆被挖断,正在抢修,预计今天下午恢复,给您带来不便敬请谅解。"


def log_in(page, username: str) -> None:
    page.goto("/console/")
    page.fill("#login-username", username)
    page.fill("#login-password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_selector("#tabs a[data-panel=outages]")


def three_repairs(server) -> list[dict]:
    customer = server.world.customers["ordinary"]
    return [
        server.office.post(
            "agent",
            "/api/work-orders",
            {"kind": "repair", "customer_id": customer, "description": f"宽带断网 {i}"},
        )
        for i in range(3)
    ]


def test_a_notice_is_published_from_the_console_and_refused_without_an_element(desk, server):
    page = desk
    orders = three_repairs(server)
    [outage] = server.office.get("dispatcher", "/api/outages")
    assert outage["status"] == "suspected"
    log_in(page, "dispatcher")
    page.click("#tabs a[data-panel=outages]")
    page.click(f"#outages tr[data-id='{outage['id']}']")
    form = page.locator("#o-notice")
    form.locator("[name=reporter]").fill("网络部 李工")
    form.locator("[name=location]").fill("锦华苑光交接箱")
    form.locator("[name=cause]").fill("市政施工挖断主干光缆")
    form.locator("[name=affected_scope]").fill("锦华苑全部楼栋宽带及电视")
    # The unified explanation is left out: refused, naming it, and nothing is published.
    page.click("#o-publish")
    error = page.locator("#o-notice-error")
    error.wait_for(state="visible")
    page.wait_for_function(
        "document.querySelector('#o-notice-error').textContent.includes('统一解释口径')"
    )
    assert "公告缺少必备要素" in error.text_content()
    assert page.locator(".toast").first.is_visible()
    assert server.office.get("dispatcher", f"/api/outages/{outage['id']}")["notices"] == []
    # Completed: published, and what agents tell callers is on every linked order.
    page.locator("#o-notice [name=explanation]").fill(EXPLANATION)
    page.click("#o-publish")
    page.wait_for_selector(f"#outages tr[data-id='{outage['id']}'] [data-status=published]")
    page.wait_for_selector("#outage-pane .explanation")
    assert EXPLANATION in page.locator("#outage-pane .explanation").first.text_content()
    detail = server.office.get("dispatcher", f"/api/outages/{outage['id']}")
    [notice] = detail["notices"]
    assert notice["explanation"] == EXPLANATION and notice["reporter"] == "网络部 李工"
    assert notice["estimated_restoration"] is not None  # the form's default: two hours on
    assert (
        server.office.get("agent", f"/api/work-orders/{orders[0]['id']}")["outage"]["explanation"]
        == EXPLANATION
    )
    assert not page.errors, page.errors


def test_the_handover_waits_for_the_notice(desk, server):
    page = desk
    three_repairs(server)
    [outage] = server.office.get("dispatcher", "/api/outages")
    log_in(page, "dispatcher")
    page.click("#tabs a[data-panel=handover]")
    page.locator("#h-new [name=planned_work]").fill("今晚23:00前端机房割接")
    page.select_option("#h-new [name=incoming_id]", label="钱调度")
    page.click("#h-new button")
    page.wait_for_selector("#handover-pane [data-sheet]")
    assert page.locator("#h-b tr[data-id]").count() == 1
    assert page.locator("#h-held").is_visible()
    page.click("#h-sign-out")
    page.wait_for_selector(".toast")
    assert "交接班须推迟" in page.locator(".toast").first.text_content()
    assert page.locator("#handover-pane [data-status=draft]").count() == 1
    # The notice goes out (another dispatcher's desk): the handover goes ahead.
    server.office.post(
        "dispatcher2",
        f"/api/outages/{outage['id']}/notices",
        {
            "location": "锦华苑",
            "cause": "光缆被挖断",
            "affected_scope": "锦华苑",
            "explanation": EXPLANATION,
            "estimated_restoration": "2099-01-01T00:00:00Z",
        },
    )
    page.click("#h-compile")
    page.wait_for_function("!document.querySelector('#h-held')")
    page.click("#h-sign-out")
    page.wait_for_selector("#handover-pane [data-status=signed_out]")
    assert not page.errors, page.errors
