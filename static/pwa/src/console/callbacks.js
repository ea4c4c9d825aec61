// Callbacks (回访): closed orders awaiting their callback, soonest due first, overdue and at-risk
// marked; recording one (a dissatisfied customer reopens the order: the server does it in the
// same step); this month's coverage against the 100 % target for valid complaints.
import { draw, html } from "../client.js";
import { addTexts } from "./i18n.js";
import { localDay, percent } from "./periods.js";

addTexts({
  "zh-CN": {
    cb_code: "工单号", cb_customer: "客户 / 联系人", cb_area: "片区", cb_handled_by: "处理人", cb_completed: "完成时间",
    cb_due: "回访时限", cb_attempts: "未接通", cb_signed: "签名评分", cb_empty: "没有待回访的工单", cb_all: "全部",
    cb_at_risk: "即将超时", cb_overdue: "已超时", cb_status: "状态", cb_area_all: "全部片区", cb_total: "待回访 {n} 单",
    cb_counts: "超时 {overdue} 单 · 即将超时 {at_risk} 单", cb_record: "回访", cb_reached: "已联系上客户", cb_not_reached: "未联系上",
    cb_score: "满意度", cb_remark: "客户意见 / 备注", cb_save: "保存回访", cb_cancel: "取消", cb_saved: "已记录回访:{code}",
    cb_missed: "已记录未接通:{code},仍待回访", cb_reopened: "客户不满意,{code} 已重启并退回派单队列",
    cb_reopen_warning: "1–2 分为不满意:保存后工单将重启,退回调度重新派单,请写明客户反映的问题。",
    cb_coverage: "本月回访率", cb_on_time: "及时回访率", cb_complaints: "有效投诉回访率", cb_target: "目标 {p}",
    cb_of: "{n}/{d}", lv_satisfied: "满意", lv_fair: "基本满意", lv_dissatisfied: "不满意",
  },
  en: {
    cb_code: "Order", cb_customer: "Customer / contact", cb_area: "Area", cb_handled_by: "Handled by", cb_completed: "Completed",
    cb_due: "Call back by", cb_attempts: "Missed calls", cb_signed: "At signing", cb_empty: "No callbacks waiting", cb_all: "All",
    cb_at_risk: "At risk", cb_overdue: "Overdue", cb_status: "Status", cb_area_all: "All areas", cb_total: "{n} waiting",
    cb_counts: "{overdue} overdue · {at_risk} at risk", cb_record: "Call back", cb_reached: "Reached the customer", cb_not_reached: "Not reached",
    cb_score: "Satisfaction", cb_remark: "What the customer said", cb_save: "Save callback", cb_cancel: "Cancel", cb_saved: "Callback recorded: {code}",
    cb_missed: "Missed call recorded: {code} still waits", cb_reopened: "Customer dissatisfied: {code} reopened and back with dispatch",
    cb_reopen_warning: "1–2 is dissatisfied: saving reopens the order for a new dispatch. Write down what the customer said.",
    cb_coverage: "Coverage this month", cb_on_time: "Called back in time", cb_complaints: "Valid complaints called back", cb_target: "target {p}",
    cb_of: "{n} of {d}", lv_satisfied: "satisfied", lv_fair: "fairly satisfied", lv_dissatisfied: "dissatisfied",
  },
});

/** The call centre's three words for the 1–5 score (domain/callbacks.py). */
const levelOf = (score) => (score >= 4 ? "satisfied" : score === 3 ? "fair" : "dissatisfied");

let state = null;

