"""The service worker takes the technician app under its control on the first visit, whatever the
timing, so the app starts with no network from then on."""

from __future__ import annotations

from tests.browser.test_session_switch import Held

CONTROLLED = "navigator.serviceWorker.controller !== null"


def test_a_page_that_appears_just_after_the_worker_activated_is_taken_under_control(phone, server):
    """The first visit loads the app again while its service worker is still installing (a
    technician's second tap, or a test's second `goto`, on a loaded phone). The worker activates
    while that navigation is under way and claims the pages running then; the new page is not one
    of them. A CI run under load found such a page still uncontrolled a minute later, i.e. an app
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
    other.wait_for_function(CONTROLLED)
    navigation.release()
    page.wait_for_selector("#login-submit")
    page.wait_for_function(CONTROLLED)

    # What control is for: the app starts with the server out of reach.
    server.stop()
    page.context.set_offline(True)
    page.reload()
    page.wait_for_selector("#login-submit")
