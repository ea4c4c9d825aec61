// Shift handover (交接班, §1.2): the sheet with A–C compiled from live data, D–F written by the
// outgoing dispatcher, both signatures; held back while an outage has no published notice.
import { draw, html, some } from "../client.js";
import { addTexts } from "./i18n.js";
import { fromLocalInput, localInput } from "./outages.js";
import { drawSheetDuty } from "./dutyviews.js";

addTexts({
  "zh-CN": {
    h_history: "交接班记录", h_none: "还没有交接班记录", h_new: "准备交班", h_scheduled: "交接时间", h_incoming: "接班人",
    h_outgoing: "交班人", h_any: "(未指定)", h_status_draft: "待交班", h_status_signed_out: "待接班签字", h_status_completed: "已完成",
    h_a: "A. 未办结需催办跟踪的工单", h_b: "B. 突发事件(片区故障等)", h_c: "C. VIP、专线、110/119、市长热线工单",
    h_d: "D. 计划工作(反授权、升级、营销活动、割接、节目调整等)", h_e: "E. 系统和设备运行情况", h_f: "F. 其他事项",
    h_empty: "无", h_create: "汇总并创建交接班单", h_save: "保存", h_compile: "重新汇总A–C", h_sign_out: "交班签字",
    h_sign_in: "已阅,接班签字", h_note: "接班信息", h_held: "存在未发布公告的片区故障({ids}),交接班须推迟到公告发布之后。",
    h_compiled: "汇总于 {at}", h_signed: "{name} 签字于 {at}", h_substitute: "指定代班", h_side_outgoing: "代替交班人",
    h_side_incoming: "代替接班人", h_reason: "原因", h_sub_by: "{name} 指定代班:{reason}", h_pick: "选择左侧记录查看",
    r_breached: "已超时", r_at_risk: "即将超时", r_urged: "催单", r_flagged: "重要备注", r_returned: "已回馈", r_cannot_proceed: "无法施工",
    r_vip: "VIP", r_dedicated_line: "专线", r_emergency: "110/119", r_mayor_hotline: "市长热线",
  },
  en: {
    h_history: "Handovers", h_none: "No handovers yet", h_new: "Prepare handover", h_scheduled: "Handover at", h_incoming: "Incoming",
    h_outgoing: "Outgoing", h_any: "(not named)", h_status_draft: "Being prepared", h_status_signed_out: "Awaiting incoming", h_status_completed: "Completed",
    h_a: "A. Unfinished orders to urge or track", h_b: "B. Emergencies (area outages, ...)", h_c: "C. VIP, dedicated-line, 110/119, mayor-hotline orders",
    h_d: "D. Planned work (de-authorisation, upgrades, campaigns, cut-overs, channel changes)", h_e: "E. Systems and equipment", h_f: "F. Anything else",
    h_empty: "None", h_create: "Compile and create the sheet", h_save: "Save", h_compile: "Compile A–C again", h_sign_out: "Sign as outgoing",
    h_sign_in: "Read it: sign as incoming", h_note: "Incoming remarks", h_held: "Outages without a published notice ({ids}): the handover waits for the notice.",
    h_compiled: "compiled {at}", h_signed: "{name} signed at {at}", h_substitute: "Name a substitute", h_side_outgoing: "instead of the outgoing",
    h_side_incoming: "instead of the incoming", h_reason: "Reason", h_sub_by: "substitute named by {name}: {reason}", h_pick: "Pick a handover on the left",
    r_breached: "breached", r_at_risk: "at risk", r_urged: "urged", r_flagged: "flagged remark", r_returned: "returned", r_cannot_proceed: "cannot proceed",
    r_vip: "VIP", r_dedicated_line: "dedicated line", r_emergency: "110/119", r_mayor_hotline: "mayor hotline",
  },
});

let generation = 0;

