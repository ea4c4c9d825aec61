"""The technician's and the dispatcher's screens as people use them (issue 16): the phone at
360×640, the console at 1366×800, in Chromium; an axe-core accessibility pass on each screen."""

from __future__ import annotations

import base64
import re
import uuid
from datetime import datetime, timedelta

import httpx
import pytest

from tests.browser.conftest import ROOT, _page, publish, shot
from tests.browser.test_pwa_offline import (
    add_photos,
    create_order,
    draw_signature,
    log_in,
    wait_synced,
)
from tests.browser.test_session_switch import Held
from tests.photos import photo

AXE = (
    (ROOT / "node_modules" / "axe-core" / "axe.min.js").read_text()
    if (ROOT / "node_modules" / "axe-core").exists()
    else ""
)
STROKES = [[[10 + i * 4, 20 + (i % 3) * 5, i * 16] for i in range(12)], [[40, 30, 0], [60, 45, 30]]]

# Everything a finger or a pointer can act on.
CONTROLS = "a[href], button, input:not([type=hidden]), select, textarea, summary, label.button, [role=button]"
SMALL_CONTROLS = """(selector) => [...document.querySelectorAll(selector)].filter((el) => {
  const r = el.getBoundingClientRect(), st = getComputedStyle(el);
  return r.width > 0 && r.height > 0 && st.visibility !== "hidden";
}).map((el) => { const r = el.getBoundingClientRect(); return { what: el.outerHTML.slice(0, 90), w: Math.round(r.width), h: Math.round(r.height) }; })
  .filter((c) => c.w < 44 || c.h < 44)"""


@pytest.fixture(autouse=True)
def patient(request):
    """The machine is shared and loaded: wait on conditions longer than the pages' default."""
    for name in ("phone", "console"):
        if name in request.fixturenames:
            request.getfixturevalue(name).set_default_timeout(30_000)


def accessibility_problems(page) -> list[str]:
    """axe-core's serious and critical violations on the page as it stands."""
    if not page.evaluate("() => !!window.axe"):
        page.add_script_tag(content=AXE)
    result = page.evaluate(
        "async () => (await axe.run(document, { resultTypes: ['violations'] })).violations"
        ".filter((v) => ['serious', 'critical'].includes(v.impact))"
        ".map((v) => v.id + ': ' + v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', '))"
    )
    return result


def small_controls(page) -> list[dict]:
    return page.evaluate(SMALL_CONTROLS, CONTROLS)


def open_job(page, order_id: int) -> None:
    page.click(f'.job-card[data-id="{order_id}"]')
    page.wait_for_selector("#job-state")


def step(page, action: str, state: str) -> None:
    page.click(f'[data-action="{action}"]')
    page.wait_for_selector(f'#job-state[data-state="{state}"]')


def record_work(page, work: str, hours: str, material: tuple[str, str] | None = None) -> None:
    if not page.locator("#work-box[open]").count():
        page.click("#work-box summary")
    page.fill("#work-done", work)
    page.fill("#labour-hours", hours)
    if material:
        page.select_option("#material-code", material[0])
        page.fill("#material-qty", material[1])
        page.click("#add-material")
    page.click("#work-submit")


def sign(page) -> None:
    draw_signature(page)
    page.click('.star[data-score="5"]')
    page.click("#sign-submit")
    page.wait_for_selector('#sig-state[data-sig="local"]')


def sync_now(page) -> None:
    page.evaluate("async () => (await window.__app.engine).syncNow()")


# ---------------------------------------------------------------- technician app


