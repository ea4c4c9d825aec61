// The technician board: where each technician is in their day (on site / en route / idle, from
// the orders they hold), their load, and their devices' last contact with actions not yet synced.
import { draw, html, some } from "../client.js";
import { addTexts } from "./i18n.js";
import { drawBoardReach } from "./reach.js";
import { drawBoardDuty } from "./dutyviews.js";

addTexts({
  "zh-CN": {
    b_name: "人员", b_team: "班组", b_where: "当前", b_orders: "在手工单", b_last_step: "最近操作", b_contact: "设备联络",
    b_pending: "待同步", b_idle: "空闲", b_since: "自 {t}", b_offline: "离线 {m}", b_online: "在线", b_no_device: "未登录过设备",
    b_pending_n: "{n} 个操作未同步", b_empty: "没有外勤人员", b_as_of: "更新于 {t}", b_contractor: "代维", b_duty: "本班出勤",
  },
  en: {
    b_name: "Person", b_team: "Team", b_where: "Now", b_orders: "Orders held", b_last_step: "Last step", b_contact: "Devices",
    b_pending: "Unsynced", b_idle: "Idle", b_since: "since {t}", b_offline: "offline {m}", b_online: "online", b_no_device: "no device yet",
    b_pending_n: "{n} actions not synced", b_empty: "No field staff", b_as_of: "as of {t}", b_contractor: "contractor", b_duty: "This shift",
  },
});

// The app syncs every 30 s while open and the server notes a pull at most once a minute:
// three minutes without contact means the phone is off the network or the app closed.
const OFFLINE_AFTER_MS = 3 * 60_000;

let state = null;

export default {
  id: "board",
  title: { "zh-CN": "人员看板", en: "Technicians" },
  roles: ["dispatcher", "supervisor", "admin"],
  mount(el, ctx) {
    const { t, api, fmtTime, fmtSpan } = ctx;
    const s = (state = { board: null, alive: true });

    const contactText = (c) => {
      if (!c.last_contact_at) return html`<span class="muted">${t("b_no_device")}</span>`;
      const ms = Date.now() - Date.parse(c.last_contact_at);
      return ms > OFFLINE_AFTER_MS
        ? html`<span class="badge red offline">${t("b_offline", { m: fmtSpan(ms) })}</span> <span class="muted small">${t("b_since", { t: fmtTime(c.last_contact_at, true) })}</span>`
        : html`<span class="badge green online">${t("b_online")}</span> <span class="muted small">${fmtTime(c.last_contact_at)}</span>`;
    };
    const whereText = (w) => (w.status === "idle"
      ? html`<span class="state">${t("b_idle")}</span>`
      : html`<span class="state s-${w.status}">${t("s_" + w.status)}</span> <a href="#queue/${w.order_id}">${w.order_code}</a> <span class="muted small">${t("b_since", { t: fmtTime(w.since) })}</span>`);

    function redraw() {
      const people = s.board.people;
      draw(el, html`<p class="muted small">${t("b_as_of", { t: fmtTime(s.board.as_of, true) })}</p>
        <table class="grid" id="board"><thead><tr><th>${t("b_name")}</th><th>${t("b_team")}</th><th>${t("b_where")}</th>
          <th>${t("b_orders")}</th><th>${t("b_last_step")}</th><th>${t("b_contact")}</th><th>${t("b_pending")}</th><th>${t("rc_board")}</th><th>${t("b_duty")}</th></tr></thead>
        <tbody>${some(people.map((p) => html`<tr data-person="${p.id}" data-status="${p.where.status}" data-load="${p.load}">
          <td><b>${p.name}</b>${p.role === "contractor" ? html` <span class="badge">${t("b_contractor")}</span>` : ""}</td>
          <td>${p.team || ""}</td>
          <td class="where">${whereText(p.where)}</td>
          <td class="orders">${p.load ? html`<b>${p.load}</b> <span class="small">${p.orders.join(", ")}</span>` : "0"}</td>
          <td>${p.last_event_at ? fmtTime(p.last_event_at, true) : ""}</td>
          <td class="contact">${contactText(p.contact)}</td>
          <td class="pending" data-pending="${p.contact.outbox_pending}">${p.contact.outbox_pending ? html`<span class="badge orange">${t("b_pending_n", { n: p.contact.outbox_pending })}</span>` : ""}</td>
          <td class="reach"></td>
          <td class="duty"></td>
        </tr>`)) || html`<tr><td colspan="9" class="muted">${t("b_empty")}</td></tr>`}</tbody></table>`);
      drawBoardDuty(el, people, ctx);
    }

    async function load() {
      const board = await api("/api/dispatch/board").catch(() => null);
      if (!board || !s.alive) return;
      s.board = board;
      redraw();
      drawBoardReach(el.querySelector("#board"), ctx);
    }
    // A burst of `order` events (a bulk dispatch) costs a fetch or two of the board.
    const refresh = ctx.refresher(load);
    ctx.on("order", () => refresh());
    ctx.on("reconnect", () => refresh());
    ctx.on("notice", () => refresh());
    ctx.on("duty", () => refresh());
    ctx.every(30_000, load); // devices' contact changes without any event
    load();
  },
  unmount() {
    if (state) { state.alive = false; state = null; }
  },
};
