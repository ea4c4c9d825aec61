// The 电联规则 tab (§2.1.3 B d): the call policy in force (the customer's rest hours, the length
// limit) and its versions; supervisors and admins save a new version, in force from then on (calls
// already made keep the version they were made under). GET / POST /api/policies/calls.
import { html, nothing, render } from "lit-html";
import { addTexts } from "./i18n.js";

addTexts({
  "zh-CN": {
    cp_now: "现行电联规则", cp_limit: "通话时长上限 {m} 分钟", cp_rest: "客户休息时间(不致电):{w}", cp_no_rest: "未设客户休息时间",
    cp_zone: "按 {z} 当地时间", cp_since: "自 {t} 起生效,{who}设置", cp_default: "默认规则", cp_versions: "历次版本",
    cp_from: "生效时间", cp_minutes: "时长上限(分钟)", cp_windows: "客户休息时间", cp_by: "设置人", cp_start: "开始", cp_end: "结束",
    cp_add: "添加休息时段", cp_remove: "删除", cp_save: "保存新版本", cp_saved: "电联规则已更新", cp_overnight: "结束早于开始即跨夜",
  },
  en: {
    cp_now: "Call policy in force", cp_limit: "Calls last at most {m} minutes", cp_rest: "Customer's rest hours (no calls): {w}", cp_no_rest: "No rest hours set",
    cp_zone: "local time in {z}", cp_since: "in force since {t}, set by {who}", cp_default: "the default", cp_versions: "Versions",
    cp_from: "In force from", cp_minutes: "Length limit (minutes)", cp_windows: "Rest hours", cp_by: "Set by", cp_start: "From", cp_end: "To",
    cp_add: "Add rest hours", cp_remove: "Remove", cp_save: "Save a new version", cp_saved: "Call policy updated", cp_overnight: "an end before the start runs overnight",
  },
});

const EDITORS = ["supervisor", "admin"]; // domain/vocabulary.py POLICY_EDITORS decides; the form follows it
const MAX_WINDOWS = 6; // services/calls/schemas.py CallPolicySet
let alive = false;

const hours = (p) => p.rest_hours.map((w) => `${w.start}–${w.end}`).join("、");

export default {
  id: "call-policy",
  title: { "zh-CN": "电联规则", en: "Call policy" },
  roles: ["dispatcher", "supervisor", "admin"],
  mount(el, ctx) {
    const { t, api, fmtTime } = ctx;
    alive = true;
    const editor = EDITORS.includes(ctx.me.role);
    let versions = [], names = new Map(), draft = null; // draft: the form's { max_minutes, rest_hours } being edited

    const show = () => {
      if (!alive) return;
      const now = versions[versions.length - 1];
      const who = (p) => names.get(p.updated_by) || `#${p.updated_by}`;
      const setWindow = (i, key) => (ev) => { draft.rest_hours[i][key] = ev.target.value; };
      const save = async (ev) => {
        ev.preventDefault();
        try { await api("/api/policies/calls", { method: "POST", body: draft }); } catch { return; } // shown
        ctx.toast(t("cp_saved"), { ok: true, ms: 3000 });
        draft = null;
        load();
      };
      draft ||= { max_minutes: now.max_minutes, rest_hours: now.rest_hours.map((w) => ({ ...w })) };
      render(html`<section class="card" id="call-policy-now"><h3>${t("cp_now")}</h3>
        <p><b>${t("cp_limit", { m: now.max_minutes })}</b>; ${now.rest_hours.length ? t("cp_rest", { w: hours(now) }) : t("cp_no_rest")}
          <span class="muted small">${t("cp_zone", { z: now.timezone })} ·
          ${now.effective_from ? t("cp_since", { t: fmtTime(now.effective_from, true), who: who(now) }) : t("cp_default")}</span></p></section>
        ${editor ? html`<form id="call-policy-form" class="card" @submit=${save}>
          <div class="filters"><label>${t("cp_minutes")} <input type="number" name="max_minutes" min="1" max="60" required
            .value=${String(draft.max_minutes)} @input=${(ev) => { draft.max_minutes = Number(ev.target.value); }}></label></div>
          <fieldset><legend>${t("cp_windows")} <span class="muted small">${t("cp_zone", { z: now.timezone })}; ${t("cp_overnight")}</span></legend>
            ${draft.rest_hours.map((w, i) => html`<div class="filters rest-window" data-window=${i}>
              <label>${t("cp_start")} <input type="time" required .value=${w.start} @input=${setWindow(i, "start")}></label>
              <label>${t("cp_end")} <input type="time" required .value=${w.end} @input=${setWindow(i, "end")}></label>
              <button type="button" class="remove-window" @click=${() => { draft.rest_hours.splice(i, 1); show(); }}>${t("cp_remove")}</button></div>`)}
            ${draft.rest_hours.length < MAX_WINDOWS ? html`<button type="button" id="add-window"
              @click=${() => { draft.rest_hours.push({ start: "12:00", end: "14:00" }); show(); }}>${t("cp_add")}</button>` : nothing}
          </fieldset>
          <button class="primary" id="call-policy-save">${t("cp_save")}</button></form>` : nothing}
        <h3>${t("cp_versions")}</h3>
        <table class="grid" id="call-policy-versions"><thead><tr><th>${t("cp_from")}</th><th>${t("cp_minutes")}</th><th>${t("cp_windows")}</th><th>${t("cp_by")}</th></tr></thead>
          <tbody>${versions.slice().reverse().map((p) => html`<tr>
            <td>${p.effective_from ? fmtTime(p.effective_from, true) : t("cp_default")}</td><td>${p.max_minutes}</td>
            <td>${hours(p) || "—"}</td><td>${p.updated_by === null ? "—" : who(p)}</td></tr>`)}</tbody></table>`, el);
    };
    const load = async () => {
      versions = await api("/api/policies/calls", { query: { history: true } }).catch(() => null);
      if (versions) show();
    };
    api("/api/staff", { quiet: true }).then((people) => { names = new Map(people.map((p) => [p.id, p.display_name])); if (versions?.length) show(); }).catch(() => {});
    load();
    ctx.on("reconnect", load);
  },
  unmount() { alive = false; },
};