def test_the_customer_signs_the_complete_record_and_the_closure_carries_what_was_signed(
    phone, server, tmp_path
):
    """Items 1 and 2: work and materials first, then the customer signs a record that shows them
    (the screen opens at the record, not at the pad), then the closure carries the signed work;
    work added after signing is said at once and blocks the closure until the customer signs again."""
    page = phone
    order = create_order(server, "ordinary", "宽带断网")
    log_in(page)
    open_job(page, order["id"])
    step(page, "accept", "accepted")
    step(page, "arrive", "on_site")

    # Nothing recorded yet: the customer cannot be shown an empty record.
    assert page.locator("#go-sign").count() == 0 and page.locator("#go-sign-blocked").is_visible()
    assert "先登记完成工作和工时" in page.inner_text("#need-work")
    page.goto(f"/#/job/{order['id']}/sign")
    page.wait_for_selector("#record-incomplete")
    assert page.locator("#sign-canvas").count() == 0
    page.goto(f"/#/job/{order['id']}")
    page.wait_for_selector("#job-state")

    record_work(page, "更换光猫,重新熔接皮线", "1.5", ("ONU", "1"))
    page.wait_for_selector("#go-sign")
    add_photos(page, tmp_path, ("after", "更换后", photo(size=(800, 600), seed=4)))
    page.evaluate("() => window.scrollTo(0, document.body.scrollHeight)")
    assert page.evaluate("() => window.scrollY") > 100
    page.click("#go-sign")
    page.wait_for_selector("#sign-canvas[data-ready]")
    # The customer sees the record first: the screen opens at its top.
    assert page.evaluate("() => window.scrollY") == 0
    assert page.locator("#service-record h1").is_visible()
    record = page.inner_text("#service-record")
    assert "更换光猫,重新熔接皮线" in page.inner_text("#record-work")
    assert page.inner_text("#record-hours") == "1.5"
    assert "光猫 × 1 台" in page.inner_text("#record-materials")
    assert "工单号" in record and "No." not in record
    assert not accessibility_problems(page), accessibility_problems(page)
    sign(page)

    page.click("#go-close")
    page.wait_for_selector("#close-form")
    # The closure shows the signed work; it is not typed again.
    assert "更换光猫,重新熔接皮线" in page.inner_text("#signed-work")
    assert page.locator("#work_done, #labour_hours").count() == 0
    assert page.locator("#sig-changed").count() == 0
    assert not accessibility_problems(page), accessibility_problems(page)

    # More work after the signature: the phone says the record changed, and the closure waits.
    page.goto(f"/#/job/{order['id']}")
    page.wait_for_selector("#job-state")
    record_work(page, "加装分支器", "0.5")
    page.wait_for_selector('#sig-state[data-sig="changed"]')
    page.click("#go-close")
    page.wait_for_selector("#sig-changed")
    assert "重新签字" in page.inner_text("#sig-changed")
    page.fill("#cause", "光猫老化")
    page.fill("#solution", "更换光猫")
    page.fill("#result", "已恢复上网")
    page.click("#close-submit")
    assert page.locator('#close-errors li[data-field="signature"]').count() == 1

    page.click("#sig-changed a")
    page.wait_for_selector("#sign-canvas[data-ready]")
    assert page.inner_text("#record-hours") == "2"
    sign(page)
    page.click("#go-close")
    page.wait_for_selector("#close-form")
    assert page.input_value("#cause") == "光猫老化"  # the draft was kept
    page.click("#close-submit")
    page.wait_for_selector('#job-state[data-state="closed"]')
    wait_synced(page)

    office = server.office
    closed = office.get("dispatcher", f"/api/work-orders/{order['id']}")
    assert closed["closure"]["work_done"] == "更换光猫,重新熔接皮线; 加装分支器"
    assert float(closed["closure"]["labour_hours"]) == 2
    check = office.get("dispatcher", f"/api/work-orders/{order['id']}/signature/verify")
    assert check["valid"] and len(check["record"]["work"]) == 2
    assert not page.errors, page.errors


