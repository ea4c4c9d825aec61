"""The service worker's push handler (issues 5 and 6): every push shows a notification (iOS
revokes the subscription of silent ones) and makes the open app sync at once."""

from __future__ import annotations

import json
import time

from tests.browser.test_pwa_offline import create_order, log_in

NOTIFICATIONS = """navigator.serviceWorker.ready.then((r) => r.getNotifications())
  .then((ns) => ns.map((n) => ({title: n.title, body: n.body, tag: n.tag, data: n.data})))"""


def test_a_push_shows_a_notification_and_triggers_a_sync(phone, server):
    page = phone
    first = create_order(server, "ordinary", "宽带断网")
    page.context.grant_permissions(["notifications"], origin=server.url)
    log_in(page)
    assert page.locator(".job-card").count() == 1

    cdp = page.context.new_cdp_session(page)
    # Installable: manifest, icons, a service worker with a fetch handler, served from its scope.
    errors = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
    assert [
        e for e in errors if e["errorId"] != "in-incognito"
    ] == []  # a test context is incognito
    manifest = cdp.send("Page.getAppManifest")
    assert not manifest.get("errors"), manifest["errors"]
    registrations: list[dict] = []
    cdp.on(
        "ServiceWorker.workerRegistrationUpdated",
        lambda event: registrations.extend(event["registrations"]),
    )
    cdp.send("ServiceWorker.enable")
    deadline = time.monotonic() + 60
    while not registrations and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    registration = next(r for r in registrations if not r["isDeleted"])

    # A new assignment: the server would push; the phone has not synced since.
    second = create_order(server, "vip", "光猫无法上线")
    payload = {
        "type": "assigned",
        "title": "新工单 · 维修",
        "body": "锦江片区 · 客户vip · 5分钟内联系",
        "tag": f"order-{second['id']}",
        "order": second["id"],
        "lang": "zh-CN",
    }
    cdp.send(
        "ServiceWorker.deliverPushMessage",
        {
            "origin": server.url,
            "registrationId": registration["registrationId"],
            "data": json.dumps(payload),
        },
    )
    page.wait_for_function(
        "n => document.querySelectorAll('.job-card').length === n", arg=2, timeout=30_000
    )
    notifications = page.evaluate(NOTIFICATIONS)
    assert notifications == [
        {
            "title": payload["title"],
            "body": payload["body"],
            "tag": payload["tag"],
            "data": {"order": second["id"]},
        }
    ]
    assert page.locator(".job-card").first.get_attribute("data-id") == str(second["id"])
    assert first["id"] != second["id"]

    # A push without a payload still shows something.
    cdp.send(
        "ServiceWorker.deliverPushMessage",
        {
            "origin": server.url,
            "registrationId": registration["registrationId"],
            "data": "",
        },
    )
    page.wait_for_function(f"{NOTIFICATIONS}.then((ns) => ns.length === 2)")
    assert not page.errors, page.errors
