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


class Held:
    """The page's requests to `pattern`, held back (not sent) while `holding`; later ones go on."""

    def __init__(self, page, pattern: str, what: str) -> None:
        self.page, self.what, self.routes, self.holding, self.ended = page, what, [], True, set()
        page.on("requestfinished", lambda request: self.ended.add(request))
        page.on("requestfailed", lambda request: self.ended.add(request))
        page.route(
            pattern, lambda route: self.routes.append(route) if self.holding else route.continue_()
        )

    def wait(self) -> None:
        wait_until(self.page, lambda: self.routes, self.what)

    def release(self) -> None:
        """Let them go on to the server (one the page has cancelled is gone), and see them end."""
        self.holding = False
        for route in self.routes:
            try:
                route.continue_()
            except PlaywrightError:
                pass
        wait_until(
            self.page,
            lambda: all(r.request in self.ended for r in self.routes),
            f"{self.what} to end",
        )


def log_in_again(page, username: str) -> None:
    """The next user logs in at the form the last one left, without a reload."""
    page.fill("#login-username", username)
    page.fill("#login-password", PASSWORD)
    page.click("#login-submit")


def test_the_last_users_late_answer_neither_reaches_nor_signs_out_the_next_user(desk, server):
    page = desk
    # The agent's callbacks queue answers slowly: its requests are still out when the agent leaves.
    held = Held(page, "**/api/callbacks?*", "the agent's callbacks request")
    log_in(page, "agent")
    page.click('#tabs a[data-panel="callbacks"]')
    held.wait()
    page.click("#logout")
    page.wait_for_selector("#login-username")
    held.holding = False  # the next user's requests go on

    # The supervisor logs in at the same console.
    log_in_again(page, "supervisor")
    page.wait_for_selector("#who:has-text('赵主管')")

    # Only now do the agent's requests reach the server (which refuses the revoked token).
    held.release()
    page.click('#tabs a[data-panel="reports"]')
    page.wait_for_selector('#report [data-figure="callback_coverage"]')
    assert page.locator("#login").count() == 0
    assert "赵主管" in page.inner_text("#who")
    assert page.errors == []


def logged_out_during_a_reload(page, server, token: str, reload) -> None:
    """Log out while the server is slow to revoke the token, and `reload()` meanwhile (the next user
    opens the app): the login form is shown, and the token is revoked all the same."""

    def me() -> int:
        return httpx.get(
            f"{server.url}/api/auth/me", headers={"Authorization": f"Bearer {token}"}
        ).status_code

    assert me() == 200
    held = Held(page, "**/api/auth/logout", "the logout request")
    page.click("#logout")
    held.wait()
    reload()
    page.wait_for_selector("#login-username")
    held.release()
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
    token = page.evaluate(
        "window.__app.engine.then((m) => m.db.kv.get('token')).then((row) => row.value)"
    )
    page.goto("/#/sync")
    logged_out_during_a_reload(page, server, token, page.reload)
    assert page.locator(".job-card").count() == 0  # not the last technician's jobs


SYNC_STATES = """() => {
  window.syncStates = [];
  new MutationObserver(() => window.syncStates.push(document.querySelector("#sync-ind")?.dataset.state))
    .observe(document.body, { subtree: true, childList: true, attributes: true });
}"""


def test_a_sync_asked_while_one_runs_follows_it_never_beside_it(phone, server):
    """Two runs at once write their pulls in either order: an older page written last takes the
    order back a step after its push has been settled (seen under load: 接单 undone on screen)."""
    page = phone
    create_order(server, "ordinary", "光猫无信号")
    log_in_on_phone(page)
    pulls = []
    page.on("request", lambda r: pulls.append(r) if "/api/sync/pull" in r.url else None)
    held = Held(page, "**/api/sync/pull?*", "the first run's pull")
    answer = page.evaluate(
        """async () => {
          const m = await window.__app.engine;
          m.syncNow();  // its pull is held
          const second = m.syncNow().then(() => "returned");
          return Promise.race([second, new Promise((r) => setTimeout(() => r("running beside"), 5000))]);
        }"""
    )
    held.wait()
    assert answer == "returned" and len(held.routes) == 1, (answer, len(held.routes))
    held.release()
    # The one asked meanwhile runs once the first has ended: its own pull follows.
    wait_until(page, lambda: len(pulls) >= 2, "the second run's pull")
    wait_until(page, lambda: not page.evaluate("window.__app.status.running"), "the runs to end")
    assert page.evaluate("window.__app.status.error") is None
    assert page.errors == []


def test_the_last_technicians_sync_in_flight_is_not_the_next_ones_problem(phone, server):
    page = phone
    create_order(server, "ordinary", "光猫无信号", assignee="tech2")  # the first technician's job
    mine = create_order(server, "ordinary", "机顶盒无法开机", assignee="tech2b")
    log_in_on_phone(page, "tech2")
    held = Held(page, "**/api/sync/pull?*", "the first technician's pull")
    page.evaluate(
        "async () => { (await window.__app.engine).syncNow(); }"
    )  # not awaited: its pull is held
    held.wait()
    page.evaluate("location.hash = '#/sync'")
    page.click("#logout")
    page.wait_for_selector("#login-username")
    held.holding = False  # the next user's requests go on

    log_in_again(page, "tech2b")
    page.wait_for_selector(f'.job-card[data-id="{mine["id"]}"]')
    page.evaluate(SYNC_STATES)
    # The first technician's pull reaches the server only now, with a revoked token.
    held.release()
    page.evaluate("async () => (await window.__app.engine).syncNow()")
    assert page.evaluate("window.__app.status.error") is None
    assert "error" not in page.evaluate("window.syncStates")  # never told to log in again
    assert page.locator(".job-card").evaluate_all(
        "cards => cards.map((c) => Number(c.dataset.id))"
    ) == [mine["id"]]
    assert page.errors == []
