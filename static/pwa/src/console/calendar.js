// The business calendar (工作日历, issue 19) for supervisors, drawn with lit-html: a year's holidays
// and 调休 working days, China's official ones (the chinesecalendar package) with the branch's own
// entries on top and marked as such; add or change an entry, remove one (the official day, if any,
// is back), and for a year the official data has not reached, say its days are all entered
// (PUT /api/policies/calendar/years/{year}), which answers the warning of calendar-notice.js.
import { html, render, nothing } from "lit-html";
import { addTexts } from "./i18n.js";
import { calendarNotice } from "./calendar-notice.js";

addTexts({
  "zh-CN": {
    cal_year: "{year} 年", cal_day: "日期", cal_weekday: "星期", cal_kind: "安排", cal_name: "名称",
    cal_source: "来源", cal_off: "休息", cal_on: "上班", cal_official: "国家法定", cal_supervisor: "本分公司录入",
    cal_none: "该年没有节假日或调休安排。", cal_change: "修改", cal_remove: "删除录入", cal_removed: "已删除,该日恢复国家安排",
    cal_entry: "录入或修改一天", cal_entry_hint: "录入的安排优先于国家安排;删除录入即恢复国家安排。",
    cal_is_off: "休息日(节假日)", cal_is_on: "工作日(调休上班)", cal_save: "保存", cal_saved: "已保存",
    cal_official_year: "{year} 年的法定节假日和调休安排来自国务院公布的数据。",
    cal_missing_year: "{year} 年没有官方节假日数据:请升级节假日数据,或在下方录入全年的节假日和调休,再确认全年已录入。",
    cal_entered_year: "{year} 年没有官方数据,主管已确认全年的节假日和调休已手工录入。",
    cal_declare: "确认 {year} 年已全部录入", cal_withdraw: "撤销确认", cal_declared: "已确认 {year} 年全部录入", cal_withdrawn: "已撤销确认",
  },
  en: {
    cal_year: "{year}", cal_day: "Date", cal_weekday: "Weekday", cal_kind: "Day", cal_name: "Name",
    cal_source: "Source", cal_off: "Day off", cal_on: "Working day", cal_official: "Official", cal_supervisor: "Branch entry",
    cal_none: "No holidays or working-day swaps this year.", cal_change: "Change", cal_remove: "Remove entry", cal_removed: "Removed: the day is as the official calendar has it",
    cal_entry: "Enter or change a day", cal_entry_hint: "An entry wins over the official day; removing it brings the official day back.",
    cal_is_off: "Day off (holiday)", cal_is_on: "Working day (调休)", cal_save: "Save", cal_saved: "Saved",
    cal_official_year: "{year}'s holidays and 调休 working days are the State Council's, from the official data.",
    cal_missing_year: "There is no official holiday data for {year}: update the holiday data, or enter the year's holidays and 调休 days below and then confirm the year is entered.",
    cal_entered_year: "No official data for {year}; a supervisor has confirmed its holidays and 调休 days are all entered by hand.",
    cal_declare: "Confirm {year} is all entered", cal_withdraw: "Withdraw the confirmation", cal_declared: "{year} confirmed as all entered", cal_withdrawn: "Confirmation withdrawn",
  },
});

let generation = 0;

