"""The duty desk in the console (issue 19), under the server's Content-Security-Policy (its panels
are lit-html): a broadcast-safety event recorded at the desk holds the handover back until it is
reported; the supervisor's roster and duty check reach the technician board; a confirmed outage
proposes staff to call in and records them; supervisors set the contractor routing policy."""

from __future__ import annotations

from tests.world import PASSWORD


def log_in(page, username: str) -> None:
    page.goto("/console/")
    page.fill("#login-username", username)
    page.fill("#login-password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_selector("#tabs a[data-panel=duty]")


def test_a_broadcast_event_holds_the_handover_back_until_reported(strict_desk, server):
    page = strict_desk
    log_in(page, "dispatcher")
    page.click("#tabs a[data-panel=duty]")
    form = page.locator("#b-new")
    form.locator("[name=kind]").select_option("illegal_insertion")
    form.locator("[name=channel]").fill("CDTV-2 <b>经济资讯</b>")  # shown as text, never markup
    form.locator("[name=description]").fill("画面被非法插播约40秒")
    form.locator("button").click()
    card = page.locator("#broadcasts .broadcast[data-status=open]")
    card.wait_for()
    assert "CDTV-2 <b>经济资讯</b>" in card.text_content() and card.locator("b b").count() == 0
    [event] = server.office.get("dispatcher", "/api/broadcast-events")
    assert (event["status"], event["kind"], event["recorded_by"]["name"]) == (
        "open",
        "illegal_insertion",
        "王调度",
    )
    # The handover sheet lists it in item B and is held back.
    page.click("#tabs a[data-panel=handover]")
    page.select_option("#h-new [name=incoming_id]", label="钱调度")
    page.click("#h-new button")
    page.wait_for_selector(f"#h-broadcast tr[data-id='{event['id']}']")
    assert page.locator("#h-held-broadcast").is_visible()
    page.click("#h-sign-out")
    page.wait_for_selector(".toast")
    assert "安播事件" in page.locator(".toast").first.text_content()
    assert page.locator("#handover-pane [data-status=draft]").count() == 1
    # Reported at the duty desk: the sheet is released.
    page.click("#tabs a[data-panel=duty]")
    report = page.locator(f"#broadcasts .broadcast[data-id='{event['id']}'] form.b-report")
    report.locator("[name=informed]").fill("前端机房、值班领导")
    report.locator("[name=actions]").fill("切换备用信源")
    report.locator("[name=report]").fill("已报备市广电监管科")
    report.locator("button").click()
    page.wait_for_selector(f"#broadcasts .broadcast[data-id='{event['id']}'][data-status=reported]")
    page.click("#tabs a[data-panel=handover]")
    page.wait_for_selector("#handover-pane [data-sheet]")
    assert page.locator("#h-held-broadcast").count() == 0  # what holds it back is live
    page.click(
        "#h-compile"
    )  # item B as compiled is a snapshot: compiled again, it shows the report
    page.wait_for_selector("#h-broadcast [data-status=reported]")
    page.click("#h-sign-out")
    page.wait_for_selector("#handover-pane [data-status=signed_out]")
    assert not page.errors, page.errors


def test_roster_board_call_in_and_contractor_routing(strict_desk, server):
    page = strict_desk
    world = server.world
    log_in(page, "supervisor")
    page.click("#tabs a[data-panel=duty]")
    page.wait_for_selector("#roster")
    for name in ("李维修", "王调度"):
        page.locator("#r-add [name=user_id]").select_option(
            label=f"{name} · " + ("装维人员" if name == "李维修" else "调度")
        )
        page.click("#r-add button")
        page.wait_for_selector(
            f"#roster tr[data-user='{world.uid('tech2' if name == '李维修' else 'dispatcher')}']"
        )
    page.click(f"#roster tr[data-user='{world.uid('tech2')}'] .r-present")
    page.wait_for_selector(f"#roster tr[data-user='{world.uid('tech2')}'][data-attendance=present]")
    # The technician board shows who is working this shift.
    page.click("#tabs a[data-panel=board]")
    page.wait_for_selector(
        f"#board tr[data-person='{world.uid('tech2')}'] td.duty [data-status=present]"
    )
    assert (
        page.locator(f"#board tr[data-person='{world.uid('tech1')}'] td.duty .badge").count() == 0
    )
    # A mass outage is declared (confirmed at once): the console proposes staff off duty.
    outage = server.office.post(
        "dispatcher",
        "/api/outages",
        {"area_id": world.area, "network": "two_way", "note": "接网络部通知:主干光缆中断"},
    )
    page.click("#tabs a[data-panel=outages]")
    page.click(f"#outages tr[data-id='{outage['id']}']")
    callin = page.locator("#o-callin")
    callin.wait_for()
    assert callin.locator(f"tr[data-user='{world.uid('tech2')}']").count() == 0  # on duty already
    callin.locator(f"tr[data-user='{world.uid('tech2b')}'] input").check()
    callin.locator("[name=note]").fill("电话通知,30分钟内到岗")
    callin.locator("button").click()
    page.wait_for_selector(f"#called-in li[data-user='{world.uid('tech2b')}']")
    roster = server.office.get("dispatcher", "/api/duty/roster")
    assert {e["user"]["name"]: e["attendance"] for e in roster["entries"]} == {
        "李维修": "present",
        "王调度": "rostered",
        "周维修": "called_in",
    }
    # Contractors keep out of repairs in 锦江片区 from now on.
    page.click("#tabs a[data-panel=duty]")
    policy = page.locator("#routing-set")
    policy.wait_for()
    policy.locator("[name=area_id]").select_option(label="锦江片区")
    policy.locator("input[name=kind][value=install]").check()
    policy.locator("button").click()
    page.wait_for_selector(f"#routing tr[data-area='{world.area}']")
    current = server.office.get("dispatcher", "/api/policies/contractor-routing")
    assert [(p["area_id"], p["kinds"]) for p in current] == [
        (None, ["install", "repair"]),
        (world.area, ["install"]),
    ]
    assert not page.errors, page.errors
