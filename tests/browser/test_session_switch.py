"""Users taking turns at one desk PC's console, or one phone (issue 20): what the last user's
session still had in flight when they logged out — a slow list, the logout itself — never reaches
the next user, never signs them out, and a reload right after logging out shows the login form."""

from __future__ import annotations

import time

import httpx
from playwright.sync_api import Error as PlaywrightError

from tests.browser.test_console_dispatch import log_in
from tests.browser.test_pwa_offline import create_order
from tests.browser.test_pwa_offline import log_in as log_in_on_phone
from tests.world import PASSWORD

DEADLINE_S = 60  # generous: the machine may be loaded; the waits end as soon as the condition holds


def wait_until(page, condition, what: str) -> None:
    """Let the page run until `condition()` holds (Playwright delivers its events meanwhile)."""
    deadline = time.monotonic() + DEADLINE_S
    while not condition():
        assert time.monotonic() < deadline, f"still waiting for {what}"
        page.wait_for_timeout(100)


def release(routes: list) -> None:
    """Let held requests go on to the server; one the page has already cancelled is gone."""
    for route in routes:
        try:
            route.continue_()
        except PlaywrightError:
            pass


def test_the_last_users_late_answer_neither_reaches_nor_signs_out_the_next_user(desk, server):
    page = desk
    held: list = []
    settled: set = set()
    page.on("requestfinished", lambda request: settled.add(request))
    page.on("requestfailed", lambda request: settled.add(request))
    # The agent's callbacks queue answers slowly: its requests are still out when the agent leaves.
    holding = [True]
    page.route("**/api/callbacks?*", lambda route: held.append(route) if holding else route.continue_())
    log_in(page, "agent")
    page.click('#tabs a[data-panel="callbacks"]')
    wait_until(page, lambda: held, "the agent's callbacks request")
    page.click("#logout")
    page.wait_for_selector("#login-username")
    holding.clear()

    # The supervisor logs in at the same console, without a reload.
    page.fill("#login-username", "supervisor")
    page.fill("#login-password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_selector("#who:has-text('赵主管')")

    # Only now do the agent's requests reach the server (which refuses the revoked token).
    release(held)
    wait_until(page, lambda: all(r.request in settled for r in held), "the agent's requests to end")
    page.click('#tabs a[data-panel="reports"]')
    page.wait_for_selector('#report [data-figure="callback_coverage"]')
    assert page.locator("#login").count() == 0
    assert "赵主管" in page.inner_text("#who")
    assert page.errors == []


def logged_out_during_a_reload(page, server, token: str, reload) -> None:
    """Log out while the server is slow to revoke the token, and `reload()` meanwhile (the next user
    opens the app): the login form is shown, and the token is revoked all the same."""
    me = lambda: httpx.get(f"{server.url}/api/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code
    assert me() == 200
    held: list = []
    page.route("**/api/auth/logout", lambda route: held.append(route))
    page.click("#logout")
    wait_until(page, lambda: held, "the logout request")
    reload()
    page.wait_for_selector("#login-username")
    release(held)
    wait_until(page, lambda: me() == 401, "the token to be revoked")
    assert page.errors == []


def test_a_console_reloaded_right_after_logging_out_shows_the_login_form(desk, server):
    page = desk
    log_in(page, "agent")
    page.wait_for_selector("#who")
    token = page.evaluate("JSON.parse(localStorage.getItem('console.token'))")
    logged_out_during_a_reload(page, server, token, lambda: page.goto("/console"))
    assert page.locator("#who").count() == 0  # not the agent's console


def test_a_phone_reloaded_right_after_logging_out_shows_the_login_form(phone, server):
    page = phone
    create_order(server, "ordinary", "光猫无信号")
    log_in_on_phone(page, "tech2")
    token = page.evaluate("window.__app.db.kv.get('token').then((row) => row.value)")
    page.goto("/#/sync")
    logged_out_during_a_reload(page, server, token, page.reload)
    assert page.locator(".job-card").count() == 0  # not the last technician's jobs


SYNC_STATES = """() => {
  window.syncStates = [];
  new MutationObserver(() => window.syncStates.push(document.querySelector("#sync-ind")?.dataset.state))
    .observe(document.body, { subtree: true, childList: true, attributes: true });
}"""


def test_the_last_technicians_sync_in_flight_is_not_the_next_ones_problem(phone, server):
    page = phone
    theirs = create_order(server, "ordinary", "光猫无信号", assignee="tech2")
    mine = create_order(server, "ordinary", "机顶盒无法开机", assignee="tech2b")
    log_in_on_phone(page, "tech2")
    held: list = []
    settled: set = set()
    page.on("requestfinished", lambda request: settled.add(request))
    page.on("requestfailed", lambda request: settled.add(request))
    holding = [True]
    page.route("**/api/sync/pull?*", lambda route: held.append(route) if holding else route.continue_())
    page.evaluate("() => { window.__app.syncNow(); }")  # not awaited: its pull is held
    wait_until(page, lambda: held, "the first technician's pull")
    page.evaluate("location.hash = '#/sync'")
    page.click("#logout")
    page.wait_for_selector("#login-username")
    holding.clear()

    page.fill("#login-username", "tech2b")
    page.fill("#login-password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_selector(f'.job-card[data-id="{mine["id"]}"]')
    page.evaluate(SYNC_STATES)
    # The first technician's pull reaches the server only now, with a revoked token.
    release(held)
    wait_until(page, lambda: all(r.request in settled for r in held), "the first technician's pull to end")
    page.evaluate("() => window.__app.syncNow()")
    assert page.evaluate("window.__app.status.error") is None
    assert "error" not in page.evaluate("window.syncStates")  # never told to log in again
    assert page.locator(".job-card").evaluate_all("cards => cards.map((c) => Number(c.dataset.id))") == [mine["id"]]
    assert page.errors == []
