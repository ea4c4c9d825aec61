// The duty desk (值班, issue 19), drawn with lit-html: broadcast-safety events (安播: record, report,
// close; an unreported one holds the handover back), the duty roster with the supervisor's
// attendance check (出勤检查), and which kinds contractors' teams may take per area (supervisors).
import { html, render, nothing } from "lit-html";
import { addTexts } from "./i18n.js";
import { fromLocalInput, localInput } from "./outages.js";
import { statusBadge } from "./dutyviews.js";

addTexts({
  "zh-CN": {
    d_broadcast: "安播事件", d_record: "登记安播事件", d_kind: "类型", d_occurred: "发生时间", d_channel: "频道/节目",
    d_area: "片区", d_branch: "全分公司", d_description: "事件经过", d_informed: "已通知(部门/人员)", d_actions: "处置措施",
    d_report: "报备内容", d_report_btn: "报备", d_close_btn: "结束", d_recorded_by: "{name} 登记", d_reported_by: "{name} 报备于 {at}",
    d_roster: "值班表", d_day: "日期", d_shift: "班次", d_shift_day: "白班 08:00–20:00", d_shift_night: "夜班 20:00–次日08:00",
    d_current: "当前班次", d_show: "查看", d_person: "人员", d_attendance: "出勤", d_checked: "检查", d_add: "排班",
    d_present: "在岗", d_absent: "缺勤", d_empty_roster: "该班次尚未排班", d_outage: "片区故障 #{id}",
    d_routing: "代维派单范围", d_routing_hint: "代维队伍在各片区可承接的工单类型(未单独设置的片区按全分公司设置)。",
    d_routing_set: "保存设置", d_default: "(默认)", d_saved: "已保存",
  },
  en: {
    d_broadcast: "Broadcast safety", d_record: "Record an event", d_kind: "Kind", d_occurred: "Happened at", d_channel: "Channel / programme",
    d_area: "Area", d_branch: "Whole branch", d_description: "What happened", d_informed: "Informed (departments / people)", d_actions: "Actions taken",
    d_report: "Report", d_report_btn: "File report", d_close_btn: "Close", d_recorded_by: "recorded by {name}", d_reported_by: "reported by {name} at {at}",
    d_roster: "Duty roster", d_day: "Day", d_shift: "Shift", d_shift_day: "Day 08:00–20:00", d_shift_night: "Night 20:00–08:00",
    d_current: "current shift", d_show: "Show", d_person: "Person", d_attendance: "Attendance", d_checked: "Checked", d_add: "Add to shift",
    d_present: "Present", d_absent: "Absent", d_empty_roster: "Nobody is rostered for this shift", d_outage: "Outage #{id}",
    d_routing: "Contractor routing", d_routing_hint: "The kinds of order contractors' teams may take per area (areas without their own follow the branch).",
    d_routing_set: "Save", d_default: "(default)", d_saved: "Saved",
  },
});

const KINDS = ["illegal_insertion", "interruption", "other"];
const ORDER_KINDS = ["install", "repair", "after_sales", "transfer", "complaint", "consultation", "dedicated_line"];
let generation = 0;

