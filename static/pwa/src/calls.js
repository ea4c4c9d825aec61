// The phone's tap on the customer's number (§2.1.3 B): the link dials (tel:, its own default) and
// the tap is recorded as an attempt when online; the job's calls come with its document and show
// in its history. Loaded on demand.
import { api, syncSoon } from "./sync.js";
import { fmtTime, t } from "./i18n.js";

/** Wire the detail view's call link (#call). */
export function bindCalls(orderId) {
  const link = document.getElementById("call");
  if (!link) return;
  link.addEventListener("click", () => {
    api(`/api/work-orders/${orderId}/calls`, { method: "POST", body: { tapped_on: "phone", device_time: new Date().toISOString() } })
      .then((answer) => { syncSoon(); if (answer.rest_ends_at) alert(t("cl_rest_now", { t: fmtTime(answer.rest_ends_at, true) })); })
      .catch(() => { /* offline: the dial goes ahead, unrecorded here; the telephony system's record stands */ });
  });
}
