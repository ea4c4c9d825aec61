"""The callbacks and reports panels of the console in Chromium: an agent works the callbacks queue
(a callback made elsewhere leaves it live; a dissatisfied customer reopens the order), and a
supervisor reads the month's figures as bars — rates, counts, minutes of outages and handovers —
and exports them as CSV for Excel."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.browser.conftest import publish, shot
from tests.browser.test_console_dispatch import log_in

CONSULTATION_CLOSE = {
    "closure_category": "consultation",
    "outcome": "resolved",
    "method": "office",
    "cause": "咨询资费",
    "solution": "介绍套餐",
    "result": "客户已了解",
}


def closed_consultation(server, description: str) -> dict:
    order = server.office.post(
        "agent",
        "/api/work-orders",
        {
            "kind": "consultation",
            "customer_id": server.world.customers["ordinary"],
            "description": description,
        },
    )
    return server.office.post(
        "dispatcher", f"/api/work-orders/{order['id']}/close", CONSULTATION_CLOSE
    )


def test_agent_works_the_callbacks_and_a_supervisor_reads_and_exports_the_report(
    desk, server, tmp_path: Path
):
    page = desk
    called_elsewhere, pleased, unhappy = (
        closed_consultation(server, d) for d in ("咨询资费", "咨询套餐", "咨询提速")
    )

    log_in(page, "agent")
    # The agent's console: the outages (for their unified explanation) and the callbacks.
    page.click('#tabs a[data-panel="callbacks"]')
    page.wait_for_selector("#callbacks tbody tr[data-id]")
    assert page.locator("#tabs a").all_inner_texts() == ["片区故障", "回访"]
    assert page.locator("#callbacks tbody tr[data-id]").count() == 3
    assert page.inner_text('#cb-coverage [data-figure="callback_coverage"] b') == "0%"

    # A callback recorded elsewhere leaves the queue without a reload.
    server.office.post(
        "dispatcher",
        f"/api/work-orders/{called_elsewhere['id']}/callback",
        {"reached": True, "satisfaction": 5, "remark": "满意"},
    )
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

    outage_and_handover(server)

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
    assert [satisfaction.locator(f'.row[data-key="{k}"] .n').inner_text() for k in "12345"] == [
        "0",
        "1",
        "0",
        "1",
        "1",
    ]
    assert "回访" in page.inner_text('#report [data-group="callback"] h3')
    # Outages: a count by status, durations in minutes (restored about two hours before the estimate).
    outages = page.locator('#report [data-figure="outages"]')
    assert (
        "共 1" in outages.inner_text()
        and outages.locator('.row[data-key="restored"] .n').inner_text() == "1"
    )
    to_publish = page.locator('#report [data-figure="outage_minutes_to_publish"]')
    assert re.fullmatch(r"平均 \d+(\.\d)? 分钟", to_publish.locator("b").inner_text())
    assert to_publish.locator(".small").inner_text() == "1 次"
    assert re.fullmatch(
        r"平均 -1[12]\d(\.\d)? 分钟",
        page.inner_text('#report [data-figure="outage_minutes_past_estimate"] b'),
    )
    assert page.inner_text('#report [data-figure="outage_restored_by_estimate"] b') == "100%"
    # Handovers: signed on time; none held back — a count, not "0.00".
    assert "1/1" in page.inner_text('#report [data-figure="handover_on_time"]')
    assert page.inner_text('#report [data-figure="handovers_held_back"] b') == "共 0"
    assert page.locator("#report .branch-wide").count() == 0  # every area: nothing to point out
    shot(page, "console-reports", full_page=True)
    publish("console-reports")

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

    # One area: its outages; the handovers are the whole branch's, and the panel says so.
    page.select_option('#rp-form select[name="area_id"]', str(server.world.area))
    page.click("#rp-show")
    page.wait_for_selector('#report [data-group="handover"] .branch-wide')
    assert (
        page.inner_text('#report [data-group="handover"] .branch-wide') == "全分公司数据,不分片区"
    )
    assert page.locator('#report [data-group="outage"] .branch-wide').count() == 0
    assert "共 1" in page.inner_text('#report [data-figure="outages"]')
    assert page.errors == []


def outage_and_handover(server) -> None:
    """An outage in the area published at once and restored ahead of its estimate, and a handover
    signed before its time."""
    office, now = server.office, datetime.now(UTC)
    outage = office.post(
        "dispatcher", "/api/outages", {"area_id": server.world.area, "network": "two_way"}
    )
    office.post(
        "dispatcher",
        f"/api/outages/{outage['id']}/notices",
        {
            "reporter": "网络部 李工",
            "location": "锦华苑光交接箱",
            "cause": "市政施工挖断主干光缆",
            "affected_scope": "锦华苑全部楼栋宽带及电视",
            "explanation": "光缆被挖断,正在抢修,给您带来不便敬请谅解。",
            "estimated_restoration": (now + timedelta(hours=2)).isoformat(),
        },
    )
    office.post(
        "dispatcher",
        f"/api/outages/{outage['id']}/restoration",
        {"confirmed_cause": "主干光缆被挖断", "restored_at": datetime.now(UTC).isoformat()},
    )
    sheet = office.post(
        "dispatcher",
        "/api/handovers",
        {
            "scheduled_at": (now + timedelta(minutes=2)).isoformat(),
            "incoming_id": server.world.uid("dispatcher2"),
        },
    )
    office.post("dispatcher", f"/api/handovers/{sheet['id']}/sign-out", {})
    office.post("dispatcher2", f"/api/handovers/{sheet['id']}/sign-in", {})


def shown_period(page) -> tuple[str, str]:
    """The period the report on screen covers (its first and last day)."""
    summary = page.inner_text("#rp-summary")
    first, _, rest = summary.partition(" 至 ")
    return first.strip(), rest.split(" ")[0].strip()
