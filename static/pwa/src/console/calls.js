// Calls to the customer in the order pane (§2.1.3 B): "call" opens the desk phone (tel:) and is
// recorded as an attempt, whose clock then counts down the policy's minutes until the telephony
// system reports the call; the order's calls, each judged (recorded, in the customer's rest hours,
// within the length limit), redrawn on the `call` live event. GET/POST …/calls.
import { html, render } from "lit-html";
import { addTexts } from "./i18n.js";

addTexts({
  "zh-CN": {
    cl_title: "电联记录", cl_call: "呼叫客户 {phone}", cl_none: "暂无通话记录", cl_attempt: "拨号(未收到录音系统记录)",
    cl_recorded: "已录音", cl_unrecorded: "无录音", cl_rest: "客户休息时间", cl_over: "超过 {m} 分钟", cl_within: "{m} 分钟内",
    cl_talk: "通话 {s}", cl_unanswered: "未接通", cl_rest_now: "现在是客户休息时间,{t} 后再联系为宜。", cl_tapped: "已记录拨号",
    cl_clock: "通话限时 {m} 分钟:剩 {left}", cl_clock_over: "已超过 {m} 分钟,请尽快结束通话",
  },
  en: {
    cl_title: "Calls", cl_call: "Call customer {phone}", cl_none: "No calls yet", cl_attempt: "Dialled (no record from the recorded system)",
    cl_recorded: "recorded", cl_unrecorded: "not recorded", cl_rest: "customer's rest hours", cl_over: "over {m} min", cl_within: "within {m} min",
    cl_talk: "talked {s}", cl_unanswered: "not answered", cl_rest_now: "It is the customer's rest time: better call after {t}.", cl_tapped: "Dial recorded",
    cl_clock: "{m}-minute call: {left} left", cl_clock_over: "Over {m} minutes: please wrap the call up",
  },
});

const talk = (seconds) => `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
// A tap the telephony system has not reported yet is the call going on: its clock runs this long
// (the server matches a report to a tap made up to 10 minutes before the call).
const LIVE_MS = 10 * 60_000;
let ticking = null; // one interval for every running call clock on screen
let offCall = null; // the pane's subscription to the `call` live event

function tick(t) {
  const clocks = document.querySelectorAll(".call-clock");
  if (!clocks.length) { clearInterval(ticking); ticking = null; return; }
  for (const el of clocks) {
    const limit = Number(el.dataset.minutes), left = Math.round((Date.parse(el.dataset.start) + limit * 60_000 - Date.now()) / 1000);
    el.textContent = left >= 0 ? t("cl_clock", { m: limit, left: talk(left) }) : t("cl_clock_over", { m: limit });
    el.classList.toggle("over", left < 0);
  }
}

function callItem(c, t, fmtTime) {
  const verdicts = [
    c.origin === "attempt" ? t("cl_attempt") : t(c.recorded ? "cl_recorded" : "cl_unrecorded"),
    c.seconds === null ? (c.answered_at || c.origin === "attempt" ? "" : t("cl_unanswered")) : t("cl_talk", { s: talk(c.seconds) }),
    c.within_limit === null ? "" : t(c.within_limit ? "cl_within" : "cl_over", { m: c.max_minutes }),
    c.in_rest_hours ? t("cl_rest") : "",
  ].filter(Boolean);
  const bad = c.in_rest_hours || c.within_limit === false || !c.recorded;
  const live = c.origin === "attempt" && Date.now() - Date.parse(c.started_at) < LIVE_MS;
  return html`<li class="call ${bad ? "call-bad" : ""}" data-origin=${c.origin}>
    <span class="muted small">${fmtTime(c.started_at, true)}</span> <b>${c.staff?.name || ""}</b> → ${c.callee}
    <div class="small">${verdicts.join(" · ")}</div>
    ${live ? html`<div class="call-clock" data-start=${c.started_at} data-minutes=${c.max_minutes}></div>` : ""}</li>`;
}

/** Fill `el` with order `o`'s calls and the call button; `current()`: the pane still shows `o`. */
export async function drawCalls(el, o, ctx, current) {
  const { api, t, fmtTime, toast } = ctx;
  const calls = await api(`/api/work-orders/${o.id}/calls`, { quiet: true }).catch(() => []);
  if (!current()) return;
  const phone = o.contact_phone || o.customer?.phone;
  const tap = async () => {
    // The desk phone dials (tel:, the link's own default); the attempt is recorded beside it.
    const answer = await api(`/api/work-orders/${o.id}/calls`, {
      method: "POST", body: { tapped_on: "console", device_time: new Date().toISOString() },
    }).catch(() => null);
    if (!answer) return;
    toast(answer.rest_ends_at ? t("cl_rest_now", { t: fmtTime(answer.rest_ends_at, true) }) : t("cl_tapped"),
      { ok: !answer.rest_ends_at, title: t("cl_title"), ms: 6000 });
    if (current()) await drawCalls(el, o, ctx, current);
  };
  offCall?.();
  offCall = ctx.on("call", (d) => { if (d.order_id === o.id && current()) drawCalls(el, o, ctx, current); });
  render(html`<h3>${t("cl_title")}</h3>
    ${phone ? html`<a class="button" id="call-customer" href="tel:${phone}" @click=${tap}>${t("cl_call", { phone })}</a>` : ""}
    <ul class="call-list calls" id="calls-list">${calls.length ? calls.slice().reverse().map((c) => callItem(c, t, fmtTime))
      : html`<li class="muted">${t("cl_none")}</li>`}</ul>`, el);
  tick(t);
  ticking ||= setInterval(() => tick(t), 1000);
}
