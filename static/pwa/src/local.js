// What the technician sees of an order: the server's document with the actions still in the
// outbox played on top (the server stays the truth; its next document replaces all of this).
const WORKING = ["accepted", "contacted", "en_route", "on_site"];
const ASSIGNED = [...WORKING, "dispatched"];
const MOVES = {
  accept: { dispatched: "accepted" },
  reject: { dispatched: "new" },
  contact: { accepted: "contacted", contacted: null, en_route: null, on_site: null },
  start_travel: { accepted: "en_route", contacted: "en_route" },
  arrive: { accepted: "on_site", contacted: "on_site", en_route: "on_site" },
  request_send_back: Object.fromEntries(ASSIGNED.map((s) => [s, "returned"])),
  cannot_proceed: Object.fromEntries(WORKING.map((s) => [s, "cannot_proceed"])),
  close: Object.fromEntries([...ASSIGNED, "new", "returned", "cannot_proceed"].map((s) => [s, "closed"])),
  record_work: Object.fromEntries(WORKING.map((s) => [s, null])),
  capture_signature: Object.fromEntries(WORKING.map((s) => [s, null])),
  add_note: null, // any state
  attach_photo: null,
};
export const TECH_ACTIONS = ["accept", "reject", "contact", "start_travel", "arrive", "add_note", "record_work",
  "capture_signature", "close", "request_send_back", "cannot_proceed"];

export function allowed(name, state) {
  const moves = MOVES[name];
  return moves === null || (moves && state in moves);
}

/** The order as it stands on this device: server document + unsettled outbox entries. */
export function view(order, outbox) {
  const mine = outbox.filter((m) => m.orderId === order.id && !m.settled && m.state !== "rejected").sort((a, b) => a.id - b.id);
  const v = { ...order, local: [], localSigned: null, localWork: [] };
  for (const m of mine) {
    const moves = MOVES[m.name];
    if (moves && v.state in moves && moves[v.state]) v.state = moves[v.state];
    if (m.name === "close") v.closure = m.args;
    if (m.name === "record_work") v.localWork.push(m.args);
    if (m.name === "capture_signature") v.localSigned = m;
    // Work or a photo added after a signature changes the record it signed: sign again.
    if ((m.name === "record_work" || m.name === "attach_photo") && v.localSigned) v.localSigned = null, v.localChanged = true;
    v.local.push(m);
  }
  return v;
}

/** Work recorded on the order: the server's history plus what waits in the outbox. */
export function recordedWork(v) {
  const server = (v.history || []).filter((e) => e.action === "record_work").map((e) => e.payload);
  return [...server, ...v.localWork];
}

export function signatureState(v) {
  if (v.localSigned) return "local";
  if (v.localChanged) return "changed";
  const sig = v.evidence?.signature;
  if (sig === "valid") {
    // Work recorded locally after the server's signature changes the record: sign again.
    const signedSeq = Math.max(0, ...(v.history || []).filter((e) => e.action === "sign").map((e) => e.seq));
    if (v.localWork.length || v.local.some((m) => m.name === "attach_photo")) return "changed";
    return signedSeq ? "valid" : "none";
  }
  return sig === "changed_after_signing" ? "changed" : "none";
}

const score = (o) => {
  let s = 0;
  if (o.breached) s += 1000;
  if (o.at_risk) s += 500;
  if (o.priority === "high") s += 200;
  if (o.customer_tier === "vip" || o.customer_tier === "dedicated_line" || o.kind === "dedicated_line") s += 100;
  s += Math.min(o.urge_count || 0, 5) * 20;
  if (o.remark_flagged) s += 20;
  return s;
};
const dueOf = (o) => Math.min(o.next_due ? Date.parse(o.next_due) : Infinity, o.appointment_at ? Date.parse(o.appointment_at) : Infinity);

/** Open jobs first, most urgent first; then soonest due or appointment; closed ones last. */
export function byUrgency(a, b) {
  const ca = a.state === "closed" ? 1 : 0, cb = b.state === "closed" ? 1 : 0;
  if (ca !== cb) return ca - cb;
  return score(b) - score(a) || dueOf(a) - dueOf(b) || a.id - b.id;
}
