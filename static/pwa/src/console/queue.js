// The queue: breached, at-risk, new and unassigned orders first, each clock counting down every
// second; filters; the order's detail beside the list with its clocks and history (steps and
// calls); assign from ranked suggestions, transfer, urge, send back; bulk assign / urge. Live:
// `order` events refetch the list (a burst of them costs a fetch or two) and the open order if it
// changed, `call` events the open order; the rows that changed light up for a moment.
import { draw, html, some } from "../client.js";
import { drawEvidence } from "./evidence.js";
import { drawCalls } from "./calls.js";
import { historyItems } from "../history.js";
import { drawReach, mountReachAlerts } from "./reach.js";
import { addTexts } from "./i18n.js";

addTexts({
  "zh-CN": {
    q_code: "工单号", q_kind: "类型", q_customer: "客户", q_state: "状态", q_area: "片区", q_assignee: "处理人", q_due: "时限",
    q_empty: "没有符合条件的工单", q_open: "全部未结", q_all: "全部", q_priority: "优先级", q_clock: "时限", q_search: "搜索",
    q_search_ph: "工单号/电话/客户", p_normal: "普通", p_high: "优先", ck_at_risk: "即将超时", ck_breached: "已超时",
    q_total: "共 {n} 单", q_unassigned: "未派", q_selected: "已选 {n} 单", q_bulk_urge: "批量催单", q_bulk_assign: "批量派给",
    q_bulk_done: "完成 {ok} 单,失败 {bad} 单", q_pick: "点击左侧工单查看详情", q_suggest: "推荐处理人", q_no_suggest: "路由表中没有可派的人员",
    q_assign: "派单", q_transfer: "转派", q_urge: "催单", q_send_back: "回退", q_done: "已{a}:{code}",
    q_in_area: "本片区", q_current: "当前处理人", q_load: "在手 {n} 单", q_idle: "空闲", q_contact: "上次联络 {t}", q_never: "从未联络",
    q_reason_code: "回退原因", q_reason: "说明", q_team: "班组",
    sb_out_of_scope: "不属于受理范围", sb_wrong_dispatch: "派错单", sb_duplicate: "重复工单", sb_customer_info_wrong: "客户信息有误", sb_other: "其他",
    ago: "{m}前", just_now: "刚刚", w_on_site: "到场 {code}", w_en_route: "在途 {code}",
  },
  en: {
    q_code: "Order", q_kind: "Kind", q_customer: "Customer", q_state: "State", q_area: "Area", q_assignee: "Assignee", q_due: "Clock",
    q_empty: "No orders match", q_open: "All open", q_all: "All", q_priority: "Priority", q_clock: "Clock", q_search: "Search",
    q_search_ph: "Order / phone / customer", p_normal: "Normal", p_high: "High", ck_at_risk: "At risk", ck_breached: "Breached",
    q_total: "{n} orders", q_unassigned: "unassigned", q_selected: "{n} selected", q_bulk_urge: "Urge all", q_bulk_assign: "Assign all to",
    q_bulk_done: "{ok} done, {bad} failed", q_pick: "Pick an order on the left to see it here", q_suggest: "Suggested", q_no_suggest: "Nobody the routing matrix allows",
    q_assign: "Assign", q_transfer: "Transfer", q_urge: "Urge", q_send_back: "Send back", q_done: "{a}: {code}",
    q_in_area: "in area", q_current: "holds it", q_load: "{n} held", q_idle: "idle", q_contact: "last contact {t}", q_never: "never synced",
    q_reason_code: "Reason", q_reason: "Details", q_team: "Team",
    sb_out_of_scope: "Out of scope", sb_wrong_dispatch: "Wrongly dispatched", sb_duplicate: "Duplicate", sb_customer_info_wrong: "Customer details wrong", sb_other: "Other",
    ago: "{m} ago", just_now: "just now", w_on_site: "on site {code}", w_en_route: "en route {code}",
  },
});

