"""The dispatcher console in Chromium at a desktop's size (issue 7): log in, see the queue with its
clocks counting down, assign an order from the suggestions, and find it on the technician board."""

from __future__ import annotations

import re

from tests.browser.conftest import publish, shot
from tests.world import PASSWORD


def log_in(page, username: str = "dispatcher", password: str = PASSWORD) -> None:
    page.goto("/console")
    page.fill("#login-username", username)
    page.fill("#login-password", password)
    page.click("#login-submit")


def new_order(server, description: str, customer: str = "ordinary") -> dict:
    return server.office.post(
        "agent",
        "/api/work-orders",
        {
            "kind": "repair",
            "customer_id": server.world.customers[customer],
            "description": description,
        },
    )


def test_dispatcher_assigns_from_suggestions_and_the_board_follows(desk, server):
    page = desk
    waiting = new_order(server, "宽带断网,光猫红灯闪烁")
    busy = new_order(server, "电视无信号")
    server.office.post(
        "dispatcher",
        f"/api/work-orders/{busy['id']}/dispatch",
        {"assignee_id": server.world.uid("tech2")},
    )

    log_in(page)
    row = page.locator(f'#queue tr[data-id="{waiting["id"]}"]')
    row.wait_for()
    assert "未派" in row.inner_text()
    # New and unassigned first: the undispatched order heads the queue.
    assert page.locator("#queue tbody tr").first.get_attribute("data-id") == str(waiting["id"])
    # Its dispatch clock counts down on screen, second by second, without a reload.
    clock = row.locator("td.countdown")
    first = clock.inner_text()
    assert re.match(r"剩 \d+:\d\d", first), first
    # Looked up afresh each time: a redraw (the other order's dispatch arriving on the event
    # stream) replaces the row, and a handle to the old cell would never change.
    page.wait_for_function(
        """([id, before]) => {
            const cell = document.querySelector(`#queue tr[data-id="${id}"] td.countdown`);
            return cell !== null && cell.textContent !== before;
        }""",
        arg=[waiting["id"], first],
        timeout=30_000,
    )

    row.locator("a.open-order").click()
    page.wait_for_selector("#suggestions tr[data-person]")
    assert page.inner_text("#pane-code") == waiting["code"]
    candidates = page.locator("#suggestions tr[data-person]")
    names = candidates.all_inner_texts()
    # The repair teams on the customer's network, the one holding nothing first; the install team never.
    assert "张安装" not in " ".join(names) and "吴单向" not in " ".join(names)
    assert "李维修" in names[-1] and "在手 1 单" in names[-1]
    chosen = candidates.first
    person = int(chosen.get_attribute("data-person"))
    name = chosen.locator("b").inner_text()
    shot(page, "console-queue")
    publish("console-queue")

    chosen.locator("button.assign").click()
    page.wait_for_selector('#pane-state:has-text("已派单")')
    assert name in page.inner_text("#pane-assignee")
    assert (
        page.locator(f'#queue tr[data-id="{waiting["id"]}"]').locator("td").nth(6).inner_text()
        == name
    )
    order = server.office.get("dispatcher", f"/api/work-orders/{waiting['id']}")
    assert order["state"] == "dispatched" and order["assignee"]["id"] == person
    assert order["history"][-1]["actor"]["name"] == "王调度"

    # The technician board now shows the order in that person's hands.
    page.click('#tabs a[data-panel="board"]')
    board_row = page.locator(f'#board tr[data-person="{person}"]')
    board_row.wait_for()
    assert board_row.get_attribute("data-load") == "1"
    assert waiting["code"] in board_row.locator("td.orders").inner_text()
    assert (
        page.locator(f'#board tr[data-person="{server.world.uid("tech2")}"]').get_attribute(
            "data-load"
        )
        == "1"
    )
    shot(page, "console-board")
    assert page.errors == []


def test_language_switch_problems_shown_and_technicians_sent_to_their_app(desk, server):
    page = desk
    log_in(page, password="wrong password")
    # The server's problem detail, in the page's language, not a bare status code.
    page.wait_for_selector("#login-error:not(:empty)")
    assert "登录失败" in page.inner_text("#login-error") and "401" not in page.inner_text(
        "#login-error"
    )

    page.fill("#login-password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_selector("#queue")
    assert page.inner_text('#tabs a[data-panel="queue"]') == "工单队列"
    page.click("#lang")
    page.wait_for_selector('#tabs a[data-panel="queue"]:has-text("Queue")')
    assert page.inner_text('#tabs a[data-panel="board"]') == "Technicians"
    page.click("#logout")
    page.wait_for_selector("#login")

    log_in(page, "tech2")
    page.wait_for_url(re.compile(r"/$"))
    assert page.errors == []
