// A job: what the customer and the office said, the technician's steps (accept … arrive, work and
// materials, photos, signature, close), its clocks and its history (steps and calls) with what
// waits in the outbox.
import { draw, html } from "../client.js";
import { recordComplete } from "../closure.js";
import { historyItems } from "../history.js";
import { confirmDial } from "../rest-hours.js";
import { fmtTime, t } from "../i18n.js";
import { value } from "../idb.js";
import { TECH_ACTIONS, allowed, recordedWork, signatureState } from "../local.js";
import { badgeNodes } from "../quicklist.js";
import { status } from "../status.js";
import { badges, dueText, enqueue, load, loadOrder, put, remember, syncSoon } from "./data.js";
import { $, back, drawView, missingView, rejectedCard, stateChip, ui } from "./ui.js";

const eventTime = (ev) => ev.device_time || ev.effective_time || ev.server_time;

function historyItem(ev) {
  const p = ev.payload || {};
  const text = p.text || p.note || p.reason || p.work_done || p.remark || "";
  return html`<li><span class="muted small">${fmtTime(eventTime(ev), true)}</span>
    <b>${t("a_" + ev.action) === "a_" + ev.action ? ev.action : t("a_" + ev.action)}</b> ${ev.actor?.name || ""} ${text ? html`<div>${text}</div>` : ""}</li>`;
}

function localItem(m) {
  const a = m.args;
  const text = a.text || a.note || a.reason || a.work_done || a.cause || "";
  return html`<li class="local" data-mutation=${m.id}><span class="muted small">${fmtTime(m.deviceTime, true)}</span>
    <b>${t("a_" + m.name)}</b> ${stateChip(m)} ${text ? html`<div>${text}</div>` : ""}</li>`;
}

const PHOTO_KINDS = ["before", "after", "signal_meter", "device_label", "wiring", "site", "other"];
let photoKind = PHOTO_KINDS[0]; // the kind last chosen stays chosen for the next photo
// Materials listed but not yet recorded, per job: a background redraw must not drop them.
const materialDrafts = new Map();

export function photoItem(p) {
  const pct = p.size ? Math.round((100 * (p.sent || 0)) / p.size) : 0;
  return html`<li class="photo" data-upload=${p.uploadId} data-state=${p.state}>
    <span>${t("pk_" + p.kind)}${p.caption ? " · " + p.caption : ""}</span>
    <progress max="100" value=${pct} aria-label=${t("pk_" + p.kind)}></progress> <span class="small">${t(photoWord(p.state))} ${pct}%</span>
    ${p.error && p.state === "refused" ? html`<div class="small error">${p.error}</div>` : ""}</li>`;
}

// Not yet sent while the phone is offline is waiting, not broken.
const photoWord = (state) => (["queued", "error"].includes(state) && (status.error === "network" || !status.online) ? "ph_waiting" : "ph_" + state);

function reasonBox(name) {
  return html`<details class="reason-box" id="reason-${name}"><summary>${t("a_" + name)}</summary>
    <form data-reason=${name}><label>${t("reason")}<textarea required maxlength="2000"></textarea></label><button class="danger">${t("send")}</button></form></details>`;
}

