// What the views read and write. Reads go to IndexedDB directly (idb.js, on the start-up path);
// writes go through Dexie and the outbox (engine.js), loaded after the first paint or at the
// first write. Every write keeps the list's compact copy (quicklist.js) in step.
import { fmtTime, lang, t } from "../i18n.js";
import { read } from "../idb.js";
import { byUrgency, view } from "../local.js";
import { KEY, dueLine } from "../quicklist.js";

let engine = null;
export const load = () => (engine ||= import("../engine.js"));
export const put = async (key, v) => (await load()).put(key, v);
export const enqueue = async (...args) => { const row = await (await load()).enqueue(...args); remember(); return row; };
export const syncSoon = () => load().then((m) => m.syncSoon());
export const subscribePush = (ask) => import("../push.js").then((m) => m.subscribePush(ask)); // not on the start-up path

/** Everything the bar (and, with the orders, the list) needs, in one read transaction. */
export async function snapshot(withOrders = true) {
  const [user, lastSync, token, notices, outbox, orders] = await read(["kv", "outbox", "orders"], (q) => [
    q.get("kv", "user"), q.get("kv", "lastSync"), q.get("kv", "token"), q.get("kv", "notices"), q.all("outbox"), withOrders ? q.all("orders") : [],
  ]);
  return {
    user: user?.value, lastSync: lastSync?.value, token: token?.value, notices: notices?.value || [], outbox, orders,
    pending: outbox.filter((m) => m.state === "pending" || m.state === "sending").length,
    rejected: outbox.filter((m) => m.state === "rejected" && !m.dismissed).length,
  };
}

/** The order as this phone has it, with the outbox, this job's photos and the reference data. */
export async function loadOrder(id) {
  const [order, outbox, photos, ref] = await read(["orders", "outbox", "photos", "kv"], (q) => [
    q.get("orders", id), q.all("outbox"), q.where("photos", "orderId", id), q.get("kv", "reference"),
  ]);
  if (!order) return null;
  const o = view(order, outbox);
  o.photos = photos; // taken on this phone
  o.rejectedHere = outbox.filter((m) => m.orderId === id && m.state === "rejected" && !m.dismissed);
  o.reference = ref?.value || { materials: [], closure_category_of_kind: {} };
  return o;
}

export const sameDay = (iso) => fmtTime(iso, true).slice(0, -5) === fmtTime(new Date().toISOString(), true).slice(0, -5);

export function badges(o) {
  const b = [];
  if (o.breached) b.push({ colour: "red", text: t("breached") });
  if (o.customer_tier === "vip") b.push({ colour: "gold", text: t("vip") });
  if (o.dedicated_line) b.push({ colour: "gold", text: t("dl") });
  if (o.urge_count) b.push({ colour: "red", text: t("urged", { n: o.urge_count }) });
  if (o.remark_flagged) b.push({ colour: "orange", text: t("flagged") });
  if (o.priority === "high") b.push({ colour: "orange", text: t("high") });
  return b;
}

const words = () => ({ lang: lang(), closed: t("s_closed"), dueIn: t("due_in"), overdue: t("overdue") });
export const dueText = (o) => dueLine(o.state === "closed", o.next_due ? Date.parse(o.next_due) : null,
  o.appointment_at ? t("appointment", { t: fmtTime(o.appointment_at, true) }) : "", words(), Date.now());

/** A job taken away, shown on the list until dismissed: its words in the phone's language. */
const noticeOf = (n) => ({
  id: n.id, text: t("gone_" + n.reason, { code: n.code, t: fmtTime(n.at, !sameDay(n.at)), name: n.assignee_name || "" }),
});

/** The list as its compact copy (quicklist.js): what the inline first paint of a cold start draws. */
export function listModel(snap) {
  const orders = snap.orders.map((o) => view(o, snap.outbox))
    .filter((o) => !["closed", "cancelled"].includes(o.state) || o.closed_at || o.local.some((m) => m.name === "close"));
  orders.sort(byUrgency);
  return {
    ...words(), head: t("today"), empty: t("no_jobs"), rejected: snap.rejected ? t("rejected_n", { n: snap.rejected }) : "",
    notices: snap.notices.map(noticeOf), dismiss: t("dismiss"),
    cards: orders.map((o) => ({
      id: o.id, code: o.code, kind: t("k_" + o.kind), customer: o.customer_name, address: o.address || "",
      state: o.state, stateName: t("s_" + o.state), closed: o.state === "closed", late: !!o.breached, risk: !!o.at_risk,
      // closed or cancelled on the server: shown until the day it closed ends; closed here: until synced
      closedAt: ["closed", "cancelled"].includes(o.state) && !o.local.some((m) => m.name === "close") ? Date.parse(o.closed_at) : null,
      due: o.next_due ? Date.parse(o.next_due) : null,
      appointment: o.appointment_at ? t("appointment", { t: fmtTime(o.appointment_at, true) }) : "",
      badges: badges(o),
      pending: o.local.length ? t("pending", { n: o.local.length }) : "",
    })),
  };
}

/** Keep the compact copy in step with the local data (none once logged out). */
export function save(model) {
  try { model ? localStorage.setItem(KEY, JSON.stringify(model)) : localStorage.removeItem(KEY); } catch { /* storage full: the app still draws from IndexedDB */ }
}
export const remember = () => snapshot().then((snap) => save(snap.token ? listModel(snap) : null));