export default {
  id: "handover",
  title: { "zh-CN": "交接班", en: "Handover" },
  roles: ["dispatcher", "supervisor", "admin"],
  mount(el, ctx) {
    const { t, fmtTime, api, me } = ctx;
    const mine = ++generation;
    let sheets = [];
    let staff = [];
    let selected = Number(ctx.route[0]) || null;
    let sheet = null;

    const who = (ref) => (ref ? ref.name : t("h_any"));
    const orderRows = (items) => items.length ? items.map((o) => html`<tr data-id="${o.id}"><td>${o.code}</td><td>${t("k_" + o.kind)}</td>
      <td>${o.customer_name}</td><td>${t("s_" + o.state)}</td><td>${o.assignee || ""}</td>
      <td>${o.reasons.map((r) => html`<span class="badge ${r === "breached" ? "red" : r === "at_risk" ? "orange" : ""}">${t("r_" + r)}</span>`)}</td></tr>`)
      : html`<tr><td class="muted">${t("h_empty")}</td></tr>`;
    const text = (name, label, value, editable) => editable
      ? html`<label>${label}<textarea name=${name} .value=${value ?? ""}></textarea></label>`
      : html`<h4>${label}</h4><p class="pre">${value || t("h_empty")}</p>`;

    const newForm = () => {
      const at = new Date(Math.ceil(Date.now() / 3600e3) * 3600e3);
      return html`<form id="h-new" class="card"><h3>${t("h_new")}</h3>
        <label>${t("h_scheduled")}<input type="datetime-local" name="scheduled_at" value="${localInput(at)}"></label>
        <label>${t("h_incoming")}<select name="incoming_id"><option value="">${t("h_any")}</option>
          ${staff.filter((s) => s.id !== me.id).map((s) => html`<option value="${s.id}">${s.display_name}</option>`)}</select></label>
        ${text("planned_work", t("h_d"), "", true)}${text("systems", t("h_e"), "", true)}${text("other", t("h_f"), "", true)}
        <button class="primary">${t("h_create")}</button></form>`;
    };

    const sheetView = () => {
      const s = sheet;
      const outgoing = s.outgoing.id === me.id;
      const editable = outgoing && s.status === "draft";
      const mayTakeOver = s.status === "signed_out" && !outgoing && (!s.incoming || s.incoming.id === me.id);
      return html`<div class="card" data-sheet="${s.id}" data-status="${s.status}">
        <h2>#${s.id} <span class="badge">${t("h_status_" + s.status)}</span></h2>
        <div>${t("h_scheduled")}:${fmtTime(s.scheduled_at, true)} · ${t("h_outgoing")}:${who(s.outgoing)} · ${t("h_incoming")}:${who(s.incoming)}</div>
        <div class="muted">${t("h_compiled", { at: fmtTime(s.compiled_at, true) })}
          ${s.outgoing_signed_at ? ` · ${t("h_signed", { name: s.outgoing.name, at: fmtTime(s.outgoing_signed_at, true) })}` : ""}
          ${s.incoming_signed_at ? ` · ${t("h_signed", { name: s.incoming.name, at: fmtTime(s.incoming_signed_at, true) })}` : ""}</div>
        ${s.substitute_named_by ? html`<div class="muted">${t("h_sub_by", { name: s.substitute_named_by.name, reason: s.substitute_reason })}</div>` : ""}
      </div>
      ${s.held_back_by.length ? html`<p class="error" id="h-held">${t("h_held", { ids: s.held_back_by.map((i) => "#" + i).join(", ") })}</p>` : ""}
      <h3>${t("h_a")}</h3><table class="grid" id="h-a"><tbody>${orderRows(s.items.a)}</tbody></table>
      <h3>${t("h_b")}</h3><table class="grid" id="h-b"><tbody>${s.items.b.length ? s.items.b.map((o) => html`<tr data-id="${o.id}">
        <td><a href="#outages/${o.id}">#${o.id}</a></td><td>${o.area} · ${o.place}</td><td>${t("o_st_" + o.status)}</td>
        <td>${o.orders}</td><td>${fmtTime(o.estimated_restoration, true)}</td></tr>`) : html`<tr><td class="muted">${t("h_empty")}</td></tr>`}</tbody></table>
      <div id="h-duty"></div>
      <h3>${t("h_c")}</h3><table class="grid" id="h-c"><tbody>${orderRows(s.items.c)}</tbody></table>
      <form id="h-edit">${text("planned_work", t("h_d"), s.planned_work, editable)}${text("systems", t("h_e"), s.systems, editable)}${text("other", t("h_f"), s.other, editable)}
        ${editable ? html`<button>${t("h_save")}</button>` : ""}</form>
      ${s.incoming_note ? html`<h4>${t("h_note")}</h4><p>${s.incoming_note}</p>` : ""}
      ${editable ? html`<button id="h-compile">${t("h_compile")}</button> <button class="primary" id="h-sign-out">${t("h_sign_out")}</button>` : ""}
      ${mayTakeOver ? html`<form id="h-sign-in" class="card"><label>${t("h_note")}<textarea name="note"></textarea></label>
        <button class="primary">${t("h_sign_in")}</button></form>` : ""}
      ${["supervisor", "admin"].includes(me.role) && s.status !== "completed" ? html`<form id="h-substitute" class="card"><h4>${t("h_substitute")}</h4>
        <select name="side"><option value="incoming">${t("h_side_incoming")}</option><option value="outgoing">${t("h_side_outgoing")}</option></select>
        <select name="user_id">${staff.map((p) => html`<option value="${p.id}">${p.display_name}</option>`)}</select>
        <label>${t("h_reason")}<input name="reason"></label><button>${t("h_substitute")}</button></form>` : ""}`;
    };

    const redraw = () => {
      if (mine !== generation) return;
      const openOfMine = sheets.find((s) => s.outgoing.id === me.id && s.status !== "completed");
      draw(el, html`<div class="split handover-split">
        <div><h3>${t("h_history")}</h3>
          <table class="grid" id="handovers"><tbody>${some(sheets.map((s) => html`<tr data-id="${s.id}" class="${s.id === selected ? "sel" : ""}">
            <td>#${s.id}</td><td>${fmtTime(s.scheduled_at, true)}</td><td>${who(s.outgoing)} → ${who(s.incoming)}</td>
            <td>${t("h_status_" + s.status)}</td></tr>`)) || html`<tr><td class="muted">${t("h_none")}</td></tr>`}</tbody></table>
          ${openOfMine ? "" : newForm()}
        </div>
        <div id="handover-pane">${sheet ? sheetView() : html`<p class="muted">${t("h_pick")}</p>`}</div></div>`);
      el.querySelectorAll("#handovers tr[data-id]").forEach((tr) => { tr.onclick = () => show(Number(tr.dataset.id)); });
      const on = (sel, fn) => { const node = el.querySelector(sel); if (node) node[node.tagName === "FORM" ? "onsubmit" : "onclick"] = fn; };
      const values = (sel) => Object.fromEntries(new FormData(el.querySelector(sel)).entries());
      const path = (tail = "") => `/api/handovers/${sheet.id}${tail}`;
      on("#h-new", (ev) => write(ev, () => {
        const v = values("#h-new");
        return api("/api/handovers", { method: "POST", body: { ...v, scheduled_at: fromLocalInput(v.scheduled_at), incoming_id: v.incoming_id ? Number(v.incoming_id) : null } });
      }));
      if (!sheet) return;
      drawSheetDuty(el.querySelector("#h-duty"), sheet, ctx);
      on("#h-edit", (ev) => write(ev, () => api(path(), { method: "PATCH", body: values("#h-edit") })));
      on("#h-compile", (ev) => write(ev, () => api(path("/compile"), { method: "POST" })));
      on("#h-sign-out", (ev) => write(ev, () => api(path("/sign-out"), { method: "POST" })));
      on("#h-sign-in", (ev) => write(ev, () => api(path("/sign-in"), { method: "POST", body: values("#h-sign-in") })));
      on("#h-substitute", (ev) => write(ev, () => {
        const v = values("#h-substitute");
        return api(path("/substitute"), { method: "POST", body: { ...v, user_id: Number(v.user_id) } });
      }));
    };

    /** A write; its answer is the sheet to show. A refusal (held back, …) is shown by api() and
     *  the sheet is fetched again, since a held-back refusal is itself recorded. */
    const write = async (ev, call) => {
      ev?.preventDefault();
      try { const answer = await call(); selected = answer.id; } catch { /* shown by api() */ }
      await load();
    };
    const show = async (id) => { selected = id; history.replaceState(null, "", `#handover/${id}`); await load(); };
    const load = async () => {
      sheets = await api("/api/handovers");
      if (!selected) selected = sheets.find((s) => s.status !== "completed")?.id || null;
      sheet = selected ? await api(`/api/handovers/${selected}`) : null;
      redraw();
    };
    Promise.all([api("/api/staff", { query: { role: "dispatcher" } }), api("/api/staff", { query: { role: "supervisor" } })])
      .then(([d, s]) => { staff = [...d, ...s]; return load(); });
    ctx.on("handover", load);
    ctx.on("outage", load);
    ctx.on("duty", load);
    ctx.on("reconnect", load);
  },
  unmount() { generation += 1; },
};