export async function detailView(id) {
  document.body.className = "";
  const o = await loadOrder(id);
  if (!o) return missingView(id);
  const ref = o.reference;
  const can = (name) => o.allowed_actions && allowed(name, o.state) && TECH_ACTIONS.includes(name);
  const phone = o.contact_phone || o.customer?.phone;
  const addr = o.address || "";
  const mapUrl = `https://uri.amap.com/search?keyword=${encodeURIComponent(addr)}&city=${encodeURIComponent("成都")}`;
  const sig = signatureState(o);
  const quick = ["accept", "contact", "start_travel", "arrive"].filter(can);
  // The order of the field: work and materials, then the customer signs that record, then close
  // with what was signed. Closing is offered once the job is accepted, not beside 接单.
  const complete = recordComplete(recordedWork(o));
  const canClose = can("close") && !["new", "dispatched"].includes(o.state);
  const { photos, rejectedHere } = o;
  const photoList = html`<ul id="photo-list" class="photos">${photos.map(photoItem)}</ul>`;
  drawView(html`
    ${back()}
    <section class="card">
      <div class="row"><h1 elementtiming="job-detail">${t("k_" + o.kind)} · ${o.customer_name}</h1><span id="job-state" class="state s-${o.state}" data-state=${o.state}>${t("s_" + o.state)}</span></div>
      <div class="muted small">${[o.code, dueText(o)].filter(Boolean).join(" · ")}</div>
      <div>${badgeNodes(badges(o))}</div>
    </section>
    ${rejectedHere.map(rejectedCard)}
    <section class="card">
      <dl>
        <dt>${t("customer")}</dt><dd>${o.customer?.name} <span class="muted">${o.customer?.account_no || ""}</span></dd>
        ${o.contact_name ? html`<dt>${t("contact")}</dt><dd>${o.contact_name}</dd>` : ""}
        <dt>${t("phone")}</dt><dd>${phone ? html`<a class="button" id="call" href="tel:${phone}">${t("call")} ${phone}</a>` : ""}</dd>
        <dt>${t("address")}</dt><dd>${addr} <a class="button" id="map" href=${mapUrl} target="_blank" rel="noopener">${t("map")}</a></dd>
        <dt>${t("description")}</dt><dd>${o.description}</dd>
        ${o.agent_remark ? html`<dt>${t("remark")}</dt><dd class=${o.remark_flagged ? "flag" : ""}>${o.agent_remark}</dd>` : ""}
      </dl>
    </section>
    <section class="card actions">
      <h2>${t("actions")}</h2>
      <div class="buttons">${quick.map((a) => html`<button class="primary" data-action=${a}>${t("a_" + a)}</button>`)}</div>
      ${can("record_work") ? html`<details id="work-box"><summary>${t("step_work")}</summary>
        <form id="work-form">
          <label>${t("work_done")}<textarea id="work-done" maxlength="2000"></textarea></label>
          <label>${t("labour_hours")}<input id="labour-hours" type="number" min="0" max="24" step="0.25" inputmode="decimal"></label>
          <fieldset><legend>${t("materials")}</legend>
            <div id="material-rows"></div>
            <div class="row"><select id="material-code" aria-label=${t("materials")}>${ref.materials.map((m) => html`<option value=${m.code}>${m.name} (${m.unit})</option>`)}</select>
            <input id="material-qty" type="number" min="0" step="any" value="1" inputmode="decimal" aria-label=${t("quantity")}><button type="button" id="add-material" aria-label=${t("add_material")}>+</button></div>
          </fieldset>
          <button class="primary" id="work-submit">${t("record")}</button>
        </form></details>` : ""}
      ${can("record_work") ? html`<details id="photo-box"><summary>${t("a_attach_photo")} <small>${photos.length || ""}</small></summary>
        <form id="photo-form">
          <div class="row"><select id="photo-kind" aria-label=${t("a_attach_photo")}>${PHOTO_KINDS.map((k) => html`<option value=${k} ?selected=${k === photoKind}>${t("pk_" + k)}</option>`)}</select>
          <input id="photo-caption" maxlength="200" placeholder=${t("caption")} aria-label=${t("caption")}></div>
          <label class="button" for="photo-input">${t("take_photo")}</label>
          <input id="photo-input" type="file" accept="image/*" capture="environment" multiple hidden>
        </form>
        ${photoList}</details>` : photos.length ? photoList : ""}
      ${can("capture_signature") || canClose ? html`<div class="buttons">
        ${can("capture_signature") ? complete ? html`<a class="button" id="go-sign" href="#/job/${o.id}/sign">${t("step_sign")}</a>`
          : html`<span class="button" id="go-sign-blocked" aria-disabled="true">${t("step_sign")}</span>` : ""}
        ${canClose ? html`<a class="button primary" id="go-close" href="#/job/${o.id}/close">${t("step_close")}</a>` : ""}
      </div>
      ${can("capture_signature") && !complete && sig === "none" ? html`<p class="small muted" id="need-work">${t("need_work_first")}</p>` : ""}
      <p class="small ${sig === "changed" ? "error" : "muted"}" id="sig-state" data-sig=${sig}>${sig === "none" ? t("not_signed") : sig === "changed" ? t("sign_again") : t("signed")}</p>` : ""}
      <details id="note-box"><summary>${t("add_note")}</summary>
        <form id="note-form"><textarea id="note-text" required maxlength="2000" aria-label=${t("note")}></textarea><button class="primary" id="note-submit">${t("save")}</button></form>
      </details>
      ${can("request_send_back") ? reasonBox("request_send_back") : ""}
      ${can("cannot_proceed") ? reasonBox("cannot_proceed") : ""}
      ${can("reject") ? reasonBox("reject") : ""}
    </section>
    <section class="card"><h2>${t("clocks")}</h2><ul class="clocks">${(o.clocks || []).map((c) => html`
      <li class="clock c-${c.state}${c.at_risk ? " risk" : ""}">${t("c_" + c.name) === "c_" + c.name ? c.name : t("c_" + c.name)}: ${t(c.state)} · ${t("due_at", { t: fmtTime(c.due, true) })}${c.stopped_at ? ` · ✓ ${fmtTime(c.stopped_at, true)}` : ""}</li>`)}</ul></section>
    <section class="card"><h2>${t("history")}</h2><ul class="history" id="history">${o.local.slice().reverse().map(localItem)}${historyItems(o.history, o.calls, historyItem, eventTime, t, fmtTime)}</ul></section>`);
  bindDetail(o);
}