def test_background_redraws_while_recording_work_neither_drop_the_materials_nor_show_an_older_job(
    phone, server
):
    """A sync's redraw can land while the technician records work (CI caught it: the job stayed
    drawn without the work just recorded, 签字 never unlocked). Materials listed before a redraw are
    still recorded, the newest state is what stays on screen, and the form is cleared once queued."""
    page = phone
    order = create_order(server, "ordinary", "宽带断网")
    log_in(page)
    open_job(page, order["id"])
    step(page, "accept", "accepted")
    step(page, "arrive", "on_site")
    page.click("#work-box summary")
    page.fill("#work-done", "更换光猫")
    page.fill("#labour-hours", "1")
    page.select_option("#material-code", "ONU")
    page.fill("#material-qty", "2")
    page.click("#add-material")
    page.evaluate("() => window.__app.redraw()")  # a sync's redraw, finished before the tap
    assert page.input_value("#work-done") == "更换光猫" and page.input_value("#labour-hours") == "1"
    assert "ONU × 2" in page.inner_text("#material-rows")
    # Redraws that overlap the tap: whichever read they started with, the last drawing is the newest.
    page.evaluate("""async () => {
      const draws = Array.from({ length: 8 }, () => window.__app.redraw());
      document.querySelector("#work-submit").click();
      for (let i = 0; i < 8; i++) { draws.push(window.__app.redraw()); await new Promise((r) => setTimeout(r, 5)); }
      await Promise.all(draws);
    }""")
    page.wait_for_selector("#go-sign", timeout=5000)
    [work] = [
        m
        for m in page.evaluate("async () => (await window.__app.engine).db.outbox.toArray()")
        if m["name"] == "record_work"
    ]
    assert work["args"]["materials"] == [{"code": "ONU", "quantity": 2}]
    assert work["args"]["work_done"] == "更换光猫" and work["args"]["labour_hours"] == 1
    assert page.input_value("#work-done") == "" and page.inner_text("#material-rows").strip() == ""
    assert not page.errors, page.errors


def test_hidden_parts_stay_hidden(phone, server):
    """Item 3: the native file picker behind 拍照/选择照片, and the appointment fields of a
    resolved closure, are not shown."""
    page = phone
    order = create_order(server, "ordinary", "电视无信号")
    log_in(page)
    open_job(page, order["id"])
    step(page, "accept", "accepted")
    page.click("#photo-box summary")
    assert page.locator('label[for="photo-input"]').is_visible()
    assert not page.locator("#photo-input").is_visible()
    page.click("#go-close")
    page.wait_for_selector("#close-form")
    assert page.input_value("#outcome") == "resolved"
    assert (
        not page.locator("#appt").is_visible()
        and not page.locator("#appointment_date").is_visible()
    )
    page.select_option("#outcome", "appointment")
    assert page.locator("#appointment_date").is_visible()


def test_office_steps_read_in_the_technicians_language(phone, server):
    """Item 4: create / dispatch / urge in the job's history are 建单 / 派单 / 催单 (and in English
    under the switch), never code words."""
    page = phone
    order = create_order(server, "ordinary", "机顶盒死机")
    server.office.post("agent", f"/api/work-orders/{order['id']}/urge", {})
    log_in(page)
    open_job(page, order["id"])
    history = page.inner_text(".history")
    for word in ("建单", "派单", "催单"):
        assert word in history, history
    assert not re.search(r"\b(create|dispatch|urge|return_result)\b", history), history
    page.click("#lang")
    page.wait_for_selector("#lang >> text=中文")
    history = page.inner_text(".history")
    assert (
        "Created" in history and "Urge" in history and not re.search(r"\b(create|urge)\b", history)
    ), history


def test_a_job_taken_away_leaves_a_notice_in_its_place(phone, server):
    """Item 5: reassigned and cancelled orders leave the list with a notice saying so and when."""
    page = phone
    moved = create_order(server, "ordinary", "宽带慢")
    dropped = create_order(server, "vip", "电视花屏")
    kept = create_order(server, "ordinary", "遥控器失灵")
    log_in(page)
    assert page.locator(".job-card").count() == 3
    office = server.office
    office.post(
        "dispatcher",
        f"/api/work-orders/{moved['id']}/transfer",
        {"assignee_id": server.world.uid("tech2b")},
    )
    office.post("agent", f"/api/work-orders/{dropped['id']}/cancel", {"reason": "客户来电撤单"})
    sync_now(page)
    page.wait_for_selector(f'.notice[data-gone="{moved["id"]}"]')
    notices = page.locator(".notice").all_inner_texts()
    assert any(re.search(rf"{moved['code']} 已于 \d\d:\d\d 改派给 周维修", n) for n in notices), (
        notices
    )
    assert any(re.search(rf"{dropped['code']} 已于 \d\d:\d\d 撤销", n) for n in notices), notices
    assert [c.get_attribute("data-id") for c in page.locator(".job-card").all()] == [
        str(kept["id"])
    ]
    shot(page, "job-taken-away")
    publish("job-taken-away")
    assert not accessibility_problems(page), accessibility_problems(page)
    # Dismissed, it stays dismissed; the other stays until dismissed, across a reload.
    page.click(f'.notice[data-gone="{moved["id"]}"] button')
    page.wait_for_selector(f'.notice[data-gone="{moved["id"]}"]', state="detached")
    page.reload()
    page.wait_for_selector(f'.notice[data-gone="{dropped["id"]}"]')
    assert page.locator(f'.notice[data-gone="{moved["id"]}"]').count() == 0


