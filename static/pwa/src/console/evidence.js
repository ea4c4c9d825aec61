// A closure's evidence in the order pane: the photos' thumbnails (pending uploads said as such),
// the customer's signature, and whether the record still hashes to what was signed; from the
// evidence endpoints (GET …/photos, …/signature/verify, …/photos/{id}/thumb, …/signature.svg).
import { draw, html } from "../client.js";
import { addTexts } from "./i18n.js";

addTexts({
  "zh-CN": {
    ev_title: "结单证据", ev_none: "暂无照片和签字", ev_pending: "{n} 张照片待上传", ev_photo_pending: "待上传", ev_photo_rejected: "被拒收",
    ev_sig_valid: "客户签字有效:记录与签字时一致", ev_sig_changed: "签字后记录有变动:与客户签字的记录不一致", ev_sig_none: "客户未签字",
    ev_signer: "签字人 {name}({rel}) · 满意度 {s} · {t}", ev_signature: "客户签字",
  },
  en: {
    ev_title: "Closure evidence", ev_none: "No photos or signature yet", ev_pending: "{n} photos still uploading", ev_photo_pending: "uploading", ev_photo_rejected: "refused",
    ev_sig_valid: "Signature valid: the record matches what was signed", ev_sig_changed: "Changed after signing: the record no longer matches the signature", ev_sig_none: "Not signed",
    ev_signer: "Signed by {name} ({rel}) · satisfaction {s} · {t}", ev_signature: "Customer signature",
  },
});

let shown = []; // object URLs of the images on screen, freed when the pane is drawn again

/** Fill `el` with order `o`'s evidence; `current()` says whether the pane still shows `o`. */
export async function drawEvidence(el, o, ctx, current) {
  const { api, imageUrl, t, fmtTime } = ctx;
  const base = `/api/work-orders/${o.id}`;
  const [photos, check] = await Promise.all([
    api(`${base}/photos`, { quiet: true }).catch(() => []),
    api(`${base}/signature/verify`, { quiet: true }).catch(() => null),
  ]);
  if (!current()) return;
  const signature = check?.signed ? (check.valid ? "valid" : "changed") : "none";
  const pending = photos.filter((p) => p.status === "pending").length;
  const label = (p) => [t("pk_" + p.kind), p.caption].filter(Boolean).join(" · ");
  shown.forEach((url) => URL.revokeObjectURL(url));
  shown = [];
  el.dataset.signature = signature;
  draw(el, html`<h3>${t("ev_title")}</h3>
    <p id="ev-signature-state" class="${signature === "valid" ? "ok" : signature === "changed" ? "error" : "muted"}">${t("ev_sig_" + signature)}</p>
    ${pending ? html`<p id="ev-pending" class="pending-note">${t("ev_pending", { n: pending })}</p>` : ""}
    ${photos.length || check?.signed ? "" : html`<p class="muted">${t("ev_none")}</p>`}
    <div class="thumbs">${photos.map((p) => html`<figure data-photo="${p.id}" data-status="${p.status}">
      ${p.status === "ready" ? html`<img alt="${label(p)}" data-src="${base}/photos/${p.id}/thumb">`
        : html`<div class="ph-wait">${t(p.status === "rejected" ? "ev_photo_rejected" : "ev_photo_pending")}</div>`}
      <figcaption>${label(p)}</figcaption></figure>`)}</div>
    ${check?.signed ? html`<figure class="sig"><img id="ev-signature" alt="${t("ev_signature")}" data-src="${base}/signature.svg">
      <figcaption>${t("ev_signer", { name: check.signer_name, rel: t("rel_" + check.relation), s: check.satisfaction ?? "—", t: fmtTime(check.signed_at_device || check.signed_at_server, true) })}</figcaption></figure>` : ""}`);
  for (const img of el.querySelectorAll("img[data-src]")) {
    imageUrl(img.dataset.src).then((url) => { shown.push(url); img.src = url; }).catch(() => img.replaceWith(document.createTextNode("—")));
  }
}
