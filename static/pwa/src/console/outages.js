// Area outages (片区故障): the alerts, the fault notice with every element the manual requires,
// linked orders handled together, the restoration notice. Agents read; dispatchers act.
import { draw, html, some } from "../client.js";
import { addTexts } from "./i18n.js";
import { drawCallIn } from "./dutyviews.js";

addTexts({
  "zh-CN": {
    o_title: "片区故障", o_open: "只看未结束", o_all: "全部", o_none: "没有片区故障", o_status: "状态", o_place: "地点",
    o_detected: "发现时间", o_orders: "关联工单", o_notice: "当前公告", o_pick: "选择左侧的故障查看详情",
    o_st_suspected: "疑似", o_st_confirmed: "已确认", o_st_published: "已发布公告", o_st_restored: "已恢复", o_st_dismissed: "已排除",
    o_sc_community: "小区", o_sc_road: "路段", o_sc_area: "片区", o_net_one_way: "单向网", o_net_two_way: "双向网",
    o_detected_by: "系统检测", o_declared_by: "{name} 登记",
    o_explanation: "统一解释口径", o_eta: "预计恢复", o_reporter: "接…通知(上报部门/人员)", o_location: "故障地点", o_cause: "故障起因",
    o_scope: "影响范围", o_responsible: "责任人", o_rev: "第{n}版", o_restoration: "恢复公告", o_confirmed_cause: "故障原因确认",
    o_restored_at: "故障恢复时间", o_publish: "发布故障公告", o_revise: "更新公告", o_restore: "发布恢复公告",
    o_confirm: "到场确认", o_dismiss: "排除(非片区故障)", o_note: "说明", o_reason: "原因",
    o_linked_mode: "关联工单", o_inform: "逐单告知(追加备注)", o_close: "一并结单", o_solution: "解决方案",
    o_link: "关联所选工单", o_unlink: "取消关联所选", o_inform_btn: "告知所有未结工单", o_inform_text: "告知内容",
    o_close_btn: "一并结单(已恢复)", o_candidates: "本片区其他未结报修单", o_no_candidates: "没有可关联的工单",
    o_history: "公告记录", o_done: "完成 {n} 单", o_skipped: "{code}:{message}", o_published_ok: "公告已发布,片区装维人员已收到推送",
    o_policy: "检测规则:{m} 分钟内同一地点 {n} 张同类报修即告警", o_policy_set: "修改规则", o_policy_n: "工单数 N", o_policy_t: "分钟 T",
    o_no_reporter: "未写明上报部门或人员时,发布人为责任人", o_unlinked: "已取消关联",
  },
  en: {
    o_title: "Outages", o_open: "Open only", o_all: "All", o_none: "No area outages", o_status: "Status", o_place: "Place",
    o_detected: "Detected", o_orders: "Linked orders", o_notice: "Current notice", o_pick: "Pick an outage on the left",
    o_st_suspected: "Suspected", o_st_confirmed: "Confirmed", o_st_published: "Notice out", o_st_restored: "Restored", o_st_dismissed: "Dismissed",
    o_sc_community: "community", o_sc_road: "road", o_sc_area: "area", o_net_one_way: "one-way", o_net_two_way: "two-way",
    o_detected_by: "detected", o_declared_by: "recorded by {name}",
    o_explanation: "Unified explanation", o_eta: "Expected back", o_reporter: "Reported by (department / person)", o_location: "Location", o_cause: "Cause",
    o_scope: "Affected scope", o_responsible: "Responsible", o_rev: "revision {n}", o_restoration: "Restoration notice", o_confirmed_cause: "Confirmed cause",
    o_restored_at: "Restored at", o_publish: "Publish fault notice", o_revise: "Revise notice", o_restore: "Publish restoration notice",
    o_confirm: "Confirm on site", o_dismiss: "Dismiss (not an outage)", o_note: "Note", o_reason: "Reason",
    o_linked_mode: "Linked orders", o_inform: "Inform each (a note)", o_close: "Close them together", o_solution: "Solution",
    o_link: "Link selected orders", o_unlink: "Unlink selected", o_inform_btn: "Inform every open order", o_inform_text: "Message",
    o_close_btn: "Close them together (restored)", o_candidates: "Other open repair orders in the area", o_no_candidates: "No orders to link",
    o_history: "Notices", o_done: "{n} done", o_skipped: "{code}: {message}", o_published_ok: "Notice published; technicians of the area were notified",
    o_policy: "Rule: {n} similar repair orders from one place within {m} min raise an alert", o_policy_set: "Change", o_policy_n: "Orders N", o_policy_t: "Minutes T",
    o_no_reporter: "With no reporter named, the publisher is responsible", o_unlinked: "unlinked",
  },
});

