"""The server's database comes back from a backup older than what the phone already synced: the
phone's queue must not wait for ever as a "gap", and what it queued is applied exactly once
(docs/sync-protocol.md, "A server behind the phone")."""

from __future__ import annotations

import shutil

from tests.browser.test_pwa_offline import OUTBOX, create_order, log_in, wait_synced


def test_the_phone_recovers_from_a_server_restored_behind_it(phone, server, tmp_path):
    page = phone
    order = create_order(server, "ordinary", "宽带频繁掉线")
    log_in(page)
    page.click(f'.job-card[data-id="{order["id"]}"]')
    page.click('[data-action="accept"]')  # mutation 1
    wait_synced(page)

    # The nightly backup: it holds mutation 1 (and the phone's login).
    server.stop()
    # The file and its write-ahead log: a stopped server may not have checkpointed mutation 1 yet.
    backup = {suffix: tmp_path / f"backup.db{suffix}" for suffix in ("", "-wal")}
    for suffix, copy in backup.items():
        if (live := server.db_path.with_name(server.db_path.name + suffix)).exists():
            shutil.copy(live, copy)
    server.start()
    page.click('[data-action="contact"]')  # mutation 2: applied, then lost with the restore
    page.wait_for_selector('#job-state[data-state="contacted"]')
    wait_synced(page)

    # The phone loses its network and works on: mutations 3 and 4 wait in its outbox.
    page.context.route("**/api/**", lambda route: route.abort("internetdisconnected"))
    page.context.set_offline(True)
    page.click("#note-box summary")
    page.fill("#note-text", "光猫已更换,信号正常")
    page.click("#note-submit")
    page.wait_for_selector("li.local >> text=光猫已更换,信号正常")
    page.click('[data-action="arrive"]')
    page.wait_for_selector('#job-state[data-state="on_site"]')
    assert [m["state"] != "done" for m in page.evaluate(OUTBOX)] == [False, False, True, True]

    # Meanwhile the server's database is restored from the backup: its last id for the phone is 1.
    server.stop()
    for suffix in ("-wal", "-shm"):
        server.db_path.with_name(server.db_path.name + suffix).unlink(missing_ok=True)
    for suffix, copy in backup.items():
        if copy.exists():
            shutil.copy(copy, server.db_path.with_name(server.db_path.name + suffix))
    server.start()

    page.context.unroute("**/api/**")
    page.context.set_offline(False)
    wait_synced(page)
    page.evaluate(
        "async () => (await window.__app.engine).syncNow()"
    )  # once more: nothing is sent twice
    wait_synced(page)

    outbox = page.evaluate(OUTBOX)
    detail = server.office.get("dispatcher", f"/api/work-orders/{order['id']}")
    actions = [e["action"] for e in detail["history"]]
    notes = [e["payload"].get("text") for e in detail["history"] if e["action"] == "note"]
    assert notes == ["光猫已更换,信号正常"], "the queued note arrives, once"
    if "accept" in actions:  # the backup holds mutation 1: the queued arrival applies, once
        assert [(m["id"], m["state"]) for m in outbox] == [
            (1, "done"),
            (2, "done"),
            (3, "done"),
            (4, "done"),
        ]
        assert actions.count("arrive") == 1 and detail["state"] == "on_site"
    else:  # a backup from before the accept (SQLite had not yet written it to the file): the
        # arrival is refused by the state machine with its reason, never stuck, never lost
        assert [(m["id"], m["state"]) for m in outbox] == [
            (1, "done"),
            (2, "done"),
            (3, "done"),
            (4, "rejected"),
        ]
        assert outbox[3]["reasonCode"] == "lifecycle.illegal" and "arrive" not in actions
    assert "contact" not in actions, "what the backup lost stays lost: the server holds it nowhere"
    # The phone shows the server's order again, with nothing left to send.
    page.goto(f"/#/job/{order['id']}")
    if "accept" in actions:
        page.wait_for_selector('#job-state[data-state="on_site"]')
        assert page.locator("#sync-ind").get_attribute("data-rejected") == "0"
    assert not page.errors, page.errors
