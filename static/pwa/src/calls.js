// The phone's side of calls to the customer (§2.1.3 B): tapping the number dials (tel:, the link's
// own default) and records an attempt when online; the job's calls are listed when online (they
// are not part of the offline copy: a call is made with the network anyway). Loaded on demand.
import { html, render } from "lit-html";
import { api } from "./sync.js";
import { fmtTime, t } from "./i18n.js";

const talk = (seconds) => `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;

function item(c) {
  const words = [
    t(c.origin === "attempt" ? "cl_attempt" : c.recorded ? "cl_recorded" : "cl_unrecorded"),
    c.seconds === null ? "" : t("cl_talk", { s: talk(c.seconds) }),
    c.in_rest_hours ? t("cl_rest") : "",
  ].filter(Boolean);
  return html`<li data-origin=${c.origin}><span class="muted small">${fmtTime(c.started_at, true)}</span>
    <b>${c.staff?.name || ""}</b> → ${c.callee}<div class="small">${words.join(" · ")}</div></li>`;
}

async function draw(el, orderId) {
  const calls = navigator.onLine ? await api(`/api/work-orders/${orderId}/calls`).catch(() => null) : null;
  if (!el.isConnected) return;
  render(html`<h2>${t("cl_title")}</h2>${calls === null ? html`<p class="muted small">${t("cl_offline")}</p>`
    : html`<ul class="call-list" id="calls-list">${calls.length ? calls.slice().reverse().map(item)
      : html`<li class="muted">${t("cl_none")}</li>`}</ul>`}`, el);
}

/** Wire the detail view's call link (#call) and fill its calls section (#calls). */
export function bindCalls(orderId) {
  const el = document.getElementById("calls");
  const link = document.getElementById("call");
  if (link) {
    link.addEventListener("click", () => {
      api(`/api/work-orders/${orderId}/calls`, { method: "POST", body: { tapped_on: "phone", device_time: new Date().toISOString() } })
        .then((answer) => {
          if (answer.rest_ends_at) alert(t("cl_rest_now", { t: fmtTime(answer.rest_ends_at, true) }));
          if (el?.isConnected) draw(el, orderId);
        })
        .catch(() => { /* offline: the dial goes ahead, unrecorded here; the telephony system's record stands */ });
    });
  }
  if (el) draw(el, orderId);
}