def indicator(page) -> tuple[str, str]:
    el = page.locator("#sync-ind")
    return el.get_attribute("data-state"), el.inner_text()


def test_the_sync_indicator_tells_one_truthful_state(phone, server, tmp_path):
    """Item 6: synced at HH:MM only after a sync succeeded; offline says offline and what waits,
    never "synced" beside it; a photo waiting for the network is waiting, not broken; a push the
    server has not answered yet is "sending N"."""
    page = phone
    order = create_order(server, "ordinary", "光猫掉线")
    log_in(page)
    wait_synced(page)
    state, text = indicator(page)
    assert state == "ok" and re.fullmatch(r"已同步 \d\d:\d\d", text), text

    server.stop()
    page.context.set_offline(True)
    page.reload()
    page.wait_for_selector(".job-card")
    state, text = indicator(page)
    assert state == "offline" and text == "离线", text
    open_job(page, order["id"])
    step(page, "accept", "accepted")
    page.wait_for_selector('#sync-ind[data-pending="1"]')
    state, text = indicator(page)
    assert state == "offline" and text == "离线 · 待发送 1", text
    add_photos(page, tmp_path, ("before", "", photo(size=(640, 480), seed=2)))
    label = page.locator("li.photo").inner_text()
    assert "等待网络" in label and "中断" not in label, label
    page.wait_for_timeout(1500)  # a failed attempt meanwhile changes nothing of what is said
    label = page.locator("li.photo").inner_text()
    assert "等待网络" in label and "中断" not in label, label
    shot(page, "sync-offline")

    server.start()
    page.context.set_offline(False)
    wait_synced(page)
    page.wait_for_selector('li.photo[data-state="done"]', timeout=30_000)
    state, text = indicator(page)
    assert state == "ok" and re.fullmatch(r"已同步 \d\d:\d\d", text), text

    # Sending: while the server has not answered the push, the bar says so and how many.
    push = Held(page, "**/api/sync/push", "the push")
    step(page, "contact", "contacted")
    push.wait()
    page.wait_for_selector('#sync-ind[data-state="syncing"]')
    assert indicator(page) == ("syncing", "发送中 1")
    page.wait_for_timeout(1000)  # held, it stays "sending": no retry, no "synced" meanwhile
    assert indicator(page) == ("syncing", "发送中 1")
    push.release()
    page.wait_for_selector('#sync-ind[data-state="ok"]')
    state, text = indicator(page)
    assert state == "ok" and re.fullmatch(r"已同步 \d\d:\d\d", text), text


