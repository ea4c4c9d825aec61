// The 通知送达 tab (issue 18): the notices not seen in time, each technician's newest notice and how
// far it got, and the escalation policy (supervisors and admins set it; a new version applies to
// notices queued from then on).
import { html, render } from "lit-html";
import { draw } from "../client.js";
import { addTexts } from "./i18n.js";
import { mountReachAlerts, reachText } from "./reach.js";

addTexts({
  "zh-CN": {
    rn_latest: "各外勤人员最新通知", rn_person: "人员", rn_order: "工单", rn_notice: "通知", rn_state: "送达",
    rn_channels: "渠道", rn_policy: "升级策略", rn_deliver: "未送达时,按联系时限的 {p}% 改用下一渠道", rn_seen: "未查看时,按联系时限的 {p}% 提醒调度",
    rn_minutes: "{m} 分钟", rn_deliver_pct: "改用下一渠道(联系时限 %)", rn_seen_pct: "提醒调度(联系时限 %)",
    rn_deliver_min: "或固定分钟(0 = 按比例)", rn_seen_min: "或固定分钟(0 = 按比例)", rn_save: "保存新版本", rn_saved: "升级策略已更新",
    rn_since: "自 {t} 起生效", rn_default: "默认策略",
  },
  en: {
    rn_latest: "Each technician's newest notice", rn_person: "Person", rn_order: "Order", rn_notice: "Notice", rn_state: "Receipt",
    rn_channels: "Channels", rn_policy: "Escalation policy", rn_deliver: "Not delivered: next channel at {p}% of the contact limit", rn_seen: "Not seen: dispatchers alerted at {p}% of it",
    rn_minutes: "{m} minutes", rn_deliver_pct: "Next channel (% of contact limit)", rn_seen_pct: "Alert dispatchers (% of contact limit)",
    rn_deliver_min: "or fixed minutes (0 = share)", rn_seen_min: "or fixed minutes (0 = share)", rn_save: "Save a new version", rn_saved: "Escalation policy updated",
    rn_since: "in force since {t}", rn_default: "the default",
  },
});

const EDITORS = ["supervisor", "admin"];
let alive = false;

export default {
  id: "reach",
  title: { "zh-CN": "通知送达", en: "Notices" },
  roles: ["dispatcher", "supervisor", "admin"],
  mount(el, ctx) {
    const { t, api, fmtTime } = ctx;
    alive = true;
    draw(el, html`<div id="reach-alerts-box"></div><section id="reach-latest"></section><section id="reach-policy" class="card"></section>`);
    mountReachAlerts(el.querySelector("#reach-alerts-box"), ctx);
    const latestEl = el.querySelector("#reach-latest"), policyEl = el.querySelector("#reach-policy");
    const editor = EDITORS.includes(ctx.me.role);

    const drawLatest = async () => {
      const list = await api("/api/reach/board", { quiet: true }).catch(() => null);
      if (!list || !alive) return;
      render(html`<h3>${t("rn_latest")}</h3><table class="grid" id="reach-board"><thead><tr>
        <th>${t("rn_person")}</th><th>${t("rn_order")}</th><th>${t("rn_notice")}</th><th>${t("rn_state")}</th><th>${t("rn_channels")}</th></tr></thead>
        <tbody>${list.map((n) => html`<tr data-person="${n.recipient}" data-state="${n.state}">
          <td>${n.recipient_name}</td><td><a href="#queue/${n.work_order}">${n.code}</a></td><td>${t("rc_n_" + n.notice)}</td>
          <td class="reach-state r-${n.state}">${reachText(n, ctx)}</td>
          <td>${n.channels.map((c) => html`<span class="badge ch ch-${c.state}">${t("rc_ch_" + c.channel)} ${t("rc_cs_" + c.state)}</span> `)}</td></tr>`)}</tbody></table>`, latestEl);
    };

    const share = (pct, minutes) => (minutes ? t("rn_minutes", { m: minutes }) : `${pct}%`);
    const drawPolicy = async () => {
      const [p] = await api("/api/policies/escalation", { quiet: true }).catch(() => [null]);
      if (!p || !alive) return;
      const save = async (ev) => {
        ev.preventDefault();
        const v = Object.fromEntries([...new FormData(ev.target)].map(([k, x]) => [k, Number(x)]));
        try { await api("/api/policies/escalation", { method: "POST", body: v }); } catch { return; } // shown
        ctx.toast(t("rn_saved"), { ok: true, ms: 3000 });
        drawPolicy();
      };
      const field = (name, label, value, min, max) => html`<label>${t(label)}
        <input type="number" name="${name}" .value="${String(value)}" min="${min}" max="${max}" required></label>`;
      render(html`<h3>${t("rn_policy")}</h3>
        <p id="reach-policy-now">${t("rn_deliver", { p: share(p.deliver_percent, p.deliver_minutes) })};
          ${t("rn_seen", { p: share(p.seen_percent, p.seen_minutes) })}
          <span class="muted small">${p.effective_from ? t("rn_since", { t: fmtTime(p.effective_from, true) }) : t("rn_default")}</span></p>
        ${editor ? html`<form id="reach-policy-form" class="row" @submit=${save}>
          ${field("deliver_percent", "rn_deliver_pct", p.deliver_percent, 1, 100)}
          ${field("deliver_minutes", "rn_deliver_min", p.deliver_minutes, 0, 1440)}
          ${field("seen_percent", "rn_seen_pct", p.seen_percent, 1, 100)}
          ${field("seen_minutes", "rn_seen_min", p.seen_minutes, 0, 1440)}
          <button class="primary">${t("rn_save")}</button></form>` : ""}`, policyEl);
    };

    const refresh = ctx.refresher(drawLatest);
    ctx.on("notice", () => refresh());
    ctx.on("reconnect", () => { refresh(); drawPolicy(); });
    drawLatest();
    drawPolicy();
  },
  unmount() { alive = false; },
};
