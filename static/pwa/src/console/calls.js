// Calling the customer from the order pane (§2.1.3 B): "call" opens the desk phone (tel:) and is
// recorded as an attempt, whose clock then counts down the policy's minutes until the telephony
// system reports the call; in the customer's rest hours it asks first (an urgent case). The order's calls are in its history (../history.js); queue.js
// refetches the order on the `call` live event. GET /api/policies/calls, POST …/calls.
import { html, render } from "lit-html";
import { talk } from "../history.js";
import { confirmDial } from "../rest-hours.js";
import { addTexts } from "./i18n.js";

addTexts({
  "zh-CN": {
    cl_call: "呼叫客户 {phone}", cl_tapped: "已记录拨号", cl_tapped_urgent: "已记录紧急拨号(客户休息时间)", cl_clock: "通话限时 {m} 分钟:剩 {left}", cl_clock_over: "已超过 {m} 分钟,请尽快结束通话",
  },
  en: {
    cl_call: "Call customer {phone}", cl_tapped: "Dial recorded", cl_tapped_urgent: "Urgent dial recorded (customer's rest hours)", cl_clock: "{m}-minute call: {left} left", cl_clock_over: "Over {m} minutes: please wrap the call up",
  },
});

// A tap the telephony system has not reported yet is the call going on: its clock runs this long
// (the server matches a report to a tap made up to 10 minutes before the call).
const LIVE_MS = 10 * 60_000;
let ticking = null; // one interval for every running call clock on screen

function tick(t) {
  const clocks = document.querySelectorAll(".call-clock");
  if (!clocks.length) { clearInterval(ticking); ticking = null; return; }
  for (const el of clocks) {
    const limit = Number(el.dataset.minutes), left = Math.round((Date.parse(el.dataset.start) + limit * 60_000 - Date.now()) / 1000);
    el.textContent = left >= 0 ? t("cl_clock", { m: limit, left: talk(left) }) : t("cl_clock_over", { m: limit });
    el.classList.toggle("over", left < 0);
  }
}

/** Fill `el` with order `o`'s call button and the clocks of its calls going on; `current()`: the
 *  pane still shows `o`; `reload()` fetches the order again (with the tap among its calls). */
export async function drawCalls(el, o, ctx, current, reload) {
  const { api, t, toast } = ctx;
  const [policy] = await api("/api/policies/calls", { quiet: true }).catch(() => [null]);
  if (!current()) return;
  const phone = o.contact_phone || o.customer?.phone;
  const record = async (urgent) => {
    const answer = await api(`/api/work-orders/${o.id}/calls`, {
      method: "POST", body: { tapped_on: "console", device_time: new Date().toISOString(), urgent },
    }).catch(() => null);
    if (!answer) return; // the problem is shown
    toast(t(urgent ? "cl_tapped_urgent" : "cl_tapped"), { ok: true, title: t("cl_outbound"), ms: 6000 });
    reload();
  };
  // The desk phone dials (tel:, the link's own default) unless, in rest hours, the dispatcher
  // thinks better of it; the attempt is recorded beside it.
  const tap = (ev) => {
    const { dial, urgent } = confirmDial(policy, t);
    if (dial) record(urgent);
    else ev.preventDefault();
  };
  const live = o.calls.filter((c) => c.origin === "attempt" && Date.now() - Date.parse(c.started_at) < LIVE_MS);
  render(html`${phone ? html`<a class="button" id="call-customer" href="tel:${phone}" @click=${tap}>${t("cl_call", { phone })}</a>` : ""}
    ${live.map((c) => html`<div class="call-clock" data-start=${c.started_at} data-minutes=${c.max_minutes}></div>`)}`, el);
  tick(t);
  ticking ||= setInterval(() => tick(t), 1000);
}
