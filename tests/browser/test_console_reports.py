"""The callbacks and reports panels of the console in Chromium: an agent works the callbacks queue
(a callback made elsewhere leaves it live; a dissatisfied customer reopens the order), and a
supervisor reads the month's figures as bars and exports them as CSV for Excel."""

from __future__ import annotations

from pathlib import Path

from tests.browser.conftest import shot
from tests.browser.test_console_dispatch import log_in

CONSULTATION_CLOSE = {"closure_category": "consultation", "outcome": "resolved", "method": "office",
                      "cause": "咨询资费", "solution": "介绍套餐", "result": "客户已了解"}


def closed_consultation(server, description: str) -> dict:
    order = server.office.post("agent", "/api/work-orders", {
        "kind": "consultation", "customer_id": server.world.customers["ordinary"], "description": description,
    })
    return server.office.post("dispatcher", f"/api/work-orders/{order['id']}/close", CONSULTATION_CLOSE)


def test_agent_works_the_callbacks_and_a_supervisor_reads_and_exports_the_report(desk, server, tmp_path: Path):
    page = desk
    called_elsewhere, pleased, unhappy = (closed_consultation(server, d) for d in ("咨询资费", "咨询套餐", "咨询提速"))

    log_in(page, "agent")
    # The agent's console: the outages (to read their explanations) and the callbacks.
    page.click("#tabs a[data-panel=callbacks]")
    page.wait_for_selector("#callbacks tbody tr[data-id]")
    assert page.locator("#tabs a").all_inner_texts() == ["片区故障", "回访"]
    assert page.locator("#callbacks tbody tr[data-id]").count() == 3
    assert page.inner_text('#cb-coverage [data-figure="callback_coverage"] b') == "0%"

    # A callback recorded elsewhere leaves the queue without a reload.
    server.office.post("dispatcher", f"/api/work-orders/{called_elsewhere['id']}/callback",
                       {"reached": True, "satisfaction": 5, "remark": "满意"})
    page.wait_for_selector(f'#callbacks tr[data-id="{called_elsewhere["id"]}"]', state="detached")

    # A satisfied customer: recorded, and the order leaves the queue.
    page.click(f'#callbacks button.record[data-id="{pleased["id"]}"]')
    page.check('#cb-form input[name="satisfaction"][value="4"]')
    page.fill("#cb-form textarea", "客户表示满意")
    page.click("#cb-save")
    page.wait_for_selector('.toast.ok:has-text("已记录回访")')
    page.wait_for_selector(f'#callbacks tr[data-id="{pleased["id"]}"]', state="detached")

    # A dissatisfied one: warned that it reopens; refused without what the customer said.
    page.click(f'#callbacks button.record[data-id="{unhappy["id"]}"]')
    page.check('#cb-form input[name="satisfaction"][value="2"]')
    assert page.is_visible("#cb-warning")
    shot(page, "console-callbacks")
    page.click("#cb-save")
    page.wait_for_selector('.toast:not(.ok):has-text("请记录客户反映的问题")')
    assert server.office.get("agent", f"/api/work-orders/{unhappy['id']}")["state"] == "closed"
    page.fill("#cb-form textarea", "咨询的套餐资费与实际扣费不符")
    page.click("#cb-save")
    page.wait_for_selector('.toast.ok:has-text("已重启并退回派单队列")')
    page.wait_for_selector("#callbacks td.muted")  # nothing left to call back
    assert page.inner_text('#cb-coverage [data-figure="callback_coverage"] b') == "100%"
    reopened = server.office.get("dispatcher", f"/api/work-orders/{unhappy['id']}")
    assert (reopened["state"], reopened["history"][-1]["action"]) == ("new", "reopen")
    assert page.errors == []

    # The supervisor: this month's figures as bars, the dispatch queue holding the reopened order.
    page.click("#logout")
    log_in(page, "supervisor")
    page.click('#tabs a[data-panel="queue"]')
    page.wait_for_selector(f'#queue tr[data-id="{unhappy["id"]}"]:has-text("未派")')
    page.click('#tabs a[data-panel="reports"]')
    page.wait_for_selector('#report [data-figure="callback_coverage"]')
    coverage = page.locator('#report [data-figure="callback_coverage"]')
    assert coverage.get_attribute("data-value") == "1" and "3/3" in coverage.inner_text()
    satisfaction = page.locator('#report [data-figure="satisfaction_callback"]')
    assert "平均 3.67" in satisfaction.inner_text()
    assert [satisfaction.locator(f'.row[data-key="{k}"] .n').inner_text() for k in "12345"] == ["0", "1", "0", "1", "1"]
    assert "回访" in page.inner_text('#report [data-group="callback"] h3')
    shot(page, "console-reports", full_page=True)

    month = shown_period(page)
    # A period that ends before it starts is refused, and said so.
    page.fill('#rp-form input[name="from"]', "2026-12-31")
    page.fill('#rp-form input[name="to"]', "2026-12-01")
    page.click("#rp-show")
    page.wait_for_selector('.toast:has-text("晚于结束日期")')

    # The CSV: what Excel needs to show the Chinese.
    page.fill('#rp-form input[name="from"]', month[0])
    page.fill('#rp-form input[name="to"]', month[1])
    with page.expect_download() as download:
        page.click("#rp-csv")
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    content = saved.read_bytes()
    assert content.startswith(b"\xef\xbb\xbf")
    text = content.decode("utf-8-sig")
    assert "类别,指标,数值" in text and "\r\n回访,回访率,100.0%,3,3,0,\r\n" in text
    assert page.errors == []


def shown_period(page) -> tuple[str, str]:
    """The period the report on screen covers (its first and last day)."""
    summary = page.inner_text("#rp-summary")
    first, _, rest = summary.partition(" 至 ")
    return first.strip(), rest.split(" ")[0].strip()
