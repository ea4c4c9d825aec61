// The customer's screen: the service record (work done, hours, materials, photos) at the top,
// then who signs, how satisfied, and the signature pad. Shown only once the record is complete.
import { html } from "../client.js";
import { recordComplete, sumWork } from "../closure.js";
import { t } from "../i18n.js";
import { recordedWork } from "../local.js";
import { enqueue, loadOrder, syncSoon } from "./data.js";
import { $, drawView, lines, missingView } from "./ui.js";

/** The service record's work rows (work done, hours, materials): what the customer signs and the
 *  closure then carries. */
export function workRows(o, work) {
  const names = Object.fromEntries(o.reference.materials.map((m) => [m.code, m]));
  const sum = sumWork(work);
  return html`<dt>${t("work_done")}</dt><dd id="record-work">${lines(work.map((w) => w.work_done).filter(Boolean))}</dd>
    <dt>${t("labour_hours")}</dt><dd id="record-hours">${sum.labour_hours}</dd>
    <dt>${t("materials")}</dt><dd id="record-materials">${lines(sum.materials.map((m) => `${names[m.code]?.name || m.code} × ${m.quantity} ${names[m.code]?.unit || ""}`))}</dd>`;
}

export async function signView(id) {
  const o = await loadOrder(id);
  if (!o) return missingView(id);
  const work = recordedWork(o);
  const photos = o.photos;
  document.body.className = "customer";
  if (!recordComplete(work)) {
    drawView(html`<section class="card" id="record-incomplete"><p class="warn">${t("record_incomplete")}</p>
      <a class="button primary" href="#/job/${o.id}">${t("back")}</a></section>`);
    return;
  }
  let score = 0;
  drawView(html`
    <section class="card record" id="service-record">
      <h1>${t("sign_title")}</h1>
      <p class="muted">${t("sign_intro")}</p>
      <dl>
        <dt>${t("order_no")}</dt><dd>${o.code}</dd>
        <dt>${t("customer")}</dt><dd>${o.customer_name}</dd>
        <dt>${t("address")}</dt><dd>${o.address}</dd>
        <dt>${t("description")}</dt><dd>${o.description}</dd>
        ${workRows(o, work)}
        <dt>${t("a_attach_photo")}</dt><dd id="record-photos">${lines(photos.map((p) => `${t("pk_" + p.kind)}${p.caption ? " · " + p.caption : ""}`))}</dd>
      </dl>
    </section>
    <form id="sign-form" class="card">
      <label>${t("signer")}<input id="signer-name" required maxlength="100" value=${o.customer?.name || o.customer_name}></label>
      <label>${t("relation")}<select id="relation">${["account_holder", "family", "tenant", "colleague", "other"].map((r) => html`<option value=${r}>${t("rel_" + r)}</option>`)}</select></label>
      <div>${t("satisfaction")}<div class="stars" id="stars">${[1, 2, 3, 4, 5].map((n) => html`<button type="button" class="star" data-score=${n} aria-label=${n}>★</button>`)}</div></div>
      <label>${t("comment")}<input id="comment" maxlength="500"></label>
      <div class="pad-wrap"><canvas id="sign-canvas" role="img" aria-label=${t("sign_here")}></canvas><span class="pad-hint">${t("sign_here")}</span></div>
      <p id="sign-error" class="error"></p>
      <div class="buttons"><a class="button" href="#/job/${o.id}">${t("cancel")}</a><button type="button" id="sign-clear">${t("clear")}</button><button class="primary" id="sign-submit">${t("sign_confirm")}</button></div>
    </form>`);
  window.scrollTo(0, 0); // the customer reads the record first, the pad is below it
  const { default: SignaturePad } = await import("signature_pad");
  const canvas = $("#sign-canvas");
  const ratio = Math.max(window.devicePixelRatio || 1, 1);
  canvas.width = canvas.offsetWidth * ratio; canvas.height = canvas.offsetHeight * ratio;
  canvas.getContext("2d").scale(ratio, ratio);
  const pad = new SignaturePad(canvas, { minWidth: 1, maxWidth: 3 });
  canvas.dataset.ready = "1";
  $("#sign-clear").onclick = () => pad.clear();
  $("#stars").onclick = (ev) => {
    const s = ev.target.dataset.score;
    if (!s) return;
    score = +s;
    for (const b of document.querySelectorAll(".star")) b.classList.toggle("on", +b.dataset.score <= score);
  };
  $("#sign-form").onsubmit = async (ev) => {
    ev.preventDefault();
    const err = $("#sign-error");
    if (pad.isEmpty()) return (err.textContent = t("sign_empty"));
    if (!$("#signer-name").value.trim()) return (err.textContent = t("signer_required"));
    if (!score) return (err.textContent = t("satisfaction_required"));
    const strokes = pad.toData().map((g) => {
      const t0 = g.points[0]?.time ?? 0;
      return g.points.slice(0, 2000).map((p) => [Math.round(p.x * 10) / 10, Math.round(p.y * 10) / 10, Math.max(0, Math.min(86400000, Math.round(p.time - t0)))]);
    }).filter((s) => s.length).slice(0, 200);
    const args = { order_id: o.id, signer_name: $("#signer-name").value.trim(), relation: $("#relation").value, strokes, satisfaction: score };
    const comment = $("#comment").value.trim();
    if (comment) args.comment = comment;
    await enqueue("capture_signature", args, { orderCode: o.code });
    syncSoon();
    location.hash = `#/job/${o.id}`;
  };
}