const OPEN = ["new", "dispatched", "accepted", "contacted", "en_route", "on_site", "returned", "cannot_proceed", "sent_back"];
const HANDLING = new Set(["dispatched", "accepted", "contacted", "en_route", "on_site"]);

/** Breached, then at risk, then new or unassigned, then the rest; soonest due first within each. */
export function needsFirst(a, b) {
  const rank = (o) => (o.breached ? 0 : o.at_risk ? 1 : o.state === "new" || !o.assignee ? 2 : 3);
  const due = (o) => (o.next_due ? Date.parse(o.next_due) : Infinity);
  return rank(a) - rank(b) || due(a) - due(b) || b.id - a.id;
}

/** "12:34" or "1:02:03": precise enough that a dispatcher sees it move; a day or more in days
 *  and hours ("4天17小时"), not "113:16:35". */
function clockText(ms, t) {
  const s = Math.floor(Math.abs(ms) / 1000);
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
  const two = (n) => String(n).padStart(2, "0");
  if (h >= 24) return t("days_hours", { d: Math.floor(h / 24), h: h % 24 });
  return h ? `${h}:${two(m)}:${two(sec)}` : `${m}:${two(sec)}`;
}

let state = null; // the mounted panel's state (one queue at a time)

export default {
  id: "queue",
  title: { "zh-CN": "工单队列", en: "Queue" },
  roles: ["dispatcher", "supervisor", "admin"],
  mount(el, ctx) {
    const { t, api, fmtTime, fmtSpan } = ctx;
    const s = (state = { orders: [], total: 0, selected: new Set(), open: Number(ctx.route[0]) || null, detail: null, suggestions: null, reference: null, filters: { state: "open" }, alive: true, listSeq: 0, listAnswer: null, bulkFor: null });

    const countdown = (due, stopped) => {
      if (!due || stopped) return "";
      const ms = Date.parse(due) - Date.now();
      return t(ms >= 0 ? "due_in" : "overdue", { m: clockText(ms, t) });
    };
    const clockClass = (due, risk) => (due && Date.parse(due) < Date.now() ? "late" : risk ? "risk" : "");
    const ago = (iso) => {
      if (!iso) return t("q_never");
      const ms = Date.now() - Date.parse(iso);
      return t("q_contact", { t: ms < 60_000 ? t("just_now") : t("ago", { m: fmtSpan(ms) }) });
    };
    const whereText = (w) => (w.status === "idle" ? t("q_idle") : t("w_" + w.status, { code: w.order_code }));
    const option = (value, label, current) => html`<option value=${value} ?selected=${String(current ?? "") === String(value)}>${label}</option>`;

    draw(el, html`<div id="reach-alerts-box"></div><div class="split"><section id="queue-list"></section><aside class="pane card" id="order-pane"></aside></div>`);
    mountReachAlerts(el.querySelector("#reach-alerts-box"), ctx);
    const listEl = el.querySelector("#queue-list"), paneEl = el.querySelector("#order-pane");

    // ------------------------------------------------------------ list
    function filtersHtml() {
      const f = s.filters, ref = s.reference || { areas: [], kinds: [] };
      return html`<form class="filters" id="queue-filters">
        <label>${t("q_state")}<select name="state">${option("open", t("q_open"), f.state)}${option("", t("q_all"), f.state)}${OPEN.concat("closed", "cancelled").map((x) => option(x, t("s_" + x), f.state))}</select></label>
        <label>${t("q_kind")}<select name="kind">${option("", t("q_all"), f.kind)}${ref.kinds.map((k) => option(k, t("k_" + k), f.kind))}</select></label>
        <label>${t("q_area")}<select name="area_id">${option("", t("q_all"), f.area_id)}${ref.areas.map((a) => option(a.id, a.name, f.area_id))}</select></label>
        <label>${t("q_priority")}<select name="priority">${option("", t("q_all"), f.priority)}${option("high", t("p_high"), f.priority)}${option("normal", t("p_normal"), f.priority)}</select></label>
        <label>${t("q_clock")}<select name="clock">${option("", t("q_all"), f.clock)}${option("at_risk", t("ck_at_risk"), f.clock)}${option("breached", t("ck_breached"), f.clock)}</select></label>
        <label>${t("q_search")}<input name="q" value="${f.q || ""}" placeholder="${t("q_search_ph")}" maxlength="64"></label>
        <span class="muted small" id="queue-total">${t("q_total", { n: s.total })}</span>
      </form>
      <div class="filters" id="bulk" ?hidden=${!s.selected.size}>
        <b>${t("q_selected", { n: s.selected.size })}</b>
        <button type="button" id="bulk-urge">${t("q_bulk_urge")}</button>
        <select id="bulk-person"></select><button type="button" id="bulk-assign" class="primary">${t("q_bulk_assign")}</button>
      </div>`;
    }

    function badges(o) {
      const b = [];
      if (o.customer_tier === "vip") b.push(html`<span class="badge gold">${t("vip")}</span>`);
      if (o.dedicated_line) b.push(html`<span class="badge gold">${t("dl")}</span>`);
      if (o.priority === "high") b.push(html`<span class="badge orange">${t("high")}</span>`);
      if (o.urge_count) b.push(html`<span class="badge red">${t("urged", { n: o.urge_count })}</span>`);
      if (o.remark_flagged) b.push(html`<span class="badge orange">${t("flagged")}</span>`);
      return b;
    }

    /** The whole list with its filters (`full`), or (live updates) only its rows, total and bulk
     *  bar, so that a filter being typed into keeps its text and focus. `fresh`: ids to light up. */
    function drawList(full = !listEl.querySelector("#queue-filters"), fresh = new Set()) {
      const rows = s.orders.map((o) => html`
        <tr data-id="${o.id}" data-code="${o.code}" class="${o.id === s.open ? "sel" : ""}${fresh.has(o.id) ? " fresh" : ""}">
          <td><input type="checkbox" class="pick" value="${o.id}" aria-label="${o.code}" ?checked=${s.selected.has(o.id)}></td>
          <td class="code"><a href="#queue/${o.id}" class="open-order">${o.code}</a></td>
          <td>${t("k_" + o.kind)}</td><td class="wrap">${o.customer_name} ${badges(o)}</td>
          <td><span class="state s-${o.state}">${t("s_" + o.state)}</span></td>
          <td>${o.area.name}</td>
          <td>${o.assignee ? o.assignee.name : html`<span class="badge red">${t("q_unassigned")}</span>`}</td>
          <td class="countdown ${clockClass(o.next_due, o.at_risk)}" data-due="${o.next_due || ""}">${countdown(o.next_due)}</td>
        </tr>`);
      const body = rows.length ? rows : html`<tr><td colspan="8" class="muted">${t("q_empty")}</td></tr>`;
      const refocus = rowFocus();
      if (!full) {
        draw(listEl.querySelector("#queue tbody"), body);
        refocus();
        listEl.querySelector("#queue-total").textContent = t("q_total", { n: s.total });
        listEl.querySelector("#pick-all").checked = s.orders.length > 0 && s.orders.every((o) => s.selected.has(o.id));
        return drawBulk();
      }
      draw(listEl, html`${filtersHtml()}
        <table class="grid" id="queue"><thead><tr><th><input type="checkbox" id="pick-all" aria-label="${t("q_all")}"></th>
          <th>${t("q_code")}</th><th>${t("q_kind")}</th><th>${t("q_customer")}</th><th>${t("q_state")}</th>
          <th>${t("q_area")}</th><th>${t("q_assignee")}</th><th>${t("q_due")}</th></tr></thead>
        <tbody>${body}</tbody></table>`);
      refocus();
      s.bulkFor = null; // a new, empty select
      bindList();
      fillBulkPeople();
    }

    /** The rows are drawn afresh on every live change: a dispatcher moving through them with the
     *  keyboard keeps focus on the same order's link or tick box (if the order is still listed). */
    function rowFocus() {
      const held = document.activeElement;
      const row = listEl.contains(held) && held.closest("tr[data-id]");
      if (!row) return () => {};
      const control = held.classList.contains("pick") ? ".pick" : ".open-order";
      return () => listEl.querySelector(`#queue tr[data-id="${row.dataset.id}"] ${control}`)?.focus();
    }

    function bindList() {
      const form = listEl.querySelector("#queue-filters");
      form.onchange = form.onsubmit = (ev) => {
        ev.preventDefault();
        s.filters = Object.fromEntries(new FormData(form));
        loadList();
      };
      listEl.querySelector("#queue tbody").onclick = (ev) => {
        const row = ev.target.closest("tr[data-id]");
        if (!row) return;
        if (ev.target.classList.contains("pick")) {
          const id = Number(ev.target.value);
          ev.target.checked ? s.selected.add(id) : s.selected.delete(id);
          return drawBulk();
        }
        ev.preventDefault();
        openOrder(Number(row.dataset.id));
      };
      listEl.querySelector("#pick-all").onchange = (ev) => {
        s.orders.forEach((o) => (ev.target.checked ? s.selected.add(o.id) : s.selected.delete(o.id)));
        drawList(false);
      };
      listEl.querySelector("#bulk-urge").onclick = () => bulk(() => ({ step: "urge", body: {} }));
      listEl.querySelector("#bulk-assign").onclick = () => {
        const person = Number(listEl.querySelector("#bulk-person").value);
        if (person) bulk((o) => ({ step: HANDLING.has(o.state) ? "transfer" : "dispatch", body: { assignee_id: person } }));
      };
    }

    function drawBulk() {
      const bar = listEl.querySelector("#bulk");
      bar.hidden = !s.selected.size;
      bar.querySelector("b").textContent = t("q_selected", { n: s.selected.size });
      fillBulkPeople();
    }

    /** The people the routing matrix allows for the first selected order (bulk work during an
     *  outage is one kind in one area, so they fit the rest; any that don't are reported). */
    async function fillBulkPeople() {
      const first = [...s.selected][0];
      const select = listEl.querySelector("#bulk-person");
      if (!first || !select || first === s.bulkFor) return; // (live redraws keep the select)
      s.bulkFor = first;
      const answer = await api(`/api/work-orders/${first}/suggestions`, { quiet: true }).catch(() => null);
      if (!answer || !s.alive) return;
      draw(select, answer.candidates.map((c) => option(c.id, `${c.name} · ${t("q_load", { n: c.load })}`)));
    }

    async function bulk(plan) {
      const chosen = s.orders.filter((o) => s.selected.has(o.id));
      let ok = 0;
      const failures = [];
      for (const o of chosen) {
        const { step, body } = plan(o);
        try { await api(`/api/work-orders/${o.id}/${step.replace("_", "-")}`, { method: "POST", body, quiet: true }); ok += 1; } catch (err) { failures.push(`${o.code}: ${err.message}`); }
      }
      s.selected.clear();
      ctx.toast([t("q_bulk_done", { ok, bad: failures.length }), ...failures].join("\n"), { ok: !failures.length });
      await loadList();
      if (s.open) await openOrder(s.open);
    }

    /** `fresh`: a live refresh, with the ids of the orders its events named. */
    async function loadList(fresh) {
      const f = s.filters;
      const query = { ...f, state: f.state === "open" ? OPEN : f.state, limit: 200 };
      const seq = ++s.listSeq; // a filter change and a live refresh may cross: the later one wins
      const page = await api("/api/work-orders", { query }).catch(() => null);
      if (!page || !s.alive || seq !== s.listSeq) return;
      // A live refresh with the same answer (the refetch on connecting, the event of one's own
      // step) leaves the page alone.
      const answer = JSON.stringify(page);
      if (fresh && answer === s.listAnswer) return;
      s.listAnswer = answer;
      s.orders = page.items.sort(needsFirst);
      s.total = page.total;
      const shown = new Set(s.orders.map((o) => o.id));
      for (const id of s.selected) if (!shown.has(id)) s.selected.delete(id);
      drawList(undefined, fresh);
    }

    // ------------------------------------------------------------ the order beside the list
    async function openOrder(id) {
      s.open = id;
      history.replaceState(null, "", `#queue/${id}`);
      listEl.querySelectorAll("tr[data-id]").forEach((r) => r.classList.toggle("sel", Number(r.dataset.id) === id));
      const [detail, suggestions] = await Promise.all([
        api(`/api/work-orders/${id}`).catch(() => null),
        api(`/api/work-orders/${id}/suggestions`, { quiet: true }).catch(() => null),
      ]);
      if (!s.alive || s.open !== id) return;
      s.detail = detail; s.suggestions = suggestions;
      drawPane();
    }

    function stepItem(e) {
      const p = e.payload || {};
      const text = p.reason || p.text || p.note || p.result || p.remark || (p.assignee_name ? `→ ${p.assignee_name}` : "");
      return html`<li><span class="muted small">${fmtTime(e.effective_time, true)}</span> <b>${t("a_" + e.action) === "a_" + e.action ? e.action : t("a_" + e.action)}</b>
        ${e.actor?.name || ""} <span class="muted small">${t("s_" + e.state_after)}</span>${text ? html`<div>${text}</div>` : ""}</li>`;
    }

    function drawPane() {
      const o = s.detail;
      if (!o) { draw(paneEl, html`<p class="muted">${t("q_pick")}</p>`); return; }
      // A live redraw of the same order keeps a send-back being written.
      const writing = paneEl.querySelector("#send-back-box[open]") && paneEl.dataset.id === String(o.id)
        ? new FormData(paneEl.querySelector("#send-back")) : null;
      paneEl.dataset.id = o.id;
      const can = (a) => o.allowed_actions.includes(a);
      const assignStep = can("dispatch") ? "dispatch" : can("transfer") ? "transfer" : null;
      const people = s.suggestions?.candidates || [];
      const reasons = s.reference?.send_back_reasons || [];
      draw(paneEl, html`
        <div class="row"><h2 id="pane-code">${o.code}</h2><span class="state s-${o.state}" id="pane-state">${t("s_" + o.state)}</span></div>
        <div>${t("k_" + o.kind)} ${badges(o)}</div>
        <dl>
          <dt>${t("customer")}</dt><dd>${o.customer.name} <span class="muted">${o.customer.phone}</span></dd>
          <dt>${t("address")}</dt><dd>${o.area.name} · ${o.address}</dd>
          <dt>${t("description")}</dt><dd>${o.description}</dd>
          ${o.agent_remark ? html`<dt>${t("remark")}</dt><dd class="${o.remark_flagged ? "flag" : ""}">${o.agent_remark}</dd>` : ""}
          <dt>${t("q_assignee")}</dt><dd id="pane-assignee">${o.assignee?.name || "—"}${o.team ? html` <span class="muted">${o.team.name}</span>` : ""}</dd>
        </dl>
        <h3>${t("clocks")}</h3>
        <ul class="clocks">${o.clocks.map((c) => html`<li class="clock c-${c.state}${c.at_risk ? " risk" : ""}">
          ${t("c_" + c.name)}: ${c.state === "running" ? html`<span class="countdown ${clockClass(c.due, c.at_risk)}" data-due="${c.due}">${countdown(c.due)}</span>` : t(c.state)}
          <span class="muted small">${t("due_at", { t: fmtTime(c.due, true) })}</span></li>`)}</ul>
        ${assignStep ? html`<h3>${t("q_suggest")}</h3>
          <table class="grid" id="suggestions"><tbody>${some(people.map((c) => html`
            <tr data-person="${c.id}"><td><b>${c.name}</b><div class="muted small">${c.team || ""}</div></td>
              <td>${c.in_area ? html`<span class="badge">${t("q_in_area")}</span>` : ""}${c.current ? html`<span class="badge gold">${t("q_current")}</span>` : ""}
                <div class="small">${whereText(c.where)} · ${t("q_load", { n: c.load })}</div><div class="muted small">${ago(c.contact.last_contact_at)}</div></td>
              <td>${c.current ? "" : html`<button class="primary assign" data-person="${c.id}">${t(assignStep === "dispatch" ? "q_assign" : "q_transfer")}</button>`}</td></tr>`))
            || html`<tr><td class="muted">${t("q_no_suggest")}</td></tr>`}</tbody></table>` : ""}
        <div class="buttons">
          ${can("urge") ? html`<button id="urge">${t("q_urge")}</button>` : ""}
        </div>
        ${can("send_back") ? html`<details id="send-back-box"><summary>${t("q_send_back")}</summary><form id="send-back">
          <label>${t("q_reason_code")}<select name="reason_code">${reasons.map((r) => option(r, t("sb_" + r)))}</select></label>
          <label>${t("q_reason")}<textarea name="reason" required maxlength="2000"></textarea></label>
          <button class="danger">${t("q_send_back")}</button></form></details>` : ""}
        <section id="pane-reach"></section>
        <section id="pane-calls"></section>
        <section id="pane-evidence"></section>
        <h3>${t("history")}</h3>
        <ul class="history" id="pane-history">${historyItems(o.history, o.calls, stepItem, (e) => e.effective_time, t, fmtTime)}</ul>`);
      const act = async (step, body, label) => {
        try {
          await api(`/api/work-orders/${o.id}/${step.replace("_", "-")}`, { method: "POST", body });
          ctx.toast(t("q_done", { a: label, code: o.code }), { ok: true, ms: 3000 });
        } catch { return; } // already shown
        await Promise.all([loadList(), openOrder(o.id)]);
      };
      paneEl.querySelectorAll("button.assign").forEach((b) => {
        b.onclick = () => act(assignStep, { assignee_id: Number(b.dataset.person) }, b.textContent);
      });
      drawEvidence(paneEl.querySelector("#pane-evidence"), o, ctx, () => s.alive && s.detail === o);
      drawCalls(paneEl.querySelector("#pane-calls"), o, ctx, () => s.alive && s.detail === o, refreshOpen);
      drawReach(paneEl.querySelector("#pane-reach"), o, ctx, () => s.alive && s.detail === o);
      const urge = paneEl.querySelector("#urge");
      if (urge) urge.onclick = () => act("urge", {}, t("q_urge"));
      const back = paneEl.querySelector("#send-back");
      if (back && writing) {
        back.parentElement.open = true;
        for (const [name, value] of writing) back.elements[name].value = value;
      }
      if (back) back.onsubmit = (ev) => { ev.preventDefault(); act("send_back", Object.fromEntries(new FormData(back)), t("q_send_back")); };
    }

    // ------------------------------------------------------------ start, tick, live
    const refreshList = ctx.refresher((ids) => loadList(ids));
    const refreshOpen = ctx.refresher(() => s.open && openOrder(s.open));
    ctx.on("order", (data) => {
      refreshList(data.id);
      // The open order, unless what is shown is already this new (the event of one's own step).
      if (data.id === s.open && !(s.detail?.id === data.id && s.detail.version >= data.version)) refreshOpen();
    });
    ctx.on("reconnect", () => { refreshList(); if (s.open) refreshOpen(); });
    // A call changes no step (no new version): its own event brings the open order's calls.
    ctx.on("call", (data) => { if (data.order_id === s.open) refreshOpen(); });
    const refreshReach = ctx.refresher(() => s.detail && drawReach(paneEl.querySelector("#pane-reach"), s.detail, ctx, () => s.alive && s.detail?.id === s.open));
    ctx.on("notice", (data) => { if (data.work_order === s.open) refreshReach(); });
    ctx.every(1000, () => el.querySelectorAll(".countdown[data-due]").forEach((node) => {
      const due = node.dataset.due;
      node.textContent = countdown(due);
      node.classList.toggle("late", !!due && Date.parse(due) < Date.now());
    }));

    drawPane();
    api("/api/reference").then((ref) => { s.reference = ref; if (s.alive) { drawList(true); drawPane(); } }).catch(() => {});
    loadList();
    if (s.open) openOrder(s.open);
  },
  unmount() {
    if (state) { state.alive = false; state = null; }
  },
};
