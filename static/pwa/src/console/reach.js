// Whether technicians got their notices (issue 18): in the order pane each notice's state and
// channels ("已送达 10:41 · 未查看"), on the technician board each person's newest notice, and above
// the queue the notices not seen in time (the escalation policy's alert). From /api/reach/*; the
// live `notice` events redraw them.
import { html, render } from "lit-html";
import { addTexts } from "./i18n.js";

addTexts({
  "zh-CN": {
    rc_title: "通知送达", rc_none: "尚无通知", rc_queued: "排队中", rc_sent: "已发送 {t}", rc_delivered: "已送达 {t}",
    rc_seen: "已查看 {t}", rc_unseen: "未查看", rc_superseded: "已被新通知取代",
    rc_n_assigned: "派单", rc_n_urged: "催单", rc_n_withdrawn: "改派",
    rc_ch_webpush: "网页推送", rc_ch_wecom: "企业微信", rc_ch_sms: "短信",
    rc_cs_pending: "待发", rc_cs_sent: "已发", rc_cs_failed: "失败", rc_cs_expired: "过期", rc_cs_dropped: "免发", rc_cs_sending: "发送中", rc_cs_unknown: "结果不明",
    rc_alerts: "{n} 条通知超时未查看", rc_alert_line: "{who} · {code} · {what} · {since}起未查看", rc_board: "通知",
  },
  en: {
    rc_title: "Notices", rc_none: "No notices yet", rc_queued: "queued", rc_sent: "sent {t}", rc_delivered: "delivered {t}",
    rc_seen: "seen {t}", rc_unseen: "not seen", rc_superseded: "superseded by a newer notice",
    rc_n_assigned: "assigned", rc_n_urged: "urged", rc_n_withdrawn: "reassigned",
    rc_ch_webpush: "web push", rc_ch_wecom: "WeCom", rc_ch_sms: "SMS",
    rc_cs_pending: "pending", rc_cs_sent: "sent", rc_cs_failed: "failed", rc_cs_expired: "expired", rc_cs_dropped: "not needed", rc_cs_sending: "sending", rc_cs_unknown: "outcome unknown",
    rc_alerts: "{n} notices not seen in time", rc_alert_line: "{who} · {code} · {what} · unseen since {since}", rc_board: "Notice",
  },
});

/** "已送达 10:41 · 未查看": how far a notice got. */
export function reachText(n, { t, fmtTime }) {
  if (n.state === "seen") return t("rc_seen", { t: fmtTime(n.seen_at) });
  const got = n.state === "delivered" ? t("rc_delivered", { t: fmtTime(n.delivered_at) })
    : n.state === "sent" ? t("rc_sent", { t: fmtTime(n.sent_at) }) : t("rc_queued");
  return n.notice === "withdrawn" ? got : `${got} · ${t("rc_unseen")}`;
}

const notice = (n, ctx) => {
  const { t, fmtTime } = ctx;
  return html`<li class="notice r-${n.state}${n.superseded ? " superseded" : ""}${n.alerted_at && n.state !== "seen" ? " alerted" : ""}" data-notice="${n.id}" data-state="${n.state}">
    <span class="muted small">${fmtTime(n.created_at)}</span> <b>${t("rc_n_" + n.notice)}</b> → ${n.recipient_name}
    <span class="reach-state">${reachText(n, ctx)}</span>
    <div class="small">${n.channels.map((c) => html`<span class="badge ch ch-${c.state}" title="${c.error}">${t("rc_ch_" + c.channel)} ${t("rc_cs_" + c.state)}</span> `)}
      ${n.superseded ? html`<span class="muted">${t("rc_superseded")}</span>` : ""}</div></li>`;
};

/** The order pane's notices of order `o` into `el`; `current()` says whether the pane still shows it. */
export async function drawReach(el, o, ctx, current) {
  const list = await ctx.api(`/api/reach/orders/${o.id}`, { quiet: true }).catch(() => null);
  if (!list || !current() || !el.isConnected) return;
  render(html`<h3>${ctx.t("rc_title")}</h3>${list.length
    ? html`<ul class="notices" id="pane-notices">${list.map((n) => notice(n, ctx))}</ul>`
    : html`<p class="muted">${ctx.t("rc_none")}</p>`}`, el);
}

/** The board's column: each person's newest notice, filled into the rows' `td.reach` cells. */
export async function drawBoardReach(table, ctx) {
  const list = await ctx.api("/api/reach/board", { quiet: true }).catch(() => null);
  if (!list || !table.isConnected) return;
  const newest = new Map(list.map((n) => [String(n.recipient), n]));
  for (const cell of table.querySelectorAll("tr[data-person] td.reach")) {
    const n = newest.get(cell.parentElement.dataset.person);
    render(n ? html`<span class="reach-state r-${n.state}" data-state="${n.state}">${ctx.t("rc_n_" + n.notice)} ${reachText(n, ctx)}</span>` : "", cell);
  }
}

/** The banner of notices not seen in time, kept live; returns nothing (it lives as long as `el`). */
export function mountReachAlerts(el, ctx) {
  const { t, fmtTime } = ctx;
  const draw = async () => {
    const list = await ctx.api("/api/reach/alerts", { quiet: true }).catch(() => null);
    if (!list || !el.isConnected) return;
    render(list.length ? html`<div class="card alert-card" id="reach-alerts" data-count="${list.length}">
      <b>${t("rc_alerts", { n: list.length })}</b>
      <ul>${list.map((n) => html`<li data-notice="${n.id}"><a href="#queue/${n.work_order}">${t("rc_alert_line", {
        who: n.recipient_name, code: n.code, what: reachText(n, ctx), since: fmtTime(n.created_at) })}</a></li>`)}</ul>
    </div>` : "", el);
  };
  const refresh = ctx.refresher(draw);
  ctx.on("notice", (data) => { if (data.alert || data.state === "seen") refresh(); });
  ctx.on("reconnect", () => refresh());
  draw();
}
