"""The job list's compact copy in localStorage (first paint of a cold start) holds data, not HTML:
a customer name carrying markup shows as text, in the app and in the first paint after a
restart, and markup planted in the copy itself is never injected."""

from __future__ import annotations

import json
import sqlite3

from tests.browser.test_pwa_offline import create_order, log_in

NAME = '<img src="/x" id="planted">王<b id="bold">客户</b>'


def test_a_customer_name_with_markup_never_persists_as_markup(strict_phone, server):
    page = strict_phone
    with sqlite3.connect(server.db_path) as db:
        db.execute(
            "UPDATE customer SET name = ? WHERE id = ?", (NAME, server.world.customers["ordinary"])
        )
    create_order(server, "ordinary", "宽带断网")
    log_in(page)
    card = page.locator(".job-card").first
    assert NAME in card.inner_text()
    # Nothing above the heading but what the list means to show (no banner, no notice, no stray text).
    assert page.inner_text("#view").startswith("今日工单")
    copy = page.evaluate("localStorage.getItem('fieldservice:list')")
    assert json.loads(copy)["cards"][0]["customer"] == NAME  # the name, as data
    assert "<a " not in copy and "<span" not in copy  # no HTML kept between starts
    # A restart draws the first screen from the copy: text again, no element made of it.
    page.reload()
    page.wait_for_selector(".job-card")
    assert page.evaluate("window.__firstList !== undefined")
    assert page.evaluate("document.getElementById('view').innerText").startswith("今日工单")
    assert NAME in page.locator(".job-card").first.inner_text()
    assert page.locator("#planted, #bold").count() == 0
    assert page.errors == []


def test_markup_planted_in_the_copy_is_drawn_as_text(strict_phone, server):
    page = strict_phone
    create_order(server, "ordinary", "宽带断网")
    log_in(page)
    planted = json.loads(page.evaluate("localStorage.getItem('fieldservice:list')"))
    planted["head"] = '<img id="p-head" src="/x">'
    planted["rejected"] = '<img id="p-banner" src="/x">'
    card = planted["cards"][0]
    card.update(
        customer='<img id="p-name" src="/x">',
        state='x"><img id="p-state" src="/x',
        badges=[{"colour": 'red"><img id="p-badge" src="/x', "text": '<img id="p-text" src="/x">'}],
    )
    # What the inline first paint drew, before the app takes over and draws from IndexedDB.
    page.add_init_script("""Object.defineProperty(window, "__firstList", { configurable: true,
        get() { return this._first; }, set(html) { if (html && !window.__painted) window.__painted = html; this._first = html; } });""")
    page.evaluate("(copy) => localStorage.setItem('fieldservice:list', copy)", json.dumps(planted))
    page.reload()
    page.wait_for_function("window.__painted")
    drawn = page.evaluate("""() => { const t = document.createElement("template"); t.innerHTML = window.__painted;
        return { images: t.content.querySelectorAll("img").length, text: t.content.textContent }; }""")
    assert drawn["images"] == 0
    assert (
        '<img id="p-name" src="/x">' in drawn["text"]
        and '<img id="p-head" src="/x">' in drawn["text"]
    )
    assert page.locator("#view img").count() == 0