def test_every_control_is_big_enough_and_the_job_reads_cleanly(phone, server, tmp_path):
    """Item 7: every visible control ≥ 44×44 px at 360×640, on every screen (login, list, the list
    with a job taken away, job, signing, closure, sync), in both languages;
    the top bar on one line; 结单 only after 接单; no dangling "·"; the photo kind kept."""
    page = phone
    create_order(server, "vip", "光猫红灯", agent_remark="客户下午在家", remark_flagged=True)
    order = create_order(server, "ordinary", "宽带断网")
    moved = create_order(server, "ordinary", "机顶盒无信号")

    def check(where: str) -> None:
        assert not small_controls(page), (where, small_controls(page))
        bar = page.locator("#bar").bounding_box()
        assert bar["height"] < 64, (where, bar)  # one line
        tops = page.evaluate(
            "() => [...document.querySelectorAll('#bar > *')].map((el) => Math.round(el.getBoundingClientRect().top))"
        )
        assert max(tops) - min(tops) < 12, (where, tops)

    page.goto("/")
    page.wait_for_selector("#login-submit")
    check("login")
    log_in(page)
    check("list")
    server.office.post(
        "dispatcher",
        f"/api/work-orders/{moved['id']}/transfer",
        {"assignee_id": server.world.uid("tech2b")},
    )
    sync_now(page)
    page.wait_for_selector(f'.notice[data-gone="{moved["id"]}"]')
    check("list, a job taken away")
    assert not accessibility_problems(page), accessibility_problems(page)
    open_job(page, order["id"])
    assert page.locator('[data-action="accept"]').is_visible()
    assert page.locator("#go-close").count() == 0, "结单 is not offered before the job is accepted"
    step(page, "accept", "accepted")
    assert page.locator("#go-close").is_visible()
    step(page, "contact", "contacted")
    # No clock runs now: the header says the order's code and nothing dangles after it.
    assert server.office.get("dispatcher", f"/api/work-orders/{order['id']}")["next_due"] is None
    header = (
        page.locator("#job-state")
        .locator("xpath=../following-sibling::div[1]")
        .inner_text()
        .strip()
    )
    assert header == order["code"], header
    for box in (
        "#work-box",
        "#photo-box",
        "#note-box",
        "#reason-request_send_back",
        "#reason-cannot_proceed",
    ):
        if page.locator(box).count() and not page.locator(f"{box}[open]").count():
            page.click(f"{box} summary")
    record_work(page, "更换光猫", "1", ("ONU", "1"))
    page.wait_for_selector("#go-sign")
    if not page.locator("#work-box[open]").count():
        page.click("#work-box summary")
    page.select_option("#material-code", "FIBER")
    page.click("#add-material")
    check("job")
    assert not accessibility_problems(page), accessibility_problems(page)

    add_photos(page, tmp_path, ("signal_meter", "光功率", photo(size=(640, 480), seed=6)))
    assert page.input_value("#photo-kind") == "signal_meter", (
        "the kind chosen stays for the next photo"
    )

    page.click("#go-sign")
    page.wait_for_selector("#sign-canvas[data-ready]")
    assert not page.locator("#bar").is_visible()  # the customer's screen: no bar
    assert not small_controls(page), small_controls(page)
    page.goto(f"/#/job/{order['id']}/close")
    page.wait_for_selector("#close-form")
    check("close")
    page.goto("/#/sync")
    page.wait_for_selector("#sync-panel")
    check("sync")

    page.click("#lang")
    page.wait_for_selector("#lang >> text=中文")
    server.stop()
    page.context.set_offline(True)
    page.goto("/#/")
    page.wait_for_selector(".job-card")
    check("list, English, offline")
    page.goto(f"/#/job/{order['id']}")
    page.wait_for_selector("#job-state")
    check("job, English")


# ---------------------------------------------------------------- dispatcher console


@pytest.fixture
def console(browser, server):
    """The console at a laptop's size."""
    context, page = _page(browser, server, viewport={"width": 1366, "height": 800})
    yield page
    context.close()


def console_log_in(page) -> None:
    from tests.browser.test_console_dispatch import log_in as console_login

    console_login(page)
    page.wait_for_selector("#queue")


def test_queue_columns_keep_words_whole_and_long_clocks_say_days(console, server):
    """Item 8: 维修, 锦江片区, 已派单 on one line each; the order number column no wider than its
    number; a clock days away reads "剩 4天23小时", not "剩 119:59:59"."""
    page = console
    for n in range(3):
        create_order(server, "vip" if n else "ordinary", f"宽带断网 {n}")
    # The browser's clock five days back: every running clock is days away.
    page.clock.install(time=datetime.now() - timedelta(days=5))
    console_log_in(page)
    rows = page.locator("#queue tbody tr[data-id]")
    rows.first.wait_for()
    # Each text of a cell on one line: a word broken across lines has two line boxes.
    broken = page.evaluate("""() => [...document.querySelectorAll('#queue tbody tr[data-id] td:not(.wrap)')].flatMap((td) => {
      const walk = document.createTreeWalker(td, NodeFilter.SHOW_TEXT), out = [];
      for (let n = walk.nextNode(); n; n = walk.nextNode()) {
        if (!n.textContent.trim()) continue;
        const r = document.createRange(); r.selectNodeContents(n);
        if (new Set([...r.getClientRects()].map((x) => Math.round(x.top))).size > 1) out.push(n.textContent);
      }
      return out;
    })""")
    assert not broken, broken
    # Both widths in one task: the list is redrawn with new nodes when the reference data or a
    # live change arrives, which a loaded machine may deliver between two separate measurements.
    cell, number = page.evaluate("""() => {
      const td = document.querySelector('#queue tbody tr[data-id] td.code');
      return [td.getBoundingClientRect().width, td.querySelector('a').getBoundingClientRect().width];
    }""")
    assert cell <= number + 30, (cell, number)
    clock = page.locator("#queue td.countdown").first.inner_text()
    assert re.fullmatch(r"剩 [45]天\d+小时", clock), clock
    assert not accessibility_problems(page), accessibility_problems(page)


