// The closure form: outcome, method, cause/solution/result, an appointment, and the work the
// customer signed for (carried as signed). Checked on the phone before it is queued (closure.js);
// a draft is kept while the technician types.
import { draw, html } from "../client.js";
import { closureProblems, sumWork } from "../closure.js";
import { t } from "../i18n.js";
import { value } from "../idb.js";
import { recordedWork, signatureState } from "../local.js";
import { enqueue, loadOrder, put, syncSoon } from "./data.js";
import { workRows } from "./sign.js";
import { $, back, drawView, missingView } from "./ui.js";

export async function closeView(id) {
  document.body.className = "";
  const o = await loadOrder(id);
  if (!o) return missingView(id);
  const category = o.reference.closure_category_of_kind[o.kind] || "repair";
  const recorded = recordedWork(o);
  const work = sumWork(recorded); // the closure carries the work the customer signed for
  const sig = signatureState(o);
  const draftKey = `draft:close:${o.id}`;
  const draft = (await value(draftKey)) || {};
  const v = (k) => draft[k] ?? "";
  const text = (name) => html`<label>${t(name === "remark" ? "detail_remark" : name)}<textarea id=${name} name=${name} maxlength="2000" .value=${v(name)}></textarea></label>`;
  drawView(html`
    ${back(`#/job/${o.id}`)}
    <form id="close-form" class="card">
      <h1>${t("close_title")} · ${o.code}</h1>
      ${sig === "changed" ? html`<p class="warn" id="sig-changed">${t("changed_warning")} <a href="#/job/${o.id}/sign">${t("sign_again_link")}</a></p>` : ""}
      <label>${t("category")}<select id="closure_category" name="closure_category"><option value=${category}>${t("cat_" + category)}</option></select></label>
      <label>${t("outcome")}<select id="outcome" name="outcome">${["resolved", "unresolved", "appointment"].map((x) => html`<option value=${x} ?selected=${draft.outcome === x}>${t("out_" + x)}</option>`)}</select></label>
      <label>${t("method")}<select id="method" name="method">${["on_site", "phone_guidance", "remote"].map((x) => html`<option value=${x} ?selected=${draft.method === x}>${t("m_" + x)}</option>`)}</select></label>
      ${text("cause")}${text("solution")}${text("result")}${text("remark")}
      <div id="appt" class="row">
        <label>${t("appt_date")}<input id="appointment_date" name="appointment_date" type="date" value=${v("appointment_date")}></label>
        <label>${t("half_day")}<select id="appointment_half_day" name="appointment_half_day"><option value="am">${t("am")}</option><option value="pm" ?selected=${draft.appointment_half_day === "pm"}>${t("pm")}</option></select></label>
      </div>
      <section class="signed-work" id="signed-work"><p class="small muted">${t(["local", "valid"].includes(sig) ? "signed_record" : "sign_title")}</p>
        <dl>${workRows(o, recorded)}</dl></section>
      <ul id="close-errors" class="error"></ul>
      <button class="primary" id="close-submit">${t("a_close")}</button>
    </form>`);
  const form = $("#close-form");
  const read = () => Object.fromEntries(new FormData(form));
  const showAppt = () => { $("#appt").hidden = $("#outcome").value !== "appointment"; };
  showAppt();
  form.oninput = form.onchange = () => { showAppt(); put(draftKey, read()); };
  form.onsubmit = async (ev) => {
    ev.preventDefault();
    const f = { ...read(), work_done: work.work_done, labour_hours: work.labour_hours };
    const problems = closureProblems(o, f);
    const fix = { signature: [`#/job/${o.id}/sign`, "a_capture_signature"], work_done: [`#/job/${o.id}`, "a_record_work"], labour_hours: [`#/job/${o.id}`, "a_record_work"] };
    draw($("#close-errors"), problems.map(([field, msg]) => html`<li data-field=${field}>${msg}${fix[field] ? html` <a href=${fix[field][0]}>${t(fix[field][1])}</a>` : ""}</li>`));
    if (problems.length) return;
    const args = {
      order_id: o.id, closure_category: category, outcome: f.outcome, method: f.method,
      cause: f.cause.trim(), solution: f.solution.trim(), result: f.result.trim(), remark: f.remark.trim(),
      work_done: work.work_done, materials: work.materials,
    };
    if (work.labour_hours > 0) args.labour_hours = work.labour_hours;
    if (f.outcome === "appointment") { args.appointment_date = f.appointment_date; args.appointment_half_day = f.appointment_half_day; }
    await enqueue("close", args, { orderCode: o.code });
    await put(draftKey, null);
    syncSoon();
    location.hash = `#/job/${o.id}`;
  };
}