export default {
  id: "callbacks",
  title: { "zh-CN": "回访", en: "Callbacks" },
  roles: ["agent", "dispatcher", "supervisor", "admin"],
  mount(el, ctx) {
    const { t, api, fmtTime, fmtSpan } = ctx;
    const s = (state = { page: null, coverage: null, areas: [], filters: {}, open: null, alive: true, timer: null });

    const option = (value, label, current) => html`<option value=${value} ?selected=${String(current ?? "") === String(value)}>${label}</option>`;
    const dueText = (i) => {
      const ms = Date.parse(i.due) - Date.now();
      return html`${fmtTime(i.due, true)} <span class="small">${ms >= 0 ? t("due_in", { m: fmtSpan(ms) }) : t("overdue", { m: fmtSpan(ms) })}</span>`;
    };

    function coverageHtml() {
      const figures = Object.fromEntries((s.coverage?.groups[0]?.figures || []).map((f) => [f.key, f]));
      const tile = (key, label) => {
        const f = figures[key];
        if (!f) return "";
        const short = f.target != null && f.value != null && f.value < f.target;
        return html`<div class="tile ${short ? "short" : ""}" data-figure="${key}"><span class="muted small">${label}</span>
          <b>${percent(f.value)}</b><span class="small">${t("cb_of", { n: f.numerator, d: f.denominator })}
          ${f.target != null ? ` · ${t("cb_target", { p: percent(f.target) })}` : ""}</span></div>`;
      };
      return html`<div class="tiles" id="cb-coverage">${tile("callback_coverage", t("cb_coverage"))}${tile("callback_on_time", t("cb_on_time"))}${tile("complaint_callback_coverage", t("cb_complaints"))}</div>`;
    }

    function formHtml(i) {
      const scores = [5, 4, 3, 2, 1].map((n) => html`<label class="score s-${levelOf(n)}"><input type="radio" name="satisfaction" value="${n}"> ${n} ${t("lv_" + levelOf(n))}</label>`);
      return html`<tr class="cb-form-row"><td colspan="9"><form id="cb-form" data-id="${i.order_id}" class="cb-form">
        <label class="inline"><input type="radio" name="reached" value="yes" checked> ${t("cb_reached")}</label>
        <label class="inline"><input type="radio" name="reached" value="no"> ${t("cb_not_reached")}</label>
        <fieldset id="cb-scores"><legend>${t("cb_score")}</legend>${scores}</fieldset>
        <p class="error small" id="cb-warning" hidden>${t("cb_reopen_warning")}</p>
        <label>${t("cb_remark")}<textarea name="remark" maxlength="2000" rows="2"></textarea></label>
        <button class="primary" id="cb-save">${t("cb_save")}</button> <button type="button" id="cb-cancel">${t("cb_cancel")}</button>
      </form></td></tr>`;
    }

    function redraw() {
      const page = s.page || { items: [], total: 0, overdue: 0, at_risk: 0 };
      const f = s.filters;
      const rows = page.items.map((i) => html`
        <tr data-id="${i.order_id}" class="${i.overdue ? "late" : i.at_risk ? "risk" : ""}">
          <td><a href="#queue/${i.order_id}">${i.code}</a><div class="small">${t("k_" + i.kind)}</div></td>
          <td>${i.customer_name}<div class="small">${i.contact_name} ${i.contact_phone}</div></td>
          <td>${i.area.name}</td><td>${i.handled_by?.name || ""}</td>
          <td>${fmtTime(i.completed_at, true)}</td>
          <td class="due">${dueText(i)} ${i.overdue ? html`<span class="badge red">${t("cb_overdue")}</span>` : i.at_risk ? html`<span class="badge orange">${t("cb_at_risk")}</span>` : ""}</td>
          <td class="attempts">${i.attempts.length ? html`<b>${i.attempts.length}</b> <span class="small">${i.attempts.at(-1).remark} · ${fmtTime(i.attempts.at(-1).at, true)}</span>` : ""}</td>
          <td>${i.signing_satisfaction ? `${i.signing_satisfaction} ${t("lv_" + levelOf(i.signing_satisfaction))}` : ""}</td>
          <td><button class="record" data-id="${i.order_id}">${t("cb_record")}</button></td>
        </tr>${s.open === i.order_id ? formHtml(i) : ""}`);
      draw(el, html`${coverageHtml()}
        <form class="filters" id="cb-filters">
          <label>${t("cb_area")}<select name="area_id">${option("", t("cb_area_all"), f.area_id)}${s.areas.map((a) => option(a.id, a.name, f.area_id))}</select></label>
          <label>${t("cb_status")}<select name="status">${option("", t("cb_all"), f.status)}${option("overdue", t("cb_overdue"), f.status)}${option("at_risk", t("cb_at_risk"), f.status)}</select></label>
          <span class="muted small" id="cb-total">${t("cb_total", { n: page.total })} · ${t("cb_counts", page)}</span>
        </form>
        <table class="grid" id="callbacks"><thead><tr><th>${t("cb_code")}</th><th>${t("cb_customer")}</th><th>${t("cb_area")}</th>
          <th>${t("cb_handled_by")}</th><th>${t("cb_completed")}</th><th>${t("cb_due")}</th><th>${t("cb_attempts")}</th>
          <th>${t("cb_signed")}</th><th></th></tr></thead>
        <tbody>${rows.length ? rows : html`<tr><td colspan="9" class="muted">${t("cb_empty")}</td></tr>`}</tbody></table>`);
      el.querySelector("#cb-filters").onchange = (ev) => { s.filters[ev.target.name] = ev.target.value; load(); };
      el.querySelectorAll("button.record").forEach((b) => { b.onclick = () => { s.open = Number(b.dataset.id); redraw(); }; });
      const form = el.querySelector("#cb-form");
      if (form) wireForm(form);
    }

    function wireForm(form) {
      const warn = () => {
        const reached = form.reached.value === "yes";
        form.querySelector("#cb-scores").disabled = !reached;
        const score = Number(form.satisfaction.value);
        form.querySelector("#cb-warning").hidden = !(reached && score && levelOf(score) === "dissatisfied");
      };
      form.onchange = warn;
      form.querySelector("#cb-cancel").onclick = () => { s.open = null; redraw(); };
      form.onsubmit = async (ev) => {
        ev.preventDefault();
        const reached = form.reached.value === "yes";
        const body = { reached, remark: form.remark.value };
        if (reached && form.satisfaction.value) body.satisfaction = Number(form.satisfaction.value);
        const item = s.page.items.find((i) => i.order_id === Number(form.dataset.id));
        let order;
        try {
          order = await api(`/api/work-orders/${form.dataset.id}/callback`, { method: "POST", body });
        } catch { return; } // the problem (a score missing, a remark missing…) is shown
        const key = order.state === "new" ? "cb_reopened" : reached ? "cb_saved" : "cb_missed";
        ctx.toast(t(key, { code: item?.code || order.code }), { ok: true, ms: 5000 });
        s.open = null;
        load();
      };
      warn();
    }

    async function load() {
      const today = localDay(0), first = today.slice(0, 8) + "01";
      const [page, coverage] = await Promise.all([
        api("/api/callbacks", { query: { ...s.filters, limit: 200 } }).catch(() => null),
        api("/api/callbacks/coverage", { query: { from: first, to: today, area_id: s.filters.area_id } }).catch(() => null),
      ]);
      if (!page || !s.alive) return;
      s.page = page;
      s.coverage = coverage;
      if (s.open === null) redraw(); // never wipe what the agent is typing
    }
    const soon = () => { clearTimeout(s.timer); s.timer = setTimeout(load, 300); };
    api("/api/reference").then((ref) => { s.areas = ref.areas; if (s.alive && s.open === null) redraw(); }).catch(() => {});
    ctx.on("callback", soon);
    ctx.on("order", soon); // a closure adds a callback, a reopen takes one away
    ctx.on("reconnect", load);
    ctx.every(60_000, load); // due times pass without any event
    load();
  },
  unmount() {
    if (state) { state.alive = false; clearTimeout(state.timer); state = null; }
  },
};