function bindDetail(o) {
  import("signature_pad"); // warm the signature screen's chunk (precached by the service worker)
  load(); // the buttons write through Dexie: have it ready before the first tap
  // A form's text stays on screen through redraws: once queued, it is cleared so a second tap
  // cannot record the same work twice.
  const act = async (name, args = {}, form = null) => {
    await enqueue(name, { order_id: o.id, ...args }, { orderCode: o.code });
    form?.reset();
    ui.dirty = false;
    syncSoon();
    ui.route();
  };
  for (const b of document.querySelectorAll("[data-action]")) b.onclick = () => act(b.dataset.action);
  // A tap on the number dials (tel:, the link's own default) and is queued like a step, offline
  // too (§2.1.3 B); in the customer's rest hours only once the technician confirms it is urgent.
  const call = $("#call");
  if (call) call.onclick = (ev) => {
    const { dial, urgent } = confirmDial(o.reference.call_policy, t);
    if (!dial) { ev.preventDefault(); return; }
    act("call_customer", urgent ? { urgent } : {});
  };
  const draftKey = `draft:note:${o.id}`;
  value(draftKey, "").then((v) => { if (v) { $("#note-text").value = v; $("#note-box").open = true; } });
  $("#note-text").oninput = (ev) => { ui.dirty = true; put(draftKey, ev.target.value); };
  $("#note-form").onsubmit = async (ev) => {
    ev.preventDefault();
    const text = $("#note-text").value.trim();
    if (!text) return;
    await put(draftKey, "");
    await act("add_note", { text }, ev.target);
  };
  if (!materialDrafts.has(o.id)) materialDrafts.set(o.id, []);
  const materials = materialDrafts.get(o.id);
  const rows = () => draw($("#material-rows"), materials.map((m, i) => html`<div class="row small">${m.code} × ${m.quantity} <button type="button" data-rm=${i} aria-label=${t("remove")}>✕</button></div>`));
  if ($("#work-form")) {
    rows();
    $("#work-form").oninput = () => { ui.dirty = true; };
    $("#add-material").onclick = () => {
      const q = parseFloat($("#material-qty").value);
      if (q > 0) { materials.push({ code: $("#material-code").value, quantity: q }); rows(); ui.dirty = true; }
    };
    $("#material-rows").onclick = (ev) => { if (ev.target.dataset.rm) { materials.splice(+ev.target.dataset.rm, 1); rows(); } };
    $("#work-form").onsubmit = async (ev) => {
      ev.preventDefault();
      const hours = parseFloat($("#labour-hours").value);
      const args = { work_done: $("#work-done").value.trim(), materials: [...materials] };
      if (hours >= 0) args.labour_hours = hours;
      if (!args.work_done && !materials.length && !(hours >= 0)) return;
      await act("record_work", args, ev.target);
      materials.length = 0;
      rows();
    };
  }
  if ($("#photo-kind")) $("#photo-kind").onchange = (ev) => { photoKind = ev.target.value; };
  if ($("#photo-input")) $("#photo-input").onchange = async (ev) => {
    const { addPhoto } = await load();
    for (const file of ev.target.files) await addPhoto(o, file, $("#photo-kind").value, $("#photo-caption").value.trim());
    ev.target.value = "";
    remember();
    syncSoon();
    ui.route();
  };
  for (const f of document.querySelectorAll("form[data-reason]")) {
    f.oninput = () => { ui.dirty = true; };
    f.onsubmit = async (ev) => {
      ev.preventDefault();
      const reason = f.querySelector("textarea").value.trim();
      if (reason) await act(f.dataset.reason, { reason }, f);
    };
  }
}