export default {
  id: "calendar",
  title: { "zh-CN": "工作日历", en: "Calendar" },
  roles: ["supervisor", "admin"], // domain/vocabulary.py POLICY_EDITORS
  mount(el, ctx) {
    const { t, api, lang } = ctx;
    const mine = ++generation;
    const root = el.appendChild(document.createElement("div"));
    root.id = "calendar";
    const asked = Number(ctx.route[0]);
    let year = null, coverage = null, days = [];
    const weekday = new Intl.DateTimeFormat(lang, { weekday: "short", timeZone: "UTC" });
    const monthDay = new Intl.DateTimeFormat(lang, { month: "long", day: "numeric", timeZone: "UTC" });
    const utc = (day) => new Date(`${day}T00:00:00Z`);

    const write = async (call, done) => {
      try { await call(); } catch { return; } // shown by api()
      ctx.toast(done, { ok: true, ms: 2500 });
      await load();
    };
    const save = (ev) => {
      ev.preventDefault();
      const f = ev.target.elements;
      write(() => api(`/api/policies/calendar/${f.day.value}`, { method: "PUT", body: { working: f.working.value === "true", name: f.name.value.trim() } }), t("cal_saved"));
    };
    const change = (d) => {
      const f = root.querySelector("#cal-form").elements;
      f.day.value = d.day; f.working.value = String(d.working); f.name.value = d.name;
      f.name.focus();
    };
    const remove = (d) => write(() => api(`/api/policies/calendar/${d.day}`, { method: "DELETE" }), t("cal_removed"));
    // The top-of-console warning follows the confirmation at once.
    const declare = (on) => write(async () => {
      await api(`/api/policies/calendar/years/${year}`, { method: on ? "PUT" : "DELETE" });
      calendarNotice(ctx.me, api);
    }, t(on ? "cal_declared" : "cal_withdrawn", { year }));

    const yearState = () => {
      if (coverage.official_years.includes(year)) return html`<p id="cal-state" data-state="official" class="muted">${t("cal_official_year", { year })}</p>`;
      if (coverage.entered_years.includes(year)) return html`<p id="cal-state" data-state="entered">${t("cal_entered_year", { year })}
        <button id="cal-withdraw" class="link" @click=${() => declare(false)}>${t("cal_withdraw")}</button></p>`;
      return html`<div id="cal-state" data-state="missing" class="notice warning"><p>${t("cal_missing_year", { year })}</p>
        <p><button id="cal-declare" @click=${() => declare(true)}>${t("cal_declare", { year })}</button></p></div>`;
    };

    const row = (d) => html`<tr data-day=${d.day} data-source=${d.source} data-working=${String(d.working)} class=${d.source === "supervisor" ? "mine" : ""}>
      <td>${monthDay.format(utc(d.day))}</td><td>${weekday.format(utc(d.day))}</td>
      <td>${d.working ? t("cal_on") : html`<b>${t("cal_off")}</b>`}</td><td>${d.name}</td>
      <td>${d.source === "supervisor" ? html`<span class="badge">${t("cal_supervisor")}</span>` : t("cal_official")}</td>
      <td><button class="cal-change" @click=${() => change(d)}>${t("cal_change")}</button>
        ${d.source === "supervisor" ? html`<button class="cal-remove" @click=${() => remove(d)}>${t("cal_remove")}</button>` : nothing}</td></tr>`;

    const draw = () => {
      if (mine !== generation) return;
      render(html`<div class="filters cal-years">
          <a class="button" id="cal-prev" href="#calendar/${year - 1}">‹ ${t("cal_year", { year: year - 1 })}</a>
          <h2 id="cal-year">${t("cal_year", { year })}</h2>
          <a class="button" id="cal-next" href="#calendar/${year + 1}">${t("cal_year", { year: year + 1 })} ›</a></div>
        ${yearState()}
        <div class="split">
          <table class="grid" id="cal-days"><thead><tr><th>${t("cal_day")}</th><th>${t("cal_weekday")}</th><th>${t("cal_kind")}</th>
            <th>${t("cal_name")}</th><th>${t("cal_source")}</th><th></th></tr></thead>
            <tbody>${days.length ? days.map(row) : html`<tr><td colspan="6" class="muted">${t("cal_none")}</td></tr>`}</tbody></table>
          <form id="cal-form" class="card pane" @submit=${save}><h3>${t("cal_entry")}</h3><p class="muted small">${t("cal_entry_hint")}</p>
            <label>${t("cal_day")}<input type="date" name="day" required min="${year}-01-01" max="${year}-12-31"></label>
            <label>${t("cal_kind")}<select name="working"><option value="false">${t("cal_is_off")}</option><option value="true">${t("cal_is_on")}</option></select></label>
            <label>${t("cal_name")}<input name="name" required maxlength="64"></label>
            <button class="primary">${t("cal_save")}</button></form>
        </div>`, root);
    };
    const load = async () => {
      coverage = await api("/api/policies/calendar/coverage");
      // The branch's year unless the address names one (#calendar/2027, as the warning links).
      year ??= Number.isInteger(asked) && asked >= 2000 && asked <= 2100 ? asked : coverage.next_year - 1;
      days = await api("/api/policies/calendar", { query: { year } });
      draw();
    };
    load().catch(() => {}); // shown by api()
    ctx.on("reconnect", () => load().catch(() => {}));
  },
  unmount() { generation += 1; },
};