def tus_upload(server, user: str, data: bytes) -> str:
    upload_id = str(uuid.uuid4())
    headers = {
        **server.office.headers(user),
        "Tus-Resumable": "1.0.0",
        "Upload-Length": str(len(data)),
        "Upload-Metadata": f"id {base64.b64encode(upload_id.encode()).decode()}",
    }
    created = httpx.post(f"{server.url}/api/uploads/", headers=headers)
    assert created.status_code == 201, created.text
    location = created.headers["location"]
    url = location if location.startswith("http") else f"{server.url}{location}"
    patched = httpx.patch(
        url,
        content=data,
        headers={
            **server.office.headers(user),
            "Tus-Resumable": "1.0.0",
            "Upload-Offset": "0",
            "Content-Type": "application/offset+octet-stream",
        },
    )
    assert patched.status_code == 204, patched.text
    return upload_id


def test_the_order_pane_shows_the_closures_evidence(console, server):
    """Item 9: thumbnails, the signature, verified or changed after signing, pending uploads."""
    page, office = console, server.office
    order = create_order(server, "ordinary", "宽带断网")
    oid = order["id"]
    for action in ("accept", "arrive"):
        office.post("tech2", f"/api/work-orders/{oid}/{action}", {})
    office.post(
        "tech2", f"/api/work-orders/{oid}/record-work", {"work_done": "更换光猫", "labour_hours": 1}
    )
    uploaded = tus_upload(server, "tech2", photo(size=(800, 600), seed=9))
    office.post(
        "tech2",
        f"/api/work-orders/{oid}/photos",
        {"upload_id": uploaded, "kind": "after", "caption": "更换后"},
    )
    office.post(
        "tech2",
        f"/api/work-orders/{oid}/photos",
        {"upload_id": str(uuid.uuid4()), "kind": "before"},
    )  # bytes not yet sent
    office.post(
        "tech2",
        f"/api/work-orders/{oid}/sign",
        {
            "signer_name": "客户本人",
            "relation": "account_holder",
            "strokes": STROKES,
            "satisfaction": 4,
        },
    )

    console_log_in(page)
    page.click(f'#queue tr[data-id="{oid}"] a.open-order')
    evidence = page.locator("#pane-evidence")
    page.wait_for_selector('#pane-evidence[data-signature="valid"]')
    assert "客户签字有效" in page.inner_text("#ev-signature-state")
    assert "1 张照片待上传" in page.inner_text("#ev-pending")
    page.wait_for_function(
        "() => { const i = document.querySelector('#pane-evidence figure[data-status=ready] img'); return i && i.complete && i.naturalWidth > 0; }"
    )
    page.wait_for_function(
        "() => { const i = document.querySelector('#ev-signature'); return i && i.complete && i.naturalWidth > 0; }"
    )
    assert (
        evidence.locator('figure[data-status="ready"] img').get_attribute("alt")
        == "施工后 · 更换后"
    )
    assert "待上传" in evidence.locator('figure[data-status="pending"]').inner_text()
    assert "客户本人" in evidence.inner_text() and "满意度 4" in evidence.inner_text()
    evidence.locator("#ev-signature").scroll_into_view_if_needed()
    shot(page, "console-evidence")
    publish("console-evidence")
    assert not accessibility_problems(page), accessibility_problems(page)

    # Work recorded after the signature: the pane says the record no longer matches.
    office.post(
        "tech2",
        f"/api/work-orders/{oid}/record-work",
        {"work_done": "加装分支器", "labour_hours": 0.5},
    )
    page.wait_for_selector('#pane-evidence[data-signature="changed"]', timeout=20_000)
    assert "签字后记录有变动" in page.inner_text("#ev-signature-state")
    assert not page.errors, page.errors
    publish("console-evidence")
