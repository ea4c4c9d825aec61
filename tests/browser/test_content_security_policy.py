"""The technician app and the dispatcher console work in Chromium under the server's
Content-Security-Policy (no 'unsafe-inline'): not one console error, not one CSP violation, from
the first paint of the job list (its inline scripts allowed by hash) to the console's panels."""

from __future__ import annotations

from tests.browser.test_console_dispatch import log_in as console_log_in
from tests.browser.test_pwa_offline import create_order
from tests.browser.test_pwa_offline import log_in as app_log_in

WATCH = """window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`));"""


def watched(page) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.add_init_script(WATCH)
    return errors


def test_the_app_and_its_first_paint_run_under_the_policy(strict_phone, server):
    page = strict_phone
    errors = watched(page)
    create_order(server, "ordinary", "宽带断网")
    response = page.goto("/")
    policy = response.headers["content-security-policy"]
    assert "'unsafe-inline'" not in policy and "frame-ancestors 'none'" in policy
    app_log_in(page)
    # Again from the compact copy: the inline first-paint script draws the list before the app.
    page.reload()
    page.wait_for_selector(".job-card")
    assert page.evaluate("window.__firstList !== undefined")
    assert page.evaluate("window.__violations") == [] and errors == []


def test_the_console_and_its_panels_run_under_the_policy(strict_desk, server):
    page = strict_desk
    errors = watched(page)
    policy = page.request.get(f"{server.url}/console").headers["content-security-policy"]
    assert "'unsafe-inline'" not in policy and "script-src 'self'" in policy
    console_log_in(page, "admin")
    page.wait_for_selector("#tabs a")
    for panel in ("board", "outages", "handover", "reports", "queue"):
        page.click(f'#tabs a[data-panel="{panel}"]')
        page.wait_for_selector(
            f'#view[data-panel="{panel}"] > :not(:empty)'
        )  # drawn: an empty box (the queue's alerts) is not yet the panel
    page.click('#tabs a[data-panel="reports"]')
    bar = page.wait_for_selector(
        "#report .bar i", state="attached"
    )  # sized through the CSSOM under the policy
    assert bar.get_attribute("style") is not None
    # The admin's accounts panel: deactivate a technician, and bring them back.
    page.click('#tabs a[data-panel="accounts"]')
    row = page.locator('#accounts tr[data-username="tech2b"]')
    row.locator('button[data-step="deactivate"]').click()
    page.wait_for_selector('#accounts tr[data-username="tech2b"] button[data-step="reactivate"]')
    assert server.office.get("admin", "/api/accounts") and [
        a["active"]
        for a in server.office.get("admin", "/api/accounts")
        if a["username"] == "tech2b"
    ] == [False]
    page.locator('#accounts tr[data-username="tech2b"] button[data-step="reactivate"]').click()
    page.wait_for_selector('#accounts tr[data-username="tech2b"] button[data-step="deactivate"]')
    assert page.evaluate("window.__violations") == [] and errors == []
