// What the technician sees of an order: the server's document with the actions still in the
// outbox played on top (the server stays the truth; its next document replaces all of this).

// The technician's steps and closure rules are the server's step spec (domain/lifecycle.py
// STEPS), sent in the sync pull's reference data: sync.js keeps them here, in localStorage, so
// the job list can play the outbox on the first paint, before IndexedDB or a pull answers.
const SPEC_KEY = "fs.technician";
const NONE = { steps: [], closure: { required: [], field_work: [], field_kinds: [], detailed_remark_min: 0 } };
let specText = null;
let spec = NONE;
let moves = {};
/** The mutation names of the steps a technician takes (a live binding: current after technician()). */
export let TECH_ACTIONS = [];

/** The server's technician spec as last pulled. */
export function technician() {
  let text = null;
  try { text = localStorage.getItem(SPEC_KEY); } catch { /* storage disabled: nothing learnt */ }
  if (text !== specText) {
    specText = text;
    spec = text ? JSON.parse(text) : NONE;
    moves = Object.fromEntries(spec.steps.map((s) => [s.mutation, s.moves]));
    TECH_ACTIONS = spec.steps.map((s) => s.mutation);
  }
  return spec;
}

/** Keep the spec a pull brought (its reference data's `technician`). */
export function learnTechnician(next) {
  try { localStorage.setItem(SPEC_KEY, JSON.stringify(next)); } catch { /* storage full: the last one stays */ }
}

/** The phone's label of a step it takes (by mutation name), or undefined. */
export function stepLabel(name, language) {
  return technician().steps.find((s) => s.mutation === name)?.label[language];
}

/** Whether this phone may take the step (by mutation name) in this state. */
export function allowed(name, state) {
  technician();
  return name in moves && state in moves[name];
}

/** The order as it stands on this device: server document + unsettled outbox entries. */
export function view(order, outbox) {
  const mine = outbox.filter((m) => m.orderId === order.id && !m.settled && m.state !== "rejected").sort((a, b) => a.id - b.id);
  const v = { ...order, local: [], localSigned: null, localWork: [] };
  technician();
  for (const m of mine) {
    const to = moves[m.name]?.[v.state];
    if (to) v.state = to;
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
  if (o.key_customer) s += 100; // VIP or dedicated line: the server's rule (domain/priority.py)
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
