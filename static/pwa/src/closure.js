// The closure's rules as the phone checks them before queueing (the server's are domain/closure.py),
// and the service record's work: what the customer signs and the closure then carries.
import { t } from "./i18n.js";
import { signatureState, technician } from "./local.js";

export function sumWork(work) {
  const materials = new Map();
  for (const w of work) for (const m of w.materials || []) materials.set(m.code, (materials.get(m.code) || 0) + m.quantity);
  return {
    work_done: work.map((w) => w.work_done).filter(Boolean).join("; "),
    labour_hours: work.reduce((s, w) => s + (w.labour_hours || 0), 0),
    materials: [...materials].map(([code, quantity]) => ({ code, quantity })),
  };
}

function todayInShanghai() {
  const parts = new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", hourCycle: "h23" }).formatToParts(new Date());
  const get = (k) => parts.find((p) => p.type === k).value;
  return { date: `${get("year")}-${get("month")}-${get("day")}`, hour: +get("hour") };
}

/** The server's closure rules (domain/closure.py, sent as the reference data's technician.closure), checked before queueing. */
export function closureProblems(o, f) {
  const rules = technician().closure;
  const p = [];
  // Text must say something; a number (the hours) must be above zero.
  const missing = (v) => (typeof v === "number" ? !(v > 0) : !String(v ?? "").trim());
  const need = (fields) => { for (const field of fields) if (missing(f[field])) p.push([field, t("need", { f: t(field) })]); };
  need(rules.required);
  if (o.key_customer && (f.remark || "").trim().length < rules.detailed_remark_min) p.push(["remark", t("need", { f: t("detail_remark") })]);
  if (f.outcome === "appointment") {
    if (!f.appointment_date || !f.appointment_half_day) p.push(["appointment_date", t("need", { f: t("appt_date") })]);
    else {
      const now = todayInShanghai();
      if (f.appointment_date < now.date || (f.appointment_date === now.date && f.appointment_half_day === "am" && now.hour >= 12)) p.push(["appointment_date", t("appt_past")]);
    }
  }
  const field = rules.field_kinds.includes(o.kind) && f.method === "on_site";
  if (field && f.outcome !== "appointment") need(rules.field_work);
  if (field && f.outcome !== "appointment" && !["local", "valid"].includes(signatureState(o))) p.push(["signature", t("need_signature")]);
  return p;
}

/** Work done and hours are recorded: the record can be shown to the customer. */
export const recordComplete = (work) => work.some((w) => (w.work_done || "").trim()) && sumWork(work).labour_hours > 0;