const ACTORS = ["dispatcher", "supervisor", "admin"];
const pad = (n) => String(n).padStart(2, "0");
/** A Date as the value of <input type=datetime-local> (browser-local time). */
export const localInput = (d) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
/** <input type=datetime-local> back to an ISO instant; empty stays null (the server names what is missing). */
export const fromLocalInput = (v) => (v ? new Date(v).toISOString() : null);

let generation = 0; // bumped on unmount: answers arriving for an unmounted panel are dropped

export default {
  id: "outages",
  title: { "zh-CN": "片区故障", en: "Outages" },
  roles: ["dispatcher", "supervisor", "admin", "agent"],
  mount(el, ctx) {
    const { t, fmtTime, api } = ctx;
    const acts = ACTORS.includes(ctx.me.role);
    let openOnly = true;
    let list = [];
    let selected = Number(ctx.route[0]) || null;
    let detail = null;
    let candidates = [];
    let policy = null;
    const mine = ++generation;

    const statusBadge = (s) => html`<span class="badge ${s === "suspected" || s === "confirmed" ? "red" : s === "published" ? "orange" : ""}" data-status="${s}">${t("o_st_" + s)}</span>`;
    const place = (o) => `${o.area.name} · ${o.place.name}(${t("o_sc_" + o.scope)})`;
    const field = (name, label, value = "", type = "text") => type === "textarea"
      ? html`<label>${label}<textarea name=${name} .value=${value ?? ""}></textarea></label>`
      : html`<label>${label}<input name="${name}" type="${type}" value="${value}"></label>`;
    const form = (root, sel) => Object.fromEntries(new FormData(root.querySelector(sel)).entries());

    const noticeView = (n) => html`<div class="card notice" data-kind="${n.kind}" data-revision="${n.revision}">
      <b>${n.kind === "fault" ? t("o_notice") : t("o_restoration")}</b> · ${t("o_rev", { n: n.revision })} · ${fmtTime(n.published_at, true)} · ${n.published_by.name}
      <div>${t("o_reporter")}:${n.reporter || "—"}${n.responsible ? ` · ${t("o_responsible")}:${n.responsible.name}` : ""}</div>
      ${n.kind === "fault" ? html`<div>${t("o_location")}:${n.location}</div><div>${t("o_cause")}:${n.cause}</div>
        <div>${t("o_scope")}:${n.affected_scope}</div><div>${t("o_eta")}:${fmtTime(n.estimated_restoration, true)}</div>
        <div class="explanation"><b>${t("o_explanation")}</b>:${n.explanation}</div>`
        : html`<div>${t("o_confirmed_cause")}:${n.confirmed_cause}</div><div>${t("o_restored_at")}:${fmtTime(n.restored_at, true)}</div>`}
    </div>`;

    const redraw = () => {
      if (mine !== generation) return;
      draw(el, html`
        <div class="filters">
          <label><input type="checkbox" id="o-open" ?checked=${openOnly} class="inline-check"> ${t("o_open")}</label>
          <span class="muted" id="o-policy">${policy ? t("o_policy", { n: policy.orders, m: policy.minutes }) : ""}</span>
          ${policy && ["supervisor", "admin"].includes(ctx.me.role) ? html`<form id="o-policy-form" class="filters">
            ${field("orders", t("o_policy_n"), policy.orders, "number")}${field("minutes", t("o_policy_t"), policy.minutes, "number")}
            <button>${t("o_policy_set")}</button></form>` : ""}
        </div>
        <div class="split">
          <table class="grid" id="outages"><thead><tr><th>#</th><th>${t("o_status")}</th><th>${t("o_place")}</th>
            <th>${t("o_detected")}</th><th>${t("o_orders")}</th><th>${t("o_explanation")}</th></tr></thead><tbody>
            ${some(list.map((o) => html`<tr data-id="${o.id}" class="${o.id === selected ? "sel" : ""}"><td>${o.id}</td><td>${statusBadge(o.status)}</td>
              <td>${place(o)} · ${t("o_net_" + o.network)}</td><td>${fmtTime(o.detected_at, true)}</td>
              <td>${o.open_orders}/${o.orders}</td><td>${o.notice?.explanation || ""}</td></tr>`))
              || html`<tr><td colspan="6" class="muted">${t("o_none")}</td></tr>`}
          </tbody></table>
          <div class="pane" id="outage-pane">${detail ? paneView() : html`<p class="muted">${t("o_pick")}</p>`}</div>
        </div>`);
      el.querySelector("#o-open").onchange = (ev) => { openOnly = ev.target.checked; load(); };
      el.querySelectorAll("#outages tbody tr[data-id]").forEach((tr) => { tr.onclick = () => { selected = Number(tr.dataset.id); history.replaceState(null, "", `#outages/${selected}`); loadDetail(); }; });
      const policyForm = el.querySelector("#o-policy-form");
      if (policyForm) policyForm.onsubmit = (ev) => submit(ev, async () => {
        const v = form(el, "#o-policy-form");
        policy = await api("/api/policies/outage-detection", { method: "POST", body: { orders: Number(v.orders), minutes: Number(v.minutes) } });
      });
      if (detail) wirePane();
    };

    const paneView = () => {
      const d = detail;
      const open = ["suspected", "confirmed", "published"].includes(d.status);
      const current = d.notice;
      const eta = current?.estimated_restoration ? new Date(current.estimated_restoration) : new Date(Date.now() + 2 * 3600e3);
      return html`<div class="card" data-outage="${d.id}">
        <h2>#${d.id} ${statusBadge(d.status)}</h2>
        <div>${place(d)} · ${t("o_net_" + d.network)}</div>
        <div class="muted">${fmtTime(d.detected_at, true)} · ${d.declared_by ? t("o_declared_by", { name: d.declared_by.name }) : t("o_detected_by")}</div>
        ${d.note ? html`<p>${d.note}</p>` : ""}
      </div>
      ${current ? noticeView(current) : ""}
      <div id="o-callin-box"></div>
      <h3>${t("o_orders")}</h3>
      <table class="grid" id="linked"><tbody>${d.linked.map((o) => html`<tr data-id="${o.id}" class="${o.unlinked_at ? "muted" : ""}">
        <td>${acts && !o.unlinked_at ? html`<input type="checkbox" name="linked" value="${o.id}" class="inline-check">` : ""}</td>
        <td>${o.code}</td><td>${o.customer_name}</td><td>${t("s_" + o.state)}</td>
        <td>${o.unlinked_at ? t("o_unlinked") : ""}</td></tr>`)}</tbody></table>
      ${acts && open ? html`<button id="o-unlink">${t("o_unlink")}</button>
        <h3>${t("o_candidates")}</h3>
        <table class="grid" id="candidates"><tbody>${some(candidates.map((o) => html`<tr data-id="${o.id}"><td><input type="checkbox" name="candidate" value="${o.id}" class="inline-check"></td>
          <td>${o.code}</td><td>${o.customer_name}</td><td>${t("s_" + o.state)}</td></tr>`))
          || html`<tr><td class="muted">${t("o_no_candidates")}</td></tr>`}</tbody></table>
        <button id="o-link">${t("o_link")}</button>` : ""}
      ${acts && (d.status === "suspected") ? html`<form id="o-confirm" class="card">${field("note", t("o_note"))}<button>${t("o_confirm")}</button></form>` : ""}
      ${acts && open ? html`<form id="o-notice" class="card"><h3>${current ? t("o_revise") : t("o_publish")}</h3>
          ${field("reporter", t("o_reporter"), current?.reporter || "")}<p class="muted">${t("o_no_reporter")}</p>
          ${field("location", t("o_location"), current?.location || "")}${field("cause", t("o_cause"), current?.cause || "")}
          ${field("affected_scope", t("o_scope"), current?.affected_scope || "")}
          ${field("estimated_restoration", t("o_eta"), localInput(eta), "datetime-local")}
          ${field("explanation", t("o_explanation"), current?.explanation || "", "textarea")}
          <p class="error" id="o-notice-error"></p>
          <button class="primary" id="o-publish">${current ? t("o_revise") : t("o_publish")}</button></form>` : ""}
      ${acts && d.status === "published" ? html`<form id="o-inform" class="card">${field("text", t("o_inform_text"), "", "textarea")}<button>${t("o_inform_btn")}</button></form>
        <form id="o-restore" class="card"><h3>${t("o_restore")}</h3>
          ${field("reporter", t("o_reporter"))}${field("confirmed_cause", t("o_confirmed_cause"), current?.cause || "")}
          ${field("restored_at", t("o_restored_at"), localInput(new Date()), "datetime-local")}
          <label>${t("o_linked_mode")}<select name="linked_orders"><option value="inform">${t("o_inform")}</option><option value="close">${t("o_close")}</option></select></label>
          ${field("solution", t("o_solution"))}
          <p class="error" id="o-restore-error"></p>
          <button class="primary">${t("o_restore")}</button></form>` : ""}
      ${acts && d.status === "restored" && d.open_orders ? html`<form id="o-close" class="card">${field("solution", t("o_solution"))}<button>${t("o_close_btn")}</button></form>` : ""}
      ${acts && ["suspected", "confirmed"].includes(d.status) ? html`<form id="o-dismiss" class="card">${field("reason", t("o_reason"))}<button>${t("o_dismiss")}</button></form>` : ""}
      <h3>${t("o_history")}</h3>
      <div id="o-notices">${d.notices.slice().reverse().map(noticeView)}</div>`;
    };

    /** Run a write; show what was done, and each order that could not be done, with why. */
    const submit = async (ev, write, errorBox) => {
      ev?.preventDefault();
      if (errorBox) el.querySelector(errorBox).textContent = "";
      try {
        const answer = await write();
        if (answer && answer.done) {
          ctx.toast([t("o_done", { n: answer.done.length }), ...answer.skipped.map((s) => t("o_skipped", s))].join(" · "), { ok: !answer.skipped.length, title: "" });
        }
        await load();
      } catch (err) {
        if (errorBox && err.problem) el.querySelector(errorBox).textContent = err.message;
      }
    };
    const checked = (name) => [...el.querySelectorAll(`input[name=${name}]:checked`)].map((i) => Number(i.value));
    const path = (tail = "") => `/api/outages/${detail.id}${tail}`;

    const wirePane = () => {
      const on = (sel, fn) => { const node = el.querySelector(sel); if (node) node[node.tagName === "FORM" ? "onsubmit" : "onclick"] = fn; };
      if (acts && ["confirmed", "published"].includes(detail.status)) drawCallIn(el.querySelector("#o-callin-box"), detail.id, ctx);
      on("#o-unlink", (ev) => submit(ev, () => api(path("/orders/unlink"), { method: "POST", body: { order_ids: checked("linked") } })));
      on("#o-link", (ev) => submit(ev, () => api(path("/orders/link"), { method: "POST", body: { order_ids: checked("candidate") } })));
      on("#o-confirm", (ev) => submit(ev, () => api(path("/confirm"), { method: "POST", body: form(el, "#o-confirm") })));
      on("#o-dismiss", (ev) => submit(ev, () => api(path("/dismiss"), { method: "POST", body: form(el, "#o-dismiss") })));
      on("#o-inform", (ev) => submit(ev, () => api(path("/orders/inform"), { method: "POST", body: form(el, "#o-inform") })));
      on("#o-close", (ev) => submit(ev, () => api(path("/orders/close"), { method: "POST", body: form(el, "#o-close") })));
      on("#o-notice", (ev) => submit(ev, async () => {
        const v = form(el, "#o-notice");
        await api(path("/notices"), { method: "POST", body: { ...v, estimated_restoration: fromLocalInput(v.estimated_restoration) } });
        ctx.toast(t("o_published_ok"), { ok: true, title: "" });
      }, "#o-notice-error"));
      on("#o-restore", (ev) => submit(ev, () => {
        const v = form(el, "#o-restore");
        return api(path("/restoration"), { method: "POST", body: { ...v, restored_at: fromLocalInput(v.restored_at) } });
      }, "#o-restore-error"));
    };

    const loadDetail = async () => {
      if (!selected) { detail = null; return redraw(); }
      detail = await api(`/api/outages/${selected}`);
      candidates = [];
      if (acts && ["suspected", "confirmed", "published"].includes(detail.status)) {
        const linked = new Set(detail.linked.filter((o) => !o.unlinked_at).map((o) => o.id));
        const page = await api("/api/work-orders", { query: { area_id: detail.area.id, kind: "repair", limit: 100,
          state: ["new", "dispatched", "accepted", "contacted", "en_route", "on_site", "returned", "cannot_proceed"] } });
        candidates = page.items.filter((o) => !linked.has(o.id));
      }
      redraw();
    };
    const load = async () => {
      [list, policy] = await Promise.all([
        api("/api/outages", { query: { open: openOnly ? "true" : "" } }),
        acts ? api("/api/policies/outage-detection").then((p) => p[p.length - 1]) : Promise.resolve(null),
      ]);
      await loadDetail();
    };
    load();
    ctx.on("outage", load);
    ctx.on("order", () => { if (detail) loadDetail(); });
    ctx.on("reconnect", load);
  },
  unmount() { generation += 1; },
};
