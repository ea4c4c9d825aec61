// Offline work the server rejected: what the technician entered, why it was refused, what to do,
// and marking it handled (kept in the audit trail). Live: a `sync_rejection` event adds the row.
import { draw, html, some } from "../client.js";
import { addTexts } from "./i18n.js";

addTexts({
  "zh-CN": {
    cf_empty: "没有待处理的离线冲突", cf_show_resolved: "显示已处理", cf_technician: "人员", cf_order: "工单", cf_action: "操作",
    cf_reason: "被拒原因", cf_todo: "处理建议", cf_typed: "录入内容", cf_when: "设备时间 / 到达服务器",
    cf_resolve: "标记已处理", cf_note: "处理说明(可选)", cf_resolved: "已处理", cf_done: "已标记为已处理",
  },
  en: {
    cf_empty: "No offline conflicts to handle", cf_show_resolved: "Show handled", cf_technician: "Technician", cf_order: "Order", cf_action: "Action",
    cf_reason: "Why refused", cf_todo: "What to do", cf_typed: "What was entered", cf_when: "On the device / at the server",
    cf_resolve: "Mark handled", cf_note: "Note (optional)", cf_resolved: "Handled", cf_done: "Marked as handled",
  },
});

let state = null;

export default {
  id: "conflicts",
  title: { "zh-CN": "离线冲突", en: "Sync conflicts" },
  roles: ["dispatcher", "supervisor", "admin"],
  mount(el, ctx) {
    const { t, api, fmtTime } = ctx;
    const s = (state = { rows: [], all: false, alive: true });

    const typed = (args) => Object.entries(args || {}).filter(([k]) => k !== "order_id")
      .map(([k, v]) => html`<div><span class="muted small">${k}</span> ${typeof v === "object" ? JSON.stringify(v) : v}</div>`);

    function redraw(fresh = new Set()) {
      // A live redraw keeps the notes being typed.
      const notes = new Map([...el.querySelectorAll("form.resolve")].map((f) => [f.dataset.id, f.note.value]));
      draw(el, html`<div class="filters"><label><input type="checkbox" id="cf-all" ?checked=${s.all}> ${t("cf_show_resolved")}</label></div>
        <table class="grid" id="conflicts"><thead><tr><th>${t("cf_technician")}</th><th>${t("cf_order")}</th><th>${t("cf_action")}</th>
          <th>${t("cf_reason")}</th><th>${t("cf_todo")}</th><th>${t("cf_typed")}</th><th>${t("cf_when")}</th><th></th></tr></thead>
        <tbody>${some(s.rows.map((r) => html`<tr data-conflict="${r.id}" class="${fresh.has(r.id) ? "fresh" : ""}">
          <td>${r.technician}<div class="muted small">${r.client_id}</div></td>
          <td>${r.order_id ? html`<a href="#queue/${r.order_id}">${r.order_code}</a>` : ""}</td>
          <td>${t("a_" + r.name) === "a_" + r.name ? r.name : t("a_" + r.name)}</td>
          <td class="error">${r.reason}</td><td>${r.what_to_do}</td><td>${typed(r.args)}</td>
          <td class="small">${fmtTime(r.device_time, true)}<br>${fmtTime(r.server_time, true)}</td>
          <td>${r.resolved ? html`<span class="badge green">${t("cf_resolved")}</span>` : html`<form class="resolve" data-id="${r.id}">
            <input name="note" maxlength="500" placeholder="${t("cf_note")}"><button class="primary">${t("cf_resolve")}</button></form>`}</td>
        </tr>`)) || html`<tr><td colspan="8" class="muted">${t("cf_empty")}</td></tr>`}</tbody></table>`);
      el.querySelector("#cf-all").onchange = (ev) => { s.all = ev.target.checked; load(); };
      el.querySelectorAll("form.resolve").forEach((form) => {
        form.note.value = notes.get(form.dataset.id) ?? "";
        form.onsubmit = async (ev) => {
          ev.preventDefault();
          try {
            await api(`/api/sync/conflicts/${form.dataset.id}/resolve`, { method: "POST", body: { note: form.note.value } });
          } catch { return; } // shown
          ctx.toast(t("cf_done"), { ok: true, ms: 3000 });
          load();
        };
      });
    }

    async function load(live = false) {
      const rows = await api("/api/sync/conflicts", { query: { include_resolved: s.all, limit: 500 } }).catch(() => null);
      if (!rows || !s.alive) return;
      const known = new Set(s.rows.map((r) => r.id));
      s.rows = rows;
      redraw(live ? new Set(rows.filter((r) => !known.has(r.id)).map((r) => r.id)) : undefined);
    }
    // A push rejecting several mutations sends an event for each: one fetch for them all.
    const refresh = ctx.refresher(() => load(true));
    ctx.on("sync_rejection", () => refresh());
    ctx.on("reconnect", () => refresh());
    load();
  },
  unmount() {
    if (state) { state.alive = false; state = null; }
  },
};
