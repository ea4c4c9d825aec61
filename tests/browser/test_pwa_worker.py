"""The service worker takes the technician app under its control on the first visit, whatever the
timing, so the app starts with no network from then on."""

from __future__ import annotations

import json

import httpx

from tests.browser.conftest import DIST
from tests.browser.test_session_switch import Held

CONTROLLED = "navigator.serviceWorker.controller !== null"
# Installing precaches the whole shell, which a loaded machine may take long over.
LOADED_MS = 60_000


def test_a_page_that_appears_just_after_the_worker_activated_is_taken_under_control(phone, server):
    """The first visit loads the app again while its service worker is still installing (a
    technician's second tap, or a test's second `goto`, on a loaded phone). The worker activates
    while that navigation is under way and claims the pages running then; the new page is not one
    of them. A CI run found such a page still uncontrolled a minute later, i.e. an app
    that would not have started offline. Here the timing is forced: the navigation is held until
    the worker has activated and claimed the old page."""
    page = phone
    page.goto("/healthz")  # a page of the app's origin that is not the app: nothing registered yet
    navigation = Held(page, lambda url: url == f"{server.url}/", "the app's page")
    page.evaluate("() => { location.href = '/'; }")
    navigation.wait()
    # Meanwhile, in another tab, the worker registers, activates and claims the pages running.
    other = page.context.new_page()
    other.goto("/healthz")
    other.evaluate("async () => { await navigator.serviceWorker.register('/sw.js'); }")
    other.wait_for_function(CONTROLLED, timeout=LOADED_MS)
    navigation.release()
    page.wait_for_selector("#login-submit")
    page.wait_for_function(CONTROLLED, timeout=LOADED_MS)

    # What control is for: the app starts with the server out of reach.
    server.stop()
    page.context.set_offline(True)
    page.reload()
    page.wait_for_selector("#login-submit")


def test_a_first_visit_whose_worker_could_not_install_tries_again_when_the_network_is_back(
    phone, server
):
    """The phone got the app's page and scripts, then lost the network before the service worker
    was fetched and had precached the shell: no worker. The app registers again when the network
    is back, rather than waiting for the technician to happen to reload it online."""
    page = phone
    shell = json.loads(DIST.read_text())["shell"]
    copies = {f"{server.url}{path}": httpx.get(f"{server.url}{path}") for path in shell}
    server.stop()

    def from_copies(route) -> None:
        copy = copies.get(route.request.url)
        if copy is None:
            route.abort("internetdisconnected")
        else:
            headers = {"content-type": copy.headers["content-type"]}
            route.fulfill(status=200, headers=headers, body=copy.content)

    page.route("**/*", from_copies)
    with page.expect_console_message(lambda message: message.text.startswith("sw")):
        page.goto("/")
    assert page.evaluate(f"() => {CONTROLLED}") is False

    page.unroute("**/*")
    server.start()
    page.context.set_offline(True)
    page.context.set_offline(False)
    page.wait_for_function(CONTROLLED, timeout=LOADED_MS)

    server.stop()
    page.context.set_offline(True)
    page.reload()
    page.wait_for_selector("#login-submit")