export default {
  id: "duty",
  title: { "zh-CN": "值班", en: "Duty desk" },
  roles: ["dispatcher", "supervisor", "admin"],
  mount(el, ctx) {
    const { t, api, fmtTime, me } = ctx;
    const mine = ++generation;
    // lit-html keeps its state on the container: a node of our own, as the view is shared by every panel.
    const root = el.appendChild(document.createElement("div"));
    const supervises = ["supervisor", "admin"].includes(me.role);
    let events = [], roster = null, staff = [], areas = [], routing = [];
    let wanted = {}; // the shift shown: {} = the current one

    const values = (form) => Object.fromEntries(new FormData(form).entries());
    const write = async (ev, call, done) => {
      ev.preventDefault();
      try { await call(ev.target.tagName === "FORM" ? values(ev.target) : {}); } catch { return; } // shown by api()
      if (done) ctx.toast(done, { ok: true, ms: 2500 });
      await load();
    };

    const eventView = (e) => html`<div class="card broadcast" data-id=${e.id} data-status=${e.status}>
      <b>#${e.id} ${t("d_bk_" + e.kind)}</b> ${statusBadge(t, "d_bs_", e.status)} · ${e.channel}${e.area ? ` · ${e.area.name}` : ""}
      · ${fmtTime(e.occurred_at, true)} · <span class="muted">${t("d_recorded_by", { name: e.recorded_by.name })}</span>
      <p class="pre">${e.description}</p>
      ${e.informed ? html`<div>${t("d_informed")}:${e.informed}</div>` : nothing}
      ${e.actions ? html`<div>${t("d_actions")}:${e.actions}</div>` : nothing}
      ${e.report ? html`<div>${t("d_report")}:${e.report}</div><div class="muted">${t("d_reported_by", { name: e.reported_by.name, at: fmtTime(e.reported_at, true) })}</div>` : nothing}
      ${e.status === "open" ? html`<form class="b-report" @submit=${(ev) => write(ev, (v) => api(`/api/broadcast-events/${e.id}/report`, { method: "POST", body: v }))}>
        <label>${t("d_informed")}<input name="informed" .value=${e.informed}></label>
        <label>${t("d_actions")}<input name="actions" .value=${e.actions}></label>
        <label>${t("d_report")}<textarea name="report"></textarea></label>
        <button class="primary">${t("d_report_btn")}</button></form>` : nothing}
      ${e.status === "reported" ? html`<button class="b-close" @click=${(ev) => write(ev, () => api(`/api/broadcast-events/${e.id}/close`, { method: "POST", body: {} }))}>${t("d_close_btn")}</button>` : nothing}
    </div>`;

    const recordForm = () => html`<form id="b-new" class="card" @submit=${(ev) => write(ev, (v) => api("/api/broadcast-events", { method: "POST", body: {
        ...v, occurred_at: fromLocalInput(v.occurred_at), area_id: v.area_id ? Number(v.area_id) : null } }))}>
      <h3>${t("d_record")}</h3>
      <label>${t("d_kind")}<select name="kind">${KINDS.map((k) => html`<option value=${k}>${t("d_bk_" + k)}</option>`)}</select></label>
      <label>${t("d_occurred")}<input type="datetime-local" name="occurred_at" .value=${localInput(new Date())}></label>
      <label>${t("d_channel")}<input name="channel" maxlength="200"></label>
      <label>${t("d_area")}<select name="area_id"><option value="">${t("d_branch")}</option>${areas.map((a) => html`<option value=${a.id}>${a.name}</option>`)}</select></label>
      <label>${t("d_description")}<textarea name="description"></textarea></label>
      <label>${t("d_informed")}<input name="informed"></label>
      <label>${t("d_actions")}<input name="actions"></label>
      <button class="primary">${t("d_record")}</button></form>`;

    const check = (entry, attendance) => (ev) => write(ev, () => api(`/api/duty/roster/${entry.id}/check`, { method: "POST", body: { attendance } }));
    const rosterView = () => html`
      <form id="r-pick" class="filters" @submit=${(ev) => { ev.preventDefault(); wanted = values(ev.target); load(); }}>
        <label>${t("d_day")}<input type="date" name="day" .value=${roster.day}></label>
        <label>${t("d_shift")}<select name="shift">${["day", "night"].map((x) => html`<option value=${x} ?selected=${roster.shift === x}>${t("d_shift_" + x)}</option>`)}</select></label>
        <button>${t("d_show")}</button>${roster.current ? html`<span class="badge green">${t("d_current")}</span>` : nothing}</form>
      <table class="grid" id="roster"><thead><tr><th>${t("d_person")}</th><th></th><th>${t("d_attendance")}</th><th>${t("d_checked")}</th><th></th></tr></thead>
        <tbody>${roster.entries.length ? roster.entries.map((e) => html`<tr data-user=${e.user.id} data-attendance=${e.attendance}>
          <td><b>${e.user.name}</b></td><td>${e.team || t("r_" + e.role)}</td>
          <td>${statusBadge(t, "d_at_", e.attendance)}${e.outage_id ? html` <a href="#outages/${e.outage_id}">${t("d_outage", { id: e.outage_id })}</a>` : nothing}</td>
          <td class="muted">${e.checked_by ? `${e.checked_by.name} ${fmtTime(e.checked_at)}` : ""}${e.note ? ` · ${e.note}` : ""}</td>
          <td>${supervises && e.attendance !== "called_in" ? html`<button class="r-present" @click=${check(e, "present")}>${t("d_present")}</button>
            <button class="r-absent" @click=${check(e, "absent")}>${t("d_absent")}</button>` : nothing}</td></tr>`)
          : html`<tr><td colspan="5" class="muted">${t("d_empty_roster")}</td></tr>`}</tbody></table>
      ${supervises ? html`<form id="r-add" class="filters" @submit=${(ev) => write(ev, (v) => api("/api/duty/roster", { method: "POST", body: {
          day: roster.day, shift: roster.shift, user_ids: [Number(v.user_id)] } }))}>
        <select name="user_id">${staff.filter((p) => !roster.entries.some((e) => e.user.id === p.id)).map((p) => html`<option value=${p.id}>${p.display_name} · ${t("r_" + p.role)}</option>`)}</select>
        <button>${t("d_add")}</button></form>` : nothing}`;

    const routingView = () => html`<p class="muted">${t("d_routing_hint")}</p>
      <table class="grid" id="routing"><tbody>${routing.map((p) => html`<tr data-area=${p.area_id ?? ""}>
        <td>${p.area_name || t("d_branch")}${p.id === null ? ` ${t("d_default")}` : ""}</td><td>${p.kinds.map((k) => t("k_" + k)).join("、") || "—"}</td></tr>`)}</tbody></table>
      ${supervises ? html`<form id="routing-set" class="filters" @submit=${(ev) => write(ev, () => api("/api/policies/contractor-routing", { method: "POST", body: {
          area_id: ev.target.area_id.value ? Number(ev.target.area_id.value) : null,
          kinds: [...ev.target.querySelectorAll("input[name=kind]:checked")].map((i) => i.value) } }), t("d_saved"))}>
        <select name="area_id"><option value="">${t("d_branch")}</option>${areas.map((a) => html`<option value=${a.id}>${a.name}</option>`)}</select>
        ${ORDER_KINDS.map((k) => html`<label><input type="checkbox" name="kind" value=${k} class="inline-check"> ${t("k_" + k)}</label>`)}
        <button>${t("d_routing_set")}</button></form>` : nothing}`;

    const draw = () => {
      if (mine !== generation) return;
      render(html`<div class="split">
        <div><h3>${t("d_broadcast")}</h3><div id="broadcasts">${events.map(eventView)}</div>${recordForm()}</div>
        <div><h3>${t("d_roster")}</h3>${rosterView()}<h3>${t("d_routing")}</h3>${routingView()}</div></div>`, root);
    };
    const load = async () => {
      const query = wanted.day ? { day: wanted.day, shift: wanted.shift } : undefined;
      [events, roster, routing] = await Promise.all([
        api("/api/broadcast-events", { query: { limit: 50 } }), api("/api/duty/roster", { query }),
        api("/api/policies/contractor-routing"),
      ]);
      draw();
    };
    Promise.all([api("/api/staff"), api("/api/reference")])
      .then(([people, reference]) => { staff = people.filter((p) => p.role !== "admin"); areas = reference.areas; return load(); })
      .catch(() => {});
    ctx.on("duty", load);
    ctx.on("reconnect", load);
  },
  unmount() { generation += 1; },
};
